import { WebhookError } from '@hookguard/core';
import type { Pool, PoolClient } from 'pg';
import { storeError } from './store-error.js';

/** A client checked out of the pool, with the time left of the operation's budget. */
export type CheckedOut = {
  client: PoolClient;
  /**
   * Milliseconds left of `timeoutMs` after the wait for the client, rounded down to a 64th of
   * `timeoutMs` ({@link remainingAfterWait}); `0` when unlimited.
   */
  remainingMs: number;
};

/**
 * What is left of a `timeoutMs` budget after `waitedMs`, rounded down to a 64th of the budget, so
 * the statement never outlives the operation's bound (under a 64th left: that, at least 1 ms). pg arms a timer per
 * statement for it, and Node keeps one timer list per distinct duration: a duration of its own
 * for every statement made by a pool that was just waited on cost about 7 µs of CPU per
 * statement at 64 in flight (BENCHMARKS.md, B6), a rounded one almost nothing.
 *
 * @example
 * ```ts
 * remainingAfterWait(5_000, 12.5); // 4_977: 63 steps of 79 ms
 * ```
 */
export function remainingAfterWait(timeoutMs: number, waitedMs: number): number {
  const step = Math.ceil(timeoutMs / 64);
  const left = timeoutMs - waitedMs;
  return left < step ? Math.max(1, Math.floor(left)) : Math.floor(left / step) * step;
}

/**
 * Checks a client out of `pool`, waiting at most `timeoutMs` (`0`: as long as the pool does).
 * pg's pool waits forever by default (`connectionTimeoutMillis: 0`), and a statement's timeout
 * starts only once a client is out, so without this bound a full pool hangs every operation
 * (issue 15, item 3). A client that arrives after the deadline goes straight back to the pool.
 *
 * `onError` is attached before anyone else can see the client: pg emits a dropped connection's
 * error on the client, and without a listener that error crashes the process. The callback form,
 * not `await pool.connect()`: the error can arrive in the same socket read as the answer that
 * freed the client, before an await resumes.
 *
 * @example
 * ```ts
 * const { client } = await checkout(pool, 'claim', 5_000, (error) => log(error));
 * ```
 */
export function checkout(pool: Pool, operation: string, timeoutMs: number, onError: (error: Error) => void): Promise<CheckedOut> {
  return new Promise((resolve, reject) => {
    let settled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    // With an idle client the pool hands it over at once; only a wait needs a deadline (and a clock).
    const started = timeoutMs > 0 && pool.idleCount === 0 ? performance.now() : undefined;
    if (started !== undefined) {
      timer = setTimeout(() => {
        settled = true;
        reject(
          new WebhookError(
            'ERR_HOOKGUARD_STORE_UNAVAILABLE',
            `PostgresStore ${operation} failed: no pool client became free within statementTimeoutMs (${timeoutMs} ms; the pool has ${pool.totalCount} of its clients out and ${pool.waitingCount} callers waiting). Raise the pool's max, or make transactional handlers shorter: each holds a client while it runs.`,
          ),
        );
      }, timeoutMs);
    }
    pool.connect((error: Error | undefined, client: PoolClient | undefined, release: (error?: Error | boolean) => void) => {
      if (timer !== undefined) clearTimeout(timer);
      if (error !== undefined || client === undefined) {
        if (!settled) reject(storeError(operation, error, timeoutMs));
        settled = true;
        return;
      }
      if (settled) {
        release();
        return;
      }
      settled = true;
      client.on('error', onError);
      const remainingMs = started === undefined ? timeoutMs : remainingAfterWait(timeoutMs, performance.now() - started);
      resolve({ client, remainingMs });
    });
  });
}
