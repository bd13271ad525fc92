import { CLOSING, consoleLogger, describeError, JobLocks, JobRun, lockClock, retryDelayAfter, type HeldLock, type JobProcessor, type Logger, type QueuedEvent, type QueueWorker, type QueueWorkOptions } from '@hookguard/core';
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
  /** `expireInSeconds` in milliseconds: how long a job's lock lasts without a heartbeat. */
  lockMs: number;
  logger: Logger | undefined;
};

const QUEUE = 'pg-boss';

/** What a run leaves: its job completed, retried later, dead-lettered, or handed back by a closing worker. */
type Outcome = 'completed' | 'retry' | 'dead' | 'handed back';

/**
 * Runs jobs fetched with pg-boss's `fetch` (`FOR UPDATE SKIP LOCKED`: one run per job across every
 * worker) up to `concurrency` at once. It fetches again as soon as a slot frees and there was work,
 * and waits `pollIntervalMs` only when the queue was empty. The running jobs' locks (`started_on`)
 * are renewed together every third of `expireInSeconds`; a run whose lock was taken, or whose lock
 * has had no renewal confirmed for nearly `expireInSeconds` (PostgreSQL unreachable: pg-boss's
 * maintenance may then expire the job and another worker run it), sees its signal abort.
 */
export async function startWorker(scope: WorkerScope, processor: JobProcessor, work: QueueWorkOptions): Promise<QueueWorker> {
  const { boss, pool, name, statements } = scope;
  const logger = scope.logger ?? work.logger ?? consoleLogger;
  const running = new Set<Promise<void>>();
  /** Runs of the processor that have not returned; the close grace aborts them. */
  const runs = new Set<JobRun>();
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

  const locks = new JobLocks<Date>({
    queue: QUEUE,
    lockMs: scope.lockMs,
    logger,
    remedy: 'raise expireInSeconds',
    renew: async (runs) => {
      const { rows } = await pool.query<{ id: string; started_on: Date }>(statements.heartbeat, [name, runs.map((run) => run.jobId), runs.map((run) => run.token)]);
      const renewed = new Map(rows.map((row) => [row.id, row.started_on]));
      const held = new Map<HeldLock<Date>, Date>();
      for (const run of runs) {
        const token = renewed.get(run.jobId);
        if (token !== undefined) held.set(run, token);
      }
      return held;
    },
  });

  const complete = completer(pool, statements.complete, name);
  const settle = async (id: string, token: Date, outcome: Outcome, message: string, delayMs = 0): Promise<boolean> => {
    if (outcome === 'completed') return complete(id, token);
    const { rowCount } = await pool.query(statements.fail, [name, id, token, outcome === 'dead', delayMs, errorOutput(message, outcome === 'handed back')]);
    return (rowCount ?? 0) > 0;
  };
  /** Records a run's outcome, and says what it means when that fails: the job runs again. `true` once recorded. */
  const record = async (id: string, key: string | undefined, token: Date, outcome: Outcome, message = '', delayMs = 0): Promise<boolean> => {
    try {
      if (await settle(id, token, outcome, message, delayMs)) return true;
      logger.warn(
        { code: 'ERR_HOOKGUARD_LEASE_LOST', queue: QUEUE, jobId: id, key, outcome },
        `did not record a run's outcome (${outcome}): the job's lock had passed to another run (it expired meanwhile), whose outcome counts`,
      );
    } catch (error) {
      logger.error(
        { code: 'ERR_HOOKGUARD_QUEUE_UNAVAILABLE', queue: QUEUE, jobId: id, key, outcome, error: describeError(error) },
        `could not record a run's outcome (${outcome}): the job stays active until its lock expires (expireInSeconds), then runs again`,
      );
    }
    return false;
  };

  const runJob = async (job: PgBoss.JobWithMetadata<JobData>, takenAt: number): Promise<void> => {
    const attempt = job.retryCount + 1;
    const event = readEvent(job.data);
    const key = event instanceof Error ? undefined : event.key;
    if (attempt > work.retry.attempts && !wasHandedBack(job.output)) {
      // Its runs were lost, not failed (workers died or lost the lock), until no attempt was left:
      // a job that kills its worker every time must not kill every worker in turn. Reported once it is
      // dead (onDeadLetter, the logs), as a last failure is; a job another run holds by now is not.
      const reason = `ran out of attempts (${work.retry.attempts}): its last runs were lost to a worker that died or lost the lock`;
      if ((await record(job.id, key, job.startedOn, 'dead', reason)) && !(event instanceof Error)) await processor.deadLettered?.(event, { attempt, reason });
      return;
    }
    // The run's signal is made only when the handler reads it (JobRun).
    const run = new JobRun(attempt);
    runs.add(run);
    const held = locks.hold(job.id, key, job.startedOn, takenAt, (reason) => run.abort(reason), lockMsOf(job));
    let failure: { error: unknown } | undefined;
    try {
      if (event instanceof Error) throw event;
      await processor(event, run);
    } catch (error) {
      failure = { error };
    } finally {
      runs.delete(run);
    }
    const token = await locks.release(held);
    if (failure === undefined) {
      await record(job.id, key, token, 'completed');
      return;
    }
    const message = describe(failure.error);
    if (handingBack && run.closing) await record(job.id, key, token, 'handed back', message);
    else if (attempt >= work.retry.attempts) await record(job.id, key, token, 'dead', message);
    else await record(job.id, key, token, 'retry', message, retryDelayAfter(failure.error, attempt, work.retry));
  };

  let fetchFailedLoggedAt = Number.NEGATIVE_INFINITY;
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
      // The fetch starts each job's lock (started_on = now()) on receipt, never before it was sent.
      const takenAt = lockClock();
      try {
        jobs = (await boss.fetch<JobData>(name, { batchSize: free, includeMetadata: true })) ?? [];
      } catch (error) {
        // The database is unreachable: try again after a poll interval, saying so once per lock length.
        if (lockClock() - fetchFailedLoggedAt >= scope.lockMs) {
          fetchFailedLoggedAt = lockClock();
          logger.warn({ code: 'ERR_HOOKGUARD_QUEUE_UNAVAILABLE', queue: QUEUE, error: describeError(error) }, `could not fetch jobs; retrying every ${scope.pollIntervalMs} ms`);
        }
      }
      if (closing) {
        // Fetched while closing: hand them back untouched.
        for (const job of jobs) await record(job.id, readKey(job.data), job.startedOn, 'handed back', CLOSING);
        break;
      }
      for (const job of jobs) {
        const promise: Promise<void> = runJob(job, takenAt)
          .catch((error: unknown) => logger.error({ code: 'ERR_HOOKGUARD_INTERNAL', queue: QUEUE, jobId: job.id, error: describeError(error) }, 'a job run failed unexpectedly; its lock expires and the job runs again'))
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
              for (const run of runs) run.close();
            }, options.graceMs);
      try {
        await looping;
        await Promise.all(running);
      } finally {
        clearTimeout(timer);
        locks.stop();
      }
    },
  };
}

