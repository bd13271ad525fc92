import { WebhookError } from '../errors/webhook-error.js';
import type { HandlersOutcome } from './handler-runner.js';
import type { RunDeadline } from './pipeline.js';

/**
 * A deadline for one run of the handlers (`handlerTimeoutMs`), or `undefined` without one. At the
 * deadline it aborts the run's signal and settles the race with a failed outcome, so the pipeline
 * stops waiting for a handler (or an `onError` hook) that never settles and gives the claim back.
 */
export function createRunDeadline(timeoutMs: number, lease: { readonly signal: AbortSignal }): RunDeadline | undefined {
  if (timeoutMs === Number.POSITIVE_INFINITY) return undefined;
  return new HandlerDeadline(timeoutMs, lease);
}

class HandlerDeadline implements RunDeadline {
  readonly #controller = new AbortController();
  readonly #timeoutMs: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #expire: ((outcome: HandlersOutcome) => void) | undefined;
  readonly #onLeaseLost: () => void;
  readonly #lease: AbortSignal;

  constructor(timeoutMs: number, lease: { readonly signal: AbortSignal }) {
    this.#timeoutMs = timeoutMs;
    this.#lease = lease.signal;
    this.#onLeaseLost = () => this.#controller.abort(this.#lease.reason);
    if (this.#lease.aborted) this.#controller.abort(this.#lease.reason);
    else this.#lease.addEventListener('abort', this.#onLeaseLost, { once: true });
    this.#timer = setTimeout(() => this.#fire(), timeoutMs);
    // A deadline never keeps the process alive by itself.
    (this.#timer as { unref?: () => void }).unref?.();
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  race(running: HandlersOutcome | Promise<HandlersOutcome>): Promise<HandlersOutcome> {
    const expired = new Promise<HandlersOutcome>((resolve) => {
      this.#expire = resolve;
    });
    return Promise.race([running, expired]);
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#lease.removeEventListener('abort', this.#onLeaseLost);
  }

  #fire(): void {
    this.#timer = undefined;
    const error = new WebhookError(
      'ERR_HOOKGUARD_HANDLER_TIMEOUT',
      `The handlers did not finish within handlerTimeoutMs (${this.#timeoutMs} ms): their signal was aborted and the claim given back so a retry can run them. ` +
        'Make long work stop when ctx.signal aborts, or raise handlerTimeoutMs if it legitimately takes this long.',
    );
    this.#controller.abort(error);
    this.#expire?.({ ok: false, error });
  }
}
