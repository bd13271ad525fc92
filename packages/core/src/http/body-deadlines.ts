// One timer per body timeout length serves every body being read: a `setTimeout` and its
// `clearTimeout` per delivery cost about as much as reading a 1 KB body from its stream
// (bench: compare-core-builds, stream mode). A body is refused at most one tick (a thirty-second of
// the timeout) after its deadline: 300–310 ms for a timeout of 300 ms.
const TICKS_PER_TIMEOUT = 32;

/** A body being read: refused by {@link BodyDeadline.expire} once its deadline has passed. */
export interface BodyDeadline {
  /** On the {@link deadlineClock}. */
  readonly deadline: number;
  expire(): void;
}

type Ticker = {
  timer: ReturnType<typeof setInterval>;
  reads: Set<BodyDeadline>;
  /** The timer functions it was made with: a test's fake ones, or the real ones. */
  setInterval: typeof setInterval;
  clearInterval: typeof clearInterval;
};
const tickers = new Map<number, Ticker>();

/** Monotonic, so a wall-clock jump neither refuses a body early nor keeps a stalled one. */
export function deadlineClock(): number {
  return globalThis.performance.now();
}

function tickPeriod(timeoutMs: number): number {
  return Math.max(1, Math.ceil(timeoutMs / TICKS_PER_TIMEOUT));
}

/**
 * Watches `read` until {@link unwatchDeadline}; `read.expire()` is called (once) after its deadline.
 * The ticker stops at the first tick that finds nothing to watch, so no timer outlives its work by
 * more than a tick, and it is unref'd, so it never holds the process open.
 */
export function watchDeadline(read: BodyDeadline, timeoutMs: number): void {
  let ticker = tickers.get(timeoutMs);
  // A ticker made under a test's fake timers is replaced once real timers are back, and vice versa.
  if (ticker !== undefined && ticker.setInterval !== globalThis.setInterval) {
    ticker.clearInterval.call(globalThis, ticker.timer);
    const pending = ticker.reads;
    ticker = fresh(timeoutMs);
    for (const waiting of pending) ticker.reads.add(waiting);
    pending.clear();
  }
  (ticker ?? fresh(timeoutMs)).reads.add(read);
}

/** Stops watching `read`; its deadline no longer matters. */
export function unwatchDeadline(read: BodyDeadline, timeoutMs: number): void {
  tickers.get(timeoutMs)?.reads.delete(read);
}

function fresh(timeoutMs: number): Ticker {
  const reads = new Set<BodyDeadline>();
  const stop = globalThis.clearInterval;
  const timer = setInterval(() => {
    if (reads.size === 0) {
      stop.call(globalThis, timer);
      if (tickers.get(timeoutMs)?.timer === timer) tickers.delete(timeoutMs);
      return;
    }
    const now = deadlineClock();
    for (const read of reads) {
      if (read.deadline > now) continue;
      reads.delete(read);
      read.expire();
    }
  }, tickPeriod(timeoutMs));
  (timer as { unref?: () => void }).unref?.();
  const ticker: Ticker = { timer, reads, setInterval: globalThis.setInterval, clearInterval: stop };
  tickers.set(timeoutMs, ticker);
  return ticker;
}
