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
    return this.#signalSource.signal;
  }

  get once(): ContextOnce {
    return (this.#once ??= contextOnce(this.#settings, this));
  }
}
