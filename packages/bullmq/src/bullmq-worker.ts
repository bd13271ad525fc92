import { CLOSING, consoleLogger, describeError, JobLocks, JobRun, lockClock, retryDelayAfter, whileWaiting, type HeldLock, type JobProcessor, type QueuedEvent, type QueueWorker, type QueueWorkOptions } from '@hookguard/core';
import { DelayedError, ErrorCode, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { ResolvedBullMQOptions } from './bullmq-queue.js';

/** How long a closing worker with no run left waits for BullMQ's own close. */
const STUCK_CLOSE_MS = 3_000;
const QUEUE = 'bullmq';

/** BullMQ's answers to a command on a job whose lock the worker no longer holds. */
const NOT_HELD = new Set<unknown>([ErrorCode.JobNotExist, ErrorCode.JobLockNotExist, ErrorCode.JobNotInState, ErrorCode.JobLockMismatch]);

/**
 * Starts a BullMQ Worker that runs `processor` under hookguard's contract: the attempt counts every
 * started run (one lost to a dead worker too), retries wait `retryDelayAfter` (BullMQ's custom
 * backoff strategy; `minDelayMs` for a job refused as another receiver's), the last attempt's
 * failure is unrecoverable (BullMQ keeps the job as failed: the dead letter), and the signal
 * aborts when the lock is lost, when it may have lapsed, or when the close grace ends. A job whose
 * run was aborted by close goes back to the queue at once without counting as a failure. A job
 * BullMQ fails without a run (stalled more than `maxStalledCount` times) goes to the processor's
 * `deadLettered`.
 *
 * The locks are renewed here rather than by BullMQ's own renewal, which neither fails nor reports
 * anything while Redis is unreachable (its renewal command waits in ioredis's offline queue), so a
 * run cut off from Redis kept running while another worker's stalled-job check handed its job on.
 */
export async function startWorker(options: ResolvedBullMQOptions, processor: JobProcessor, work: QueueWorkOptions): Promise<QueueWorker> {
  const { retry } = work;
  const { lockDurationMs } = options;
  const logger = options.logger ?? work.logger ?? consoleLogger;
  // BullMQ workers need maxRetriesPerRequest: null; the user's client is theirs, so use a copy.
  const connection = options.connection.duplicate({ maxRetriesPerRequest: null });
  let handingBack = false;
  /** Runs of this worker's processor that have not returned. */
  const runs = new Set<JobRun>();

  const locks = new JobLocks<string>({
    queue: QUEUE,
    lockMs: lockDurationMs,
    logger,
    remedy: 'raise lockDurationMs',
    renew: async (runs) => {
      // One command for every running job, as BullMQ's own renewal sends; it answers the ids it could not extend.
      const failed = new Set(await worker.extendJobLocks(runs.map((run) => run.jobId), runs.map((run) => run.token), lockDurationMs));
      const held = new Map<HeldLock<string>, string>();
      for (const run of runs) if (!failed.has(run.jobId)) held.set(run, run.token);
      return held;
    },
  });

  // Two declared parameters: BullMQ makes an AbortController per job only for processors that
  // take a third; the close grace aborts the runs itself (`runs`), and a run's own signal is made
  // only when read.
  const run = async (job: Job<QueuedEvent>, token: string | undefined): Promise<void> => {
    const current = new JobRun(Math.max(1, job.attemptsStarted ?? job.attemptsMade + 1));
    runs.add(current);
    const held =
      job.id === undefined || token === undefined ? undefined : locks.hold(job.id, job.data.key, token, takenAt(job, lockDurationMs), (reason) => current.abort(reason));
    try {
      await processor(job.data, current);
    } catch (error) {
      if (handingBack && current.closing && token !== undefined) {
        await job.moveToDelayed(Date.now(), token);
        throw new DelayedError(CLOSING);
      }
      if (current.attempt >= retry.attempts) throw new UnrecoverableError(describe(error));
      throw error instanceof Error ? error : new Error(describe(error));
    } finally {
      runs.delete(current);
      // BullMQ records the outcome right after: the lock needs no renewal for that.
      if (held !== undefined) void locks.release(held);
    }
  };

  const worker = new Worker<QueuedEvent>(options.name, run, {
    connection,
    prefix: options.prefix,
    concurrency: work.concurrency,
    lockDuration: lockDurationMs,
    skipLockRenewal: true,
    stalledInterval: options.stalledIntervalMs,
    maxStalledCount: options.maxStalledCount,
    settings: { backoffStrategy: (attemptsMade: number, _type?: string, error?: Error) => retryDelayAfter(error, attemptsMade, retry) },
  });
  // Without a listener BullMQ's 'error' event would throw. What it reports: a run's outcome that
  // could not be recorded (the worker no longer held the job), and connection failures, which
  // BullMQ and ioredis retry themselves (logged at most once per lock length).
  let lastOutcomeFailure: string | undefined;
  let unloggedErrors = 0;
  let errorLoggedAt = Number.NEGATIVE_INFINITY;
  worker.on('error', (error: Error) => {
    const description = describeError(error);
    if (NOT_HELD.has((error as { code?: unknown }).code)) {
      // BullMQ reports a refused completion twice (completing, then failing with that error).
      if (description === lastOutcomeFailure) return;
      lastOutcomeFailure = description;
      logger.error(
        { code: 'ERR_HOOKGUARD_LEASE_LOST', queue: QUEUE, error: description },
        "could not record a run's outcome: the worker no longer held the job's lock, so the job runs again (stalled-job recovery), or already runs on another worker",
      );
      return;
    }
    unloggedErrors += 1;
    if (lockClock() - errorLoggedAt < lockDurationMs) return;
    logger.warn({ code: 'ERR_HOOKGUARD_QUEUE_UNAVAILABLE', queue: QUEUE, errors: unloggedErrors, error: description }, 'the BullMQ worker reported an error; it retries connection failures itself');
    unloggedErrors = 0;
    errorLoggedAt = lockClock();
  });
  // A job that stalled more than maxStalledCount times (its worker died or lost the lock each time)
  // is failed by BullMQ itself at its next fetch, without calling `run`: its deferred failure.
  // Reported once BullMQ has recorded it, as a last failure is (onDeadLetter, the logs).
  const reports = new Set<Promise<void>>();
  worker.on('failed', (job: Job<QueuedEvent> | undefined) => {
    const reason = job?.deferredFailure;
    if (job === undefined || reason === undefined || reason === '' || processor.deadLettered === undefined) return;
    const report = processor
      .deadLettered(job.data, { attempt: Math.max(1, job.attemptsStarted ?? job.attemptsMade + 1), reason })
      .catch((error: unknown) => logger.error({ code: 'ERR_HOOKGUARD_INTERNAL', queue: QUEUE, jobId: job.id, error: describeError(error) }, 'could not report a dead-lettered job'))
      .finally(() => reports.delete(report));
    reports.add(report);
  });
  // BullMQ waits for Redis as long as it takes, and a stalled Redis reports no error.
  await whileWaiting(worker.waitUntilReady(), lockDurationMs, (waitedMs) =>
    logger.warn(
      { code: 'ERR_HOOKGUARD_QUEUE_UNAVAILABLE', queue: QUEUE, waitedMs },
      `the BullMQ worker has waited ${waitedMs} ms for Redis to answer and is not running yet; it keeps waiting. Check that Redis is reachable and not stalled`,
    ),
  );

  return {
    async close(closeOptions = {}): Promise<void> {
      const { graceMs } = closeOptions;
      const timer =
        graceMs === undefined
          ? undefined
          : setTimeout(() => {
              handingBack = true;
              for (const current of runs) current.close();
            }, graceMs);
      try {
        // BullMQ's close() never returns when it is called while the worker's blocking connection
        // waits between reconnection attempts (a Redis outage, or the moments after one): ioredis
        // emits no 'end' for a client disconnected then. Once no run of ours is left, nothing
        // remains to wait for but that: give up after a while, and say so.
        const stuck = idleFor(() => runs.size === 0, STUCK_CLOSE_MS);
        const closed = await Promise.race([worker.close().then(() => true), stuck.elapsed]).finally(stuck.stop);
        if (!closed) {
          logger.warn(
            { code: 'ERR_HOOKGUARD_QUEUE_UNAVAILABLE', queue: QUEUE, waitedMs: STUCK_CLOSE_MS },
            `the BullMQ worker had no job left but did not finish closing within ${STUCK_CLOSE_MS} ms (its Redis connection was reconnecting); closed without it`,
          );
        }
      } finally {
        clearTimeout(timer);
        locks.stop();
        await Promise.all(reports);
        await connection.quit().catch(() => connection.disconnect());
      }
    },
  };
}

/**
 * When the command that took the job's lock was sent, on {@link lockClock}: BullMQ stamps the job's
 * `processedOn` with this process's clock just before sending it, and Redis starts the lock on receipt.
 */
function takenAt(job: Job, lockMs: number): number {
  const now = lockClock();
  if (job.processedOn === undefined) return now;
  // Bounded: a wall-clock jump between the two readings could make the difference negative or larger than the lock.
  return now - Math.min(lockMs, Math.max(0, Date.now() - job.processedOn));
}

/** `elapsed` resolves `false` once `idle()` has held for `ms` without a break (checked every 100 ms). */
function idleFor(idle: () => boolean, ms: number): { elapsed: Promise<false>; stop: () => void } {
  let timer: ReturnType<typeof setInterval> | undefined;
  const elapsed = new Promise<false>((resolve) => {
    let since: number | undefined;
    timer = setInterval(() => {
      if (!idle()) since = undefined;
      else if ((since ??= lockClock()) + ms <= lockClock()) {
        clearInterval(timer);
        resolve(false);
      }
    }, 100);
    timer.unref();
  });
  return { elapsed, stop: () => clearInterval(timer) };
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message === '' ? error.name : error.message;
  return String(error);
}
