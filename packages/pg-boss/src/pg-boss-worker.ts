import { retryDelayMs, type JobProcessor, type QueueWorker, type QueueWorkOptions } from '@hookguard/core';
import type PgBoss from 'pg-boss';
import type { Pool } from 'pg';
import { errorOutput, fromJobData, wasHandedBack, type JobData, type JobStatements } from './job-statements.js';

/** What a worker needs from its queue. */
export type WorkerScope = {
  boss: PgBoss;
  pool: Pool;
  name: string;
  statements: JobStatements;
  pollIntervalMs: number;
  heartbeatMs: number;
};

const CLOSING = 'the worker is closing';

/**
 * Runs jobs fetched with pg-boss's `fetch` (`FOR UPDATE SKIP LOCKED`: one run per job across every
 * worker) up to `concurrency` at once. It fetches again as soon as a slot frees and there was work,
 * and waits `pollIntervalMs` only when the queue was empty. Each running job renews its lock
 * (`started_on`) every `heartbeatMs`; a lost lock aborts the job's signal.
 */
export async function startWorker(scope: WorkerScope, processor: JobProcessor, work: QueueWorkOptions): Promise<QueueWorker> {
  const { boss, pool, name, statements } = scope;
  const running = new Set<Promise<void>>();
  const controllers = new Set<AbortController>();
  let closing = false;
  let handingBack = false;
  let wake: (() => void) | undefined;
  const nap = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const complete = completer(pool, statements.complete, name);
  const settle = async (id: string, token: Date, dead: boolean, delayMs: number, message: string | undefined, handedBack = false): Promise<void> => {
    if (message === undefined) await complete(id, token);
    else await pool.query(statements.fail, [name, id, token, dead, delayMs, errorOutput(message, handedBack)]);
  };

  const runJob = async (job: PgBoss.JobWithMetadata<JobData>): Promise<void> => {
    let token = job.startedOn;
    const attempt = job.retryCount + 1;
    if (attempt > work.retry.attempts && !wasHandedBack(job.output)) {
      // Its runs were lost, not failed (workers died or lost the lock), until no attempt was left:
      // a job that kills its worker every time must not kill every worker in turn.
      await settle(job.id, token, true, 0, `ran out of attempts (${work.retry.attempts}): its last runs were lost to a worker that died or lost the lock`);
      return;
    }
    const controller = new AbortController();
    controllers.add(controller);
    const heartbeat = setInterval(() => {
      pool.query<{ started_on: Date }>(statements.heartbeat, [name, job.id, token]).then(
        (result) => {
          const renewed = result.rows[0]?.started_on;
          if (renewed === undefined) controller.abort(new Error('the job lock was lost'));
          else token = renewed;
        },
        () => undefined, // a failed renewal is retried at the next beat; expiry decides in the end
      );
    }, scope.heartbeatMs);
    try {
      await processor(fromJobData(job.data), { attempt, signal: controller.signal });
      clearInterval(heartbeat);
      await settle(job.id, token, false, 0, undefined);
    } catch (error) {
      clearInterval(heartbeat);
      const message = describe(error);
      if (handingBack && controller.signal.aborted) await settle(job.id, token, false, 0, message, true);
      else if (attempt >= work.retry.attempts) await settle(job.id, token, true, 0, message);
      else await settle(job.id, token, false, retryDelayMs(attempt, work.retry), message);
    } finally {
      clearInterval(heartbeat);
      controllers.delete(controller);
    }
  };

  const loop = async (): Promise<void> => {
    while (!closing) {
      const free = work.concurrency - running.size;
      if (free <= 0) {
        await Promise.race(running);
        // Runs that finished together complete in one statement: fetch once for all their slots.
        await new Promise((resolve) => setImmediate(resolve));
        continue;
      }
      let jobs: PgBoss.JobWithMetadata<JobData>[] = [];
      try {
        jobs = (await boss.fetch<JobData>(name, { batchSize: free, includeMetadata: true })) ?? [];
      } catch {
        // The database is unreachable: try again after a poll interval.
      }
      if (closing) {
        // Fetched while closing: hand them back untouched.
        for (const job of jobs) await settle(job.id, job.startedOn, false, 0, CLOSING, true).catch(() => undefined);
        break;
      }
      for (const job of jobs) {
        const promise: Promise<void> = runJob(job)
          .catch(() => undefined) // settling failed (database down): expiry runs the job again
          .finally(() => running.delete(promise));
        running.add(promise);
      }
      if (jobs.length === 0) await nap(scope.pollIntervalMs);
    }
  };
  const looping = loop();

  return {
    async close(options = {}): Promise<void> {
      closing = true;
      wake?.();
      const timer =
        options.graceMs === undefined
          ? undefined
          : setTimeout(() => {
              handingBack = true;
              for (const controller of controllers) controller.abort(new Error(CLOSING));
            }, options.graceMs);
      try {
        await looping;
        await Promise.all(running);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/**
 * Completes the runs that finish within one turn of the event loop in one statement, as pg-boss's
 * own `complete(name, ids)` does for a batch, instead of one round trip each.
 */
function completer(pool: Pool, statement: string, name: string): (id: string, token: Date) => Promise<void> {
  let batch: { ids: string[]; tokens: Date[]; done: Promise<void> } | undefined;
  return (id, token) => {
    if (batch === undefined) {
      const ids: string[] = [];
      const tokens: Date[] = [];
      const done = new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
        batch = undefined;
        await pool.query(statement, [name, ids, tokens]);
      });
      batch = { ids, tokens, done };
    }
    batch.ids.push(id);
    batch.tokens.push(token);
    return batch.done;
  };
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message === '' ? error.name : error.message;
  return String(error);
}
