import { isWebhookError } from '../errors/webhook-error.js';
import type { WebhookHeaders } from '../http/headers.js';
import { contextOnce, type ContextOnce, type ReceiverSettings } from '../once/context-once.js';
import type { HandlerContext } from './types.js';

/**
 * The `ctx` of a delivery that holds its claim (inline mode, a queued job). A class, not an object
 * literal with getters: such a literal costs about 800 bytes per delivery (new getter closures and
 * property storage each time) against under 200, and every byte a delivery allocates makes the
 * young-generation collections of a busy server more frequent. `signal` and `once` are built on
 * first use: most handlers touch neither.
 */
export class DeliveryContext implements HandlerContext {
  readonly attempt: number;
  readonly headers: WebhookHeaders;
  readonly key: string;
  readonly #settings: ReceiverSettings;
  readonly #signalSource: { readonly signal: AbortSignal };
  #signalRead = false;
  #once: ContextOnce | undefined;

  /** @param signalSource whatever holds the run's signal (a lease heartbeat, a deadline, a job), read on first use */
  constructor(settings: ReceiverSettings, attempt: number, headers: WebhookHeaders, key: string, signalSource: { readonly signal: AbortSignal }) {
    this.attempt = attempt;
    this.headers = headers;
    this.key = key;
    this.#settings = settings;
    this.#signalSource = signalSource;
  }

  get signal(): AbortSignal {
    this.#signalRead = true;
    return this.#signalSource.signal;
  }

  /**
   * The signal's reason when a handler read the signal and it aborted because the lease or the
   * job's lock may have lapsed (see {@link lapseReason}): the handler may have stopped there and
   * returned, so its return does not show that the event was handled. `undefined` otherwise.
   */
  lapseSeen(): unknown {
    return this.#signalRead ? lapseReason(this.#signalSource.signal) : undefined;
  }

  get once(): ContextOnce {
    return (this.#once ??= contextOnce(this.#settings, this));
  }
}

/**
 * `signal`'s reason when it aborted because no renewal of the run's lease or job lock was
 * confirmed in time (`ERR_HOOKGUARD_LEASE_LOST` caused by the store or the queue being
 * unavailable), else `undefined`. Nobody may have taken the event over then, so the run's own
 * completion would still be accepted: a handler that stopped at the signal and returned would
 * have its event recorded as handled, and lost. The receiver gives such a run back instead, and a
 * retry runs it again (a duplicate at worst). A takeover needs no such care: the store refuses
 * the run's completion.
 */
export function lapseReason(signal: AbortSignal): unknown {
  if (!signal.aborted) return undefined;
  const reason: unknown = signal.reason;
  if (!isWebhookError(reason) || reason.code !== 'ERR_HOOKGUARD_LEASE_LOST') return undefined;
  const cause = reason.cause;
  return isWebhookError(cause) && (cause.code === 'ERR_HOOKGUARD_STORE_UNAVAILABLE' || cause.code === 'ERR_HOOKGUARD_QUEUE_UNAVAILABLE') ? reason : undefined;
}
