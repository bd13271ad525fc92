import {
  WebhookError,
  type JobProcessor,
  type JobState,
  type Logger,
  type QueuedEvent,
  type QueueWorker,
  type QueueWorkOptions,
  type StoredJob,
  type WebhookQueue,
  refuseUnknownOptions,
  type OptionNames,
  answeredWithin,
} from '@hookguard/core';
import { Queue, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { jobId } from './job-id.js';
import { startWorker } from './bullmq-worker.js';

/** Options for {@link BullMQQueue}. */
export type BullMQQueueOptions = {
  /**
   * Your ioredis client. The queue sends its commands on it and never closes it; each worker runs
   * on its own `duplicate()` with `maxRetriesPerRequest: null`, as BullMQ requires of workers.
   * Must not use ioredis `keyPrefix` (BullMQ refuses it): use `prefix`.
   */
  connection: Redis;
  /**
   * The BullMQ queue name; every process of one receiver uses the same, and each receiver its
   * own: receivers of several namespaces on one queue refuse each other's jobs
   * (`ERR_HOOKGUARD_QUEUE_SHARED`), which then wait for a retry.
   * @default 'hookguard'
   */
  name?: string;
  /**
   * BullMQ's key prefix.
   * @default 'bull'
   */
  prefix?: string;
  /** How long finished jobs are kept (for `find`, `replay` and refusing a second copy). */
  retention?: {
    /**
     * Completed jobs, in milliseconds. Keep it at least the store's `retentionMs`.
     * @default 259_200_000 (3 days)
     */
    completedMs?: number;
    /**
     * Dead-lettered jobs, in milliseconds; `0` keeps them until replayed or removed by hand.
     * @default 0
     */
    deadMs?: number;
  };
  /**
   * The longest `enqueue` may take. Past it, it rejects with `ERR_HOOKGUARD_QUEUE_UNAVAILABLE`, so
   * acceptance answers 503 within the provider's deadline instead of waiting for ioredis to give up
   * on an unreachable Redis. (A job whose add still lands later is refused as a second copy when the
   * provider retries.)
   * @default 5_000
   */
  enqueueTimeoutMs?: number;
  /**
   * How long a worker's lock on a running job lasts; the worker renews it every third of this
   * period. A worker that dies loses its job after this long, then stalled-job recovery runs it
   * again. A run with no renewal confirmed for five sixths of it (Redis unreachable) sees
   * `ctx.signal` abort with `ERR_HOOKGUARD_LEASE_LOST`, since another worker may then run the job.
   * @default 30_000
   */
  lockDurationMs?: number;
  /**
   * How often workers look for stalled jobs (held by a worker whose lock lapsed).
   * @default 30_000
   */
  stalledIntervalMs?: number;
  /**
   * How many times a job may stall (its worker died) before it is dead-lettered instead of run
   * again: a job that kills its worker every time must not kill every worker forever.
   * @default 3
   */
  maxStalledCount?: number;
  /**
   * Where workers report what they cannot do silently: a start still waiting for Redis (every
   * `lockDurationMs`), lock renewals that fail (at most once per `lockDurationMs`), a run aborted
   * because its lock lapsed, an outcome that could not be recorded (the job then runs again), the
   * worker's connection errors (at most once per `lockDurationMs`).
   * @default the receiver's logger (`receiver.work()` passes it), else consoleLogger
   */
  logger?: Logger;
};

type Resolved = Required<Omit<BullMQQueueOptions, 'retention' | 'logger'>> & { completedMs: number; deadMs: number; logger: Logger | undefined };

// BullMQ's own attempt limit is never reached: the worker decides the last attempt from the
// retry policy it is given (`work(…, { retry })`), which enqueue does not know.
const ENGINE_ATTEMPTS = 1_000_000;
/** The custom backoff type whose delays come from `retryDelayAfter` (see bullmq-worker.ts). */
export const BACKOFF_TYPE = 'hookguard';

const STATES: Record<string, JobState> = {
  waiting: 'waiting',
  wait: 'waiting',
  prioritized: 'waiting',
  'waiting-children': 'waiting',
  delayed: 'delayed',
  active: 'active',
  completed: 'completed',
  failed: 'dead',
};

const BULLMQ_QUEUE_OPTIONS: OptionNames<BullMQQueueOptions> = {
  connection: true,
  name: true,
  prefix: true,
  retention: true,
  enqueueTimeoutMs: true,
  lockDurationMs: true,
  stalledIntervalMs: true,
  maxStalledCount: true,
  logger: true,
};
const RETENTION_OPTIONS: OptionNames<NonNullable<BullMQQueueOptions['retention']>> = { completedMs: true, deadMs: true };

/**
 * The queue of queued mode on BullMQ (Redis). The job id is the dedup key (encoded, see `jobId`),
 * so BullMQ itself refuses a second copy of an event while it keeps the job; retries use BullMQ's
 * backoff with hookguard's delays; dead letters are BullMQ's failed jobs, kept with their data and
 * last error; a worker that dies loses its lock and BullMQ's stalled-job recovery runs the job again.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { BullMQQueue } from '@hookguard/bullmq';
 *
 * const connection = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
 * const queue = new BullMQQueue({ connection, name: 'webhooks' });
 * await queue.enqueue(event);
 * const worker = await queue.work(async (event, { attempt, signal }) => {}, {
 *   concurrency: 8,
 *   retry: { attempts: 10, minDelayMs: 1_000, maxDelayMs: 3_600_000 },
 * });
 * ```
 */
export class BullMQQueue implements WebhookQueue {
  readonly name = 'bullmq';
  readonly #options: Resolved;
  readonly #queue: Queue<QueuedEvent>;

  constructor(options: BullMQQueueOptions) {
    refuseUnknownOptions('new BullMQQueue()', options, BULLMQ_QUEUE_OPTIONS);
    refuseUnknownOptions('new BullMQQueue(): retention', options?.retention, RETENTION_OPTIONS);
    this.#options = resolve(options);
    this.#queue = new Queue<QueuedEvent>(this.#options.name, { connection: options.connection, prefix: this.#options.prefix });
    // A failing command rejects its own call; without a listener BullMQ's 'error' event would throw.
    this.#queue.on('error', () => undefined);
  }

  async enqueue(event: QueuedEvent): Promise<void> {
    const { completedMs, deadMs } = this.#options;
    // BullMQ's add of an id it still holds (any state) returns the existing job and adds nothing.
    const adding = this.#queue.add(event.type, event, {
      jobId: jobId(event.key),
      attempts: ENGINE_ATTEMPTS,
      backoff: { type: BACKOFF_TYPE },
      removeOnComplete: { age: Math.ceil(completedMs / 1000) },
      removeOnFail: deadMs > 0 ? { age: Math.ceil(deadMs / 1000) } : false,
    });
    if ((await answeredWithin(adding, this.#options.enqueueTimeoutMs)) === undefined) throw unavailable(this.#options.enqueueTimeoutMs);
  }

  async work(processor: JobProcessor, options: QueueWorkOptions): Promise<QueueWorker> {
    return startWorker(this.#options, processor, options);
  }

  async find(key: string): Promise<StoredJob | undefined> {
    const job = await this.#queue.getJob(jobId(key));
    if (job === undefined) return undefined;
    const state = await job.getState();
    // 'unknown': removed (retention) between the two reads.
    return state === 'unknown' ? undefined : storedJob(job, state);
  }

  async deadLetters(options: { limit?: number } = {}): Promise<StoredJob[]> {
    const limit = options.limit ?? 100;
    const jobs = await this.#queue.getFailed(0, limit - 1);
    return jobs.filter((job): job is Job<QueuedEvent> => job !== undefined).map((job) => storedJob(job, 'failed'));
  }

  async replay(key: string): Promise<boolean> {
    const job = await this.#queue.getJob(jobId(key));
    if (job === undefined) return false;
    const state = await job.getState();
    if (state !== 'failed' && state !== 'completed') return false;
    await job.retry(state, { resetAttemptsMade: true, resetAttemptsStarted: true });
    return true;
  }

  /** Closes the BullMQ queue object; never the connection you passed in. */
  async close(): Promise<void> {
    await this.#queue.close();
  }
}

function unavailable(timeoutMs: number): WebhookError {
  return new WebhookError(
    'ERR_HOOKGUARD_QUEUE_UNAVAILABLE',
    `BullMQQueue could not add the job within enqueueTimeoutMs (${timeoutMs} ms): Redis is unreachable or overloaded. Check the connection; raise enqueueTimeoutMs if Redis is merely slow.`,
  );
}

function storedJob(job: Job<QueuedEvent>, engineState: string): StoredJob {
  const state = STATES[engineState] ?? 'waiting';
  const failedReason = job.failedReason as string | undefined;
  return {
    event: job.data,
    state,
    // attemptsStarted counts runs lost to a dead worker too; attemptsMade only finished ones.
    attempts: Math.max(job.attemptsStarted ?? 0, job.attemptsMade),
    lastError: failedReason === undefined || failedReason === '' ? undefined : failedReason,
    updatedAt: job.finishedOn ?? job.processedOn ?? job.timestamp,
  };
}

function resolve(options: BullMQQueueOptions): Resolved {
  const connection = (options as Partial<BullMQQueueOptions> | undefined)?.connection;
  if (typeof connection?.duplicate !== 'function') {
    throw new WebhookError(
      'ERR_HOOKGUARD_INVALID_OPTIONS',
      `BullMQQueue needs \`connection\`, an ioredis client; received ${connection === undefined ? 'none' : typeof connection}. Pass new BullMQQueue({ connection: new Redis(url) }).`,
    );
  }
  const positive = (label: string, value: number | undefined, fallback: number, zero = false): number => {
    const chosen = value ?? fallback;
    if (!Number.isFinite(chosen) || chosen < 0 || (!zero && chosen === 0)) {
      throw new WebhookError('ERR_HOOKGUARD_INVALID_OPTIONS', `BullMQQueue option ${label} must be a positive number of milliseconds; received ${String(value)}.`);
    }
    return chosen;
  };
  return {
    connection,
    name: options.name ?? 'hookguard',
    prefix: options.prefix ?? 'bull',
    completedMs: positive('retention.completedMs', options.retention?.completedMs, 259_200_000),
    deadMs: positive('retention.deadMs', options.retention?.deadMs, 0, true),
    enqueueTimeoutMs: positive('enqueueTimeoutMs', options.enqueueTimeoutMs, 5_000),
    lockDurationMs: positive('lockDurationMs', options.lockDurationMs, 30_000),
    stalledIntervalMs: positive('stalledIntervalMs', options.stalledIntervalMs, 30_000),
    maxStalledCount: positive('maxStalledCount', options.maxStalledCount, 3, true),
    logger: options.logger,
  };
}

export type { Resolved as ResolvedBullMQOptions };
