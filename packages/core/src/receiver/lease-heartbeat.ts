import { describeError } from '../errors/describe-error.js';
import { WebhookError } from '../errors/webhook-error.js';
import type { Logger } from '../logging/logger.js';
import type { DedupStore } from '../store/dedup-store.js';
import { SharedTickers, tickerClock } from '../timers/shared-tickers.js';

// Where timers belong to the process, one timer per tick length serves every running claim
// (SharedTickers): a timer and an AbortController per delivery cost more than the rest of a new
// event's dedup work (bench: receive-breakdown).
// A lease is renewed every second tick, i.e. every third of the lease, so one failed or slow
// renewal still leaves it alive.
const TICKS_PER_LEASE = 6;
const TICKS_PER_RENEWAL = 2;

const heartbeats = new SharedTickers<LeaseHeartbeat>((beat) => beat.tick());

/**
 * The clock leases are measured on: monotonic (`performance.now()`), so a wall-clock jump neither
 * aborts a live lease nor keeps a lapsed one. Read it just before sending the claim and pass the
 * reading to {@link LeaseHeartbeat} as `claimSentAt`.
 */
export const leaseClock = tickerClock;

function tickPeriod(leaseMs: number): number {
  return Math.max(1, Math.floor(leaseMs / TICKS_PER_LEASE));
}

/**
 * Keeps a claim's lease alive while handlers run, and aborts `signal` if the lease is lost: when
 * the store refuses a renewal (another delivery took the key over), or when no renewal has been
 * confirmed for the lease's length (the store unreachable, or answering too slowly), since the
 * store may then have let the lease lapse and handed the event to another delivery (issue 14,
 * item 6). The lease is counted from when the last confirmed claim or renewal was *sent*: the
 * store starts it on receipt, never earlier, so the lease cannot have lasted longer than that.
 * The signal is created only when something asks for it.
 *
 * @example
 * ```ts
 * const claimSentAt = leaseClock();
 * const claim = await store.claim(key, { leaseMs, retentionMs });
 * if (claim.status === 'claimed') {
 *   const heartbeat = new LeaseHeartbeat(store, key, claim.token, leaseMs, logger, claimSentAt);
 *   try {
 *     await work(heartbeat.signal);
 *   } finally {
 *     heartbeat.stop();
 *   }
 * }
 * ```
 */
export class LeaseHeartbeat {
  readonly #store: DedupStore;
  readonly #key: string;
  readonly #token: string;
  readonly #leaseMs: number;
  readonly #period: number;
  readonly #logger: Logger;
  #ticks = 0;
  #renewing = false;
  /** Why the last renewal failed, if it did: the cause of a lapse. */
  #renewalError: unknown;
  /** When the last claim or renewal the store confirmed was sent, on {@link leaseClock}. */
  #confirmedSentAt: number;
  #stopped = false;
  #lostReason: WebhookError | undefined;
  #controller: AbortController | undefined;

  /**
   * @param claimSentAt when the claim was sent, on {@link leaseClock}; defaults to now, which is
   * later than the truth by the claim's round trip.
   */
  constructor(store: DedupStore, key: string, token: string, leaseMs: number, logger: Logger, claimSentAt: number = leaseClock()) {
    this.#store = store;
    this.#confirmedSentAt = claimSentAt;
    this.#key = key;
    this.#token = token;
    this.#leaseMs = leaseMs;
    this.#logger = logger;
    this.#period = tickPeriod(leaseMs);
    heartbeats.join(this, this.#period);
  }

  /** Aborted, with an `ERR_HOOKGUARD_LEASE_LOST` reason, once the lease is known to be lost. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#lostReason !== undefined) this.#controller.abort(this.#lostReason);
    }
    return this.#controller.signal;
  }

  /** Called by the shared ticker. */
  tick(): void {
    if (this.#stopped) return;
    // One tick of margin: the next check could come a whole tick after the lease lapsed.
    if (leaseClock() - this.#confirmedSentAt >= this.#leaseMs - this.#period) {
      this.#lapse();
      return;
    }
    if (++this.#ticks < TICKS_PER_RENEWAL || this.#renewing) return;
    this.#ticks = 0;
    this.#renewing = true;
    const sentAt = leaseClock();
    let renewal: Promise<boolean>;
    try {
      renewal = this.#store.extend(this.#key, this.#token, this.#leaseMs);
    } catch (error) {
      renewal = Promise.reject(error);
    }
    renewal.then(
      (held) => {
        this.#renewing = false;
        if (this.#stopped) return;
        if (held) {
          this.#confirmedSentAt = Math.max(this.#confirmedSentAt, sentAt);
          this.#renewalError = undefined;
        } else {
          this.lose();
        }
      },
      (error: unknown) => {
        this.#renewing = false;
        this.#renewalError = error;
        this.#logger.warn({ key: this.#key, error: describeError(error) }, 'lease heartbeat failed; will retry on the next beat');
      },
    );
  }

  /** Marks the lease lost: stops beating and aborts the handlers' signal. */
  lose(): void {
    this.#abort(
      new WebhookError(
        'ERR_HOOKGUARD_LEASE_LOST',
        `The lease on '${this.#key}' was taken over by another delivery; this run's completion will be refused. Raise leaseMs if handlers legitimately run this long.`,
      ),
    );
  }

  #lapse(): void {
    const silentMs = Math.round(leaseClock() - this.#confirmedSentAt);
    this.#logger.warn(
      { code: 'ERR_HOOKGUARD_LEASE_LOST', key: this.#key, leaseMs: this.#leaseMs, silentMs },
      `no lease renewal was confirmed for ${silentMs} ms (leaseMs is ${this.#leaseMs}): aborting the handlers' signal, since another delivery may take the event over`,
    );
    // The store's failure, not the handlers': as the cause, so the receiver answers 503 and does
    // not count the attempt when a handler rethrows this reason (issue 15, item 2).
    const failed = this.#renewalError;
    const storeFailure = new WebhookError(
      'ERR_HOOKGUARD_STORE_UNAVAILABLE',
      failed === undefined
        ? `The '${this.#store.name}' store answered no lease renewal for ${silentMs} ms.`
        : `The '${this.#store.name}' store failed to renew the lease (${describeError(failed)}).`,
      failed === undefined ? {} : { cause: failed },
    );
    this.#abort(
      new WebhookError(
        'ERR_HOOKGUARD_LEASE_LOST',
        `The lease on '${this.#key}' may have lapsed: the store confirmed no renewal for ${silentMs} ms (leaseMs is ${this.#leaseMs}), ` +
          'so another delivery may run the event too. Check the store\'s health, or raise leaseMs if the store is slow to answer.',
        { cause: storeFailure },
      ),
    );
  }

  #abort(reason: WebhookError): void {
    this.stop();
    if (this.#lostReason !== undefined) return;
    this.#lostReason = reason;
    this.#controller?.abort(reason);
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    heartbeats.leave(this);
  }
}
