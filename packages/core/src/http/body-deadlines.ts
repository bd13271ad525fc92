import { timersBelongToProcess } from '../timers/process-timers.js';

// Where timers belong to the process (Node, Bun), one timer per body timeout length serves every
// body being read: a `setTimeout` and its `clearTimeout` per delivery cost about as much as reading
// a 1 KB body from its stream (bench: compare-core-builds, stream mode). A body is refused at most
// one tick (a thirty-second of the timeout) after its deadline: 300–310 ms for a timeout of 300 ms.
// Elsewhere (Workers, whose timers die with the request that made them; Deno) each body being read
// has a timer of its own.
const TICKS_PER_TIMEOUT = 32;

/** A body being read: refused by {@link BodyDeadline.expire} once its deadline has passed. */
export interface BodyDeadline {
  /** On the {@link deadlineClock}. */
  readonly deadline: number;
  expire(): void;
}

/** What {@link watchDeadline} keeps on a watched read. */
type Watched = BodyDeadline & {
  /** Its place in its ticker's `reads`. */
  [INDEX]?: number | undefined;
  /** Its own timer, where timers belong to a request. */
  [OWN_TIMER]?: ReturnType<typeof setTimeout> | undefined;
};
const INDEX = Symbol('index');
const OWN_TIMER = Symbol('own timer');

type Ticker = {
  timer: ReturnType<typeof setInterval>;
  /**
   * The reads being watched, each knowing its index: an array, since a `Set` that one delivery
   * joins and leaves reallocates its table as it empties and fills.
   */
  reads: Watched[];
  /** The timer functions it was made with: a test's fake ones, or the real ones. */
  setInterval: typeof setInterval;
  clearInterval: typeof clearInterval;
  /** When it last ticked (or was made), on {@link deadlineClock}. */
  tickedAt: number;
  period: number;
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
 * A shared ticker stops at the first tick that finds nothing to watch, so no timer outlives its
 * work by more than a tick, and it is unref'd, so it never holds the process open.
 */
export function watchDeadline(read: BodyDeadline, timeoutMs: number): void {
  const watched = read as Watched;
  if (!timersBelongToProcess()) {
    watched[OWN_TIMER] = setTimeout(() => {
      watched[OWN_TIMER] = undefined;
      watched.expire();
    }, Math.max(0, watched.deadline - deadlineClock()));
    return;
  }
  let ticker = tickers.get(timeoutMs);
  // A ticker made under a test's fake timers is replaced once real timers are back, and vice versa;
  // so is one that stopped ticking (a runtime that dropped it).
  if (ticker !== undefined && (ticker.setInterval !== globalThis.setInterval || deadlineClock() - ticker.tickedAt > 2 * ticker.period)) {
    ticker.clearInterval.call(globalThis, ticker.timer);
    const pending = ticker.reads;
    ticker = fresh(timeoutMs, pending);
  }
  ticker ??= fresh(timeoutMs, []);
  watched[INDEX] = ticker.reads.push(watched) - 1;
}

/** Stops watching `read`; its deadline no longer matters. */
export function unwatchDeadline(read: BodyDeadline, timeoutMs: number): void {
  const watched = read as Watched;
  const own = watched[OWN_TIMER];
  if (own !== undefined) {
    clearTimeout(own);
    watched[OWN_TIMER] = undefined;
    return;
  }
  const ticker = tickers.get(timeoutMs);
  if (ticker !== undefined) leave(ticker.reads, watched);
}

/** Takes `read` out of `reads` by swapping the last one into its place: no search, no reallocation. */
function leave(reads: Watched[], read: Watched): void {
  const index = read[INDEX];
  if (index === undefined || reads[index] !== read) return;
  read[INDEX] = undefined;
  const last = reads.pop()!;
  if (last !== read) {
    reads[index] = last;
    last[INDEX] = index;
  }
}

function fresh(timeoutMs: number, reads: Watched[]): Ticker {
  const period = tickPeriod(timeoutMs);
  const ticker: Ticker = { timer: undefined as never, reads, setInterval: globalThis.setInterval, clearInterval: globalThis.clearInterval, tickedAt: deadlineClock(), period };
  // Called on globalThis: some runtimes refuse a timer function called on another object.
  ticker.timer = ticker.setInterval.call(globalThis, () => {
    const now = deadlineClock();
    ticker.tickedAt = now;
    if (reads.length === 0) {
      ticker.clearInterval.call(globalThis, ticker.timer);
      if (tickers.get(timeoutMs) === ticker) tickers.delete(timeoutMs);
      return;
    }
    for (const read of reads.slice()) {
      if (read.deadline > now) continue;
      leave(reads, read);
      read.expire();
    }
  }, period);
  (ticker.timer as { unref?: () => void }).unref?.();
  tickers.set(timeoutMs, ticker);
  return ticker;
}