/**
 * Completes the runs that finish within one turn of the event loop in one statement, as pg-boss's
 * own `complete(name, ids)` does for a batch, instead of one round trip each. Resolves `false` for
 * a run that no longer held its job.
 */
function completer(pool: Pool, statement: string, name: string): (id: string, token: Date) => Promise<boolean> {
  let batch: { ids: string[]; tokens: Date[]; done: Promise<Set<string>> } | undefined;
  return async (id, token) => {
    if (batch === undefined) {
      const ids: string[] = [];
      const tokens: Date[] = [];
      const done = new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
        batch = undefined;
        const { rows } = await pool.query<{ id: string }>(statement, [name, ids, tokens]);
        return new Set(rows.map((row) => row.id));
      });
      batch = { ids, tokens, done };
    }
    batch.ids.push(id);
    batch.tokens.push(token);
    return (await batch.done).has(id);
  };
}

/** How long a job's lock lasts: its own `expire_in`, which the queue's option set when it was sent. */
function lockMsOf(job: PgBoss.JobWithMetadata<JobData>): number | undefined {
  // EXTRACT(epoch …) is a numeric, which pg returns as a string.
  const seconds = Number(job.expireInSeconds);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
}

function readEvent(data: JobData): QueuedEvent | Error {
  try {
    return fromJobData(data);
  } catch (error) {
    return error instanceof Error ? error : new Error(describeError(error));
  }
}

function readKey(data: JobData): string | undefined {
  const event = readEvent(data);
  return event instanceof Error ? undefined : event.key;
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message === '' ? error.name : error.message;
  return String(error);
}
