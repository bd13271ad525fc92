import { WebhookError } from '../errors/webhook-error.js';
import type { Logger } from '../logging/logger.js';
import type { DedupStore } from '../store/dedup-store.js';

/** Keeps a claim's lease alive while handlers run, and aborts `signal` if the lease is lost. */
export class LeaseHeartbeat {
  readonly controller = new AbortController();
  readonly #timer: ReturnType<typeof setInterval>;

  constructor(store: DedupStore, key: string, token: string, leaseMs: number, logger: Logger) {
    // Three beats per lease: one failed or slow beat still leaves the lease alive.
    this.#timer = setInterval(() => {
      store.extend(key, token, leaseMs).then(
        (held) => {
          if (!held) this.lose(key);
        },
        (error: unknown) => {
          logger.warn({ key, error: String(error) }, 'lease heartbeat failed; will retry on the next beat');
        },
      );
    }, Math.max(1, Math.floor(leaseMs / 3)));
    (this.#timer as { unref?: () => void }).unref?.();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Marks the lease lost: stops beating and aborts the handlers' signal. */
  lose(key: string): void {
    this.stop();
    if (!this.controller.signal.aborted) {
      this.controller.abort(
        new WebhookError(
          'ERR_HOOKGUARD_LEASE_LOST',
          `The lease on '${key}' was taken over by another delivery; this run's completion will be refused. Raise leaseMs if handlers legitimately run this long.`,
        ),
      );
    }
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
