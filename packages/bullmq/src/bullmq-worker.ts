import { retryDelayMs, type JobProcessor, type QueuedEvent, type QueueWorker, type QueueWorkOptions } from '@hookguard/core';
import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { ResolvedBullMQOptions } from './bullmq-queue.js';

const CLOSING = 'the worker is closing';

/**
 * Starts a BullMQ Worker that runs `processor` under hookguard's contract: the attempt counts every
 * started run (one lost to a dead worker too), retries wait `retryDelayMs` (BullMQ's custom backoff
 * strategy), the last attempt's failure is unrecoverable (BullMQ keeps the job as failed: the dead
 * letter), and the signal aborts when the lock is lost or the close grace ends. A job whose run was
 * aborted by close goes back to the queue at once without counting as a failure.
 */
export async function startWorker(options: ResolvedBullMQOptions, processor: JobProcessor, work: QueueWorkOptions): Promise<QueueWorker> {
  const { retry } = work;
  // BullMQ workers need maxRetriesPerRequest: null; the user's client is theirs, so use a copy.
  const connection = options.connection.duplicate({ maxRetriesPerRequest: null });
  let handingBack = false;

  // Three declared parameters: BullMQ passes the abort signal only to processors that take it.
  const run = async (job: Job<QueuedEvent>, token: string | undefined, signal: AbortSignal | undefined): Promise<void> => {
    const attempt = Math.max(1, job.attemptsStarted ?? job.attemptsMade + 1);
    try {
      await processor(job.data, { attempt, signal: signal ?? new AbortController().signal });
    } catch (error) {
      if (handingBack && signal?.aborted === true && token !== undefined) {
        await job.moveToDelayed(Date.now(), token);
        throw new DelayedError(CLOSING);
      }
      if (attempt >= retry.attempts) throw new UnrecoverableError(describe(error));
      throw error instanceof Error ? error : new Error(describe(error));
    }
  };

  const worker = new Worker<QueuedEvent>(options.name, run, {
    connection,
    prefix: options.prefix,
    concurrency: work.concurrency,
    lockDuration: options.lockDurationMs,
    stalledInterval: options.stalledIntervalMs,
    maxStalledCount: options.maxStalledCount,
    settings: { backoffStrategy: (attemptsMade: number) => retryDelayMs(attemptsMade, retry) },
  });
  // Connection errors surface on the calls that fail; an 'error' event without a listener throws.
  worker.on('error', () => undefined);
  // Another worker may now run the job (stalled-job recovery): tell the handler to stop.
  worker.on('lockRenewalFailed', (jobIds: string[]) => {
    for (const id of jobIds) worker.cancelJob(id, 'the job lock was lost');
  });
  await worker.waitUntilReady();

  return {
    async close(closeOptions = {}): Promise<void> {
      const { graceMs } = closeOptions;
      const timer =
        graceMs === undefined
          ? undefined
          : setTimeout(() => {
              handingBack = true;
              worker.cancelAllJobs(CLOSING);
            }, graceMs);
      try {
        await worker.close();
      } finally {
        clearTimeout(timer);
        await connection.quit().catch(() => connection.disconnect());
      }
    },
  };
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message === '' ? error.name : error.message;
  return String(error);
}
