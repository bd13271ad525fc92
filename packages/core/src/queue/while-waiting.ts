import { lockClock } from './job-locks.js';

/**
 * `work`, calling `stillWaiting` with the milliseconds waited every `everyMs` until it settles.
 * A queue engine starting on a database or Redis that takes connections and never answers (stalled,
 * or behind a dead proxy) waits without an error, and `receiver.work()` would stay pending
 * without a word; the queue packages say so through this.
 *
 * @example
 * ```ts
 * await whileWaiting(worker.waitUntilReady(), 30_000, (waitedMs) => logger.warn({ waitedMs }, 'still waiting for Redis'));
 * ```
 */
export async function whileWaiting<T>(work: Promise<T>, everyMs: number, stillWaiting: (waitedMs: number) => void): Promise<T> {
  const started = lockClock();
  const timer = setInterval(() => stillWaiting(Math.round(lockClock() - started)), everyMs);
  timer.unref?.();
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}
