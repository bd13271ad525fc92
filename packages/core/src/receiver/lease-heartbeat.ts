import { WebhookError } from '../errors/webhook-error.js';
import type { Logger } from '../logging/logger.js';
import type { DedupStore } from '../store/dedup-store.js';

// One timer per lease length serves every running claim: a timer and an AbortController per
// delivery cost more than the rest of a new event's dedup work (bench: receive-breakdown).
// A lease is renewed every second tick, i.e. every third of the lease, so one failed or slow
// renewal still leaves it alive.
const TICKS_PER_LEASE = 6;
const TICKS_PER_RENEWAL = 2;

type Ticker = { timer: ReturnType<typeof setInterval>; beats: Set<LeaseHeartbeat> };
const tickers = new Map<number, Ticker>();

function tickPeriod(leaseMs: number): number {
  return Math.max(1, Math.floor(leaseMs / TICKS_PER_LEASE));
}

function join(beat: LeaseHeartbeat, period: number): void {
  let ticker = tickers.get(period);
  if (ticker === undefined) {
    const beats = new Set<LeaseHeartbeat>();
    const timer = setInterval(() => {
      for (const running of beats) running.tick();
    }, period);
    (timer as { unref?: () => void }).unref?.();
    ticker = { timer, beats };
    tickers.set(period, ticker);
  }
  ticker.beats.add(beat);
}

function leave(beat: LeaseHeartbeat, period: number): void {
  const ticker = tickers.get(period);
  if (ticker === undefined || !ticker.beats.delete(beat) || ticker.beats.size > 0) return;
  // Stopped as soon as nothing runs, so no timer outlives its work (and fake timers in tests
  // never meet a real one left behind).
  clearInterval(ticker.timer);
  tickers.delete(period);
}

/**
 * Keeps a claim's lease alive while handlers run, and aborts `signal` if the lease is lost.
 * The signal is created only when something asks for it.
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
  #stopped = false;
  #lostReason: WebhookError | undefined;
  #controller: AbortController | undefined;

  constructor(store: DedupStore, key: string, token: string, leaseMs: number, logger: Logger) {
    this.#store = store;
    this.#key = key;
    this.#token = token;
    this.#leaseMs = leaseMs;
    this.#logger = logger;
    this.#period = tickPeriod(leaseMs);
    join(this, this.#period);
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
    if (++this.#ticks < TICKS_PER_RENEWAL || this.#renewing) return;
    this.#ticks = 0;
    this.#renewing = true;
    this.#store.extend(this.#key, this.#token, this.#leaseMs).then(
      (held) => {
        this.#renewing = false;
        if (!held && !this.#stopped) this.lose();
      },
      (error: unknown) => {
        this.#renewing = false;
        this.#logger.warn({ key: this.#key, error: String(error) }, 'lease heartbeat failed; will retry on the next beat');
      },
    );
  }

  /** Marks the lease lost: stops beating and aborts the handlers' signal. */
  lose(): void {
    this.stop();
    if (this.#lostReason !== undefined) return;
    this.#lostReason = new WebhookError(
      'ERR_HOOKGUARD_LEASE_LOST',
      `The lease on '${this.#key}' was taken over by another delivery; this run's completion will be refused. Raise leaseMs if handlers legitimately run this long.`,
    );
    this.#controller?.abort(this.#lostReason);
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    leave(this, this.#period);
  }
}
