import { SharedTickers, tickerClock } from '../timers/shared-tickers.js';

// A body is refused at most one tick (a thirty-second of the timeout) after its deadline: 300–310
// ms for a timeout of 300 ms. Where timers belong to the process, one timer per tick length serves
// every body being read: a `setTimeout` and its `clearTimeout` per delivery cost about as much as
// reading a 1 KB body from its stream (bench: compare-core-builds, stream mode).
const TICKS_PER_TIMEOUT = 32;

/** A body being read: refused by {@link BodyDeadline.expire} once its deadline has passed. */
export interface BodyDeadline {
  /** On the {@link deadlineClock}. */
  readonly deadline: number;
  expire(): void;
}

const watched = new SharedTickers<BodyDeadline>((read, now) => {
  if (read.deadline > now) return;
  watched.leave(read);
  read.expire();
});

/** Monotonic, so a wall-clock jump neither refuses a body early nor keeps a stalled one. */
export const deadlineClock = tickerClock;

/** Watches `read` until {@link unwatchDeadline}; `read.expire()` is called (once) after its deadline. */
export function watchDeadline(read: BodyDeadline, timeoutMs: number): void {
  watched.join(read, Math.max(1, Math.ceil(timeoutMs / TICKS_PER_TIMEOUT)));
}

/** Stops watching `read`; its deadline no longer matters. */
export function unwatchDeadline(read: BodyDeadline): void {
  watched.leave(read);
}
