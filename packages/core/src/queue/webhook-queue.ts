import { isWebhookError } from '../errors/webhook-error.js';
import type { Logger } from '../logging/logger.js';
import type { DedupStore } from '../store/dedup-store.js';

/**
 * A verified event as it travels through a queue: everything a worker needs to run the handlers,
 * as JSON. Written once at acceptance, never changed; replays run it again as it was received.
 */
export type QueuedEvent = {
  /** The dedup key (`<namespace>:<id>` or its digest form); also the job's identity in the queue. */
  key: string;
  /** The receiver's namespace. */
  namespace: string;
  /** The provider's event id. */
  id: string;
  /** The event type, as dispatch sees it. */
  type: string;
  /** Another name exact registrations match (GitHub's `issues` for `issues.opened`), when the scheme has one. */
  alias: string | null;
  /** The decoded, verified payload. */
  payload: unknown;
  /** When the provider says the event happened, in epoch milliseconds. */
  timestamp: number | null;
  /** The request's headers, lower-case names; repeated headers joined with `, `. */
  headers: Record<string, string>;
  /** When the receiver accepted the delivery, in epoch milliseconds. */
  acceptedAt: number;
  /** Trace context of the accepting request (W3C `traceparent`/`tracestate`), when telemetry set one. */
  trace?: Record<string, string>;
};

/** Options for {@link WebhookQueue.enqueue}. */
export type EnqueueOptions = {
  /**
   * The store's transaction client, when acceptance claims the key, enqueues and marks it accepted
   * in one transaction ({@link WebhookQueue.joinsTransactionsOf}). The job must commit or roll back
   * with it.
   */
  transaction?: unknown;
};

/** How a failed job is retried: exponential backoff with full jitter, from the second attempt on. */
export type RetryPolicy = {
  /** Attempts in all, the first included; after the last failure the event is dead-lettered. */
  attempts: number;
  /** The smallest delay before a retry, in milliseconds. */
  minDelayMs: number;
  /** The largest delay before a retry, in milliseconds. */
  maxDelayMs: number;
};

/** What the processor gets besides the event. */
export type JobContext = {
  /** 1 for the first run of the job, +1 for each run that failed or was lost (stalled worker). */
  attempt: number;
  /** Aborted when the worker lost the job's lock (another worker may run it) or is closing. */
  signal: AbortSignal;
};

/** What a queue says of a job it dead-lettered without running it ({@link JobProcessor.deadLettered}). */
export type LostRuns = {
  /** The attempt at which the job was found to have none left, counted as {@link JobContext.attempt}. */
  attempt: number;
  /** The engine's account, kept as the job's last error (BullMQ: `job stalled more than allowable limit`). */
  reason: string;
};

/**
 * Runs one job. Resolving completes it; rejecting fails this attempt, so the queue retries it after
 * the policy's delay or, after the last attempt, keeps it as dead-lettered with the error.
 */
export type JobProcessor = {
  (event: QueuedEvent, context: JobContext): Promise<void>;
  /**
   * Reports a job the queue dead-lettered without a run of the processor failing: its runs were
   * all lost (each time the worker died or lost the job's lock) until no attempt was left. A queue
   * calls it, when the processor has it, once the job is recorded as dead, so that it is reported
   * as a last failure is (`onDeadLetter`, the logs, the delivery log). Never rejects.
   */
  deadLettered?: (event: QueuedEvent, lost: LostRuns) => Promise<void>;
};

/** Options for {@link WebhookQueue.work}. */
export type QueueWorkOptions = {
  /** Jobs run at once by this worker. */
  concurrency: number;
  retry: RetryPolicy;
  /**
   * The receiver's logger (`receiver.work()` passes it): where the worker reports what it cannot
   * do silently (lock renewals that fail, a run aborted because its lock lapsed, an outcome it
   * could not record). A queue's own `logger` option, if given, comes first.
   */
  logger?: Logger;
};

/** A running worker. */
export interface QueueWorker {
  /**
   * Stops taking jobs, waits for running ones to finish (aborting their signal after `graceMs`,
   * default: wait), and hands back what it could not finish, so another worker runs it. Never
   * closes a client the user passed in.
   */
  close(options?: { graceMs?: number }): Promise<void>;
}

/** Where a job stands. `dead` = dead-lettered: kept with its payload and last error. */
export type JobState = 'waiting' | 'delayed' | 'active' | 'completed' | 'dead';

/** A job as the queue keeps it, for replay and inspection. */
export type StoredJob = {
  event: QueuedEvent;
  state: JobState;
  /** Attempts made so far. */
  attempts: number;
  /** A description of the last attempt's error, when one failed. */
  lastError: string | undefined;
  /** When the job last changed state, in epoch milliseconds, when the engine says. */
  updatedAt: number | undefined;
};

/**
 * The queue contract of queued mode (DESIGN.md, "Queued mode"): a thin layer over an existing engine
 * (BullMQ, a PostgreSQL job queue). Every implementation passes the shared suite in
 * `@hookguard/core/testing/contracts`.
 *
 * Invariants:
 * - `enqueue` resolves only once the job is durable. Enqueueing a key that the queue still holds in
 *   any state (waiting, delayed, active, completed within retention, dead) adds nothing and resolves.
 * - A job is run by one worker at a time while its lock is held; a worker that dies loses the lock,
 *   and the job runs again (`attempt + 1`) after the engine's stall or expiry detection.
 * - A rejected run is retried after a delay drawn from the retry policy, up to `attempts` in all;
 *   then the job is `dead`, kept with its event and last error until replayed or pruned.
 * - `replay(key)` runs a `dead` or `completed` job again from its stored event (attempts start over).
 *
 * @example
 * ```ts
 * const receiver = createReceiver({ verifier, store, namespace: 'github-app', queue: new BullMQQueue({ connection }) });
 * const worker = await receiver.work({ concurrency: 8 });
 * ```
 */
export interface WebhookQueue {
  /** Short name for logs and telemetry (`bullmq`, `pg-boss`). */
  readonly name: string;
  /** Adds the job durably (see the invariants). Rejects when the engine cannot take it. */
  enqueue(event: QueuedEvent, options?: EnqueueOptions): Promise<void>;
  /**
   * `true` when {@link enqueue} can join a transaction of `store` (`options.transaction`), so
   * acceptance writes the dedup record and the job in one transaction.
   */
  joinsTransactionsOf?(store: DedupStore): boolean;
  /** Starts processing jobs in this process. */
  work(processor: JobProcessor, options: QueueWorkOptions): Promise<QueueWorker>;
  /** The job kept for `key`, if any. */
  find(key: string): Promise<StoredJob | undefined>;
  /** Dead-lettered jobs, newest first. */
  deadLetters(options?: { limit?: number }): Promise<StoredJob[]>;
  /** Runs a `dead` or `completed` job again from its stored event. `false` when none is kept for `key`. */
  replay(key: string): Promise<boolean>;
  /** Releases what the queue created itself (never a client the user passed in). */
  close?(): Promise<void>;
}

/**
 * The delay before retry number `retry` (1 for the second attempt): exponential from `minDelayMs`,
 * capped at `maxDelayMs`, with full jitter over the upper half so retries of a burst spread out
 * while never coming sooner than half the exponential step.
 *
 * @example
 * ```ts
 * retryDelayMs(1, { attempts: 10, minDelayMs: 1_000, maxDelayMs: 3_600_000 }); // 1 000–2 000
 * ```
 */
export function retryDelayMs(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const exponent = Math.max(0, retry - 1);
  const step = Math.min(policy.maxDelayMs, policy.minDelayMs * 2 ** Math.min(exponent, 40));
  const jittered = step + random() * step;
  return Math.round(Math.max(policy.minDelayMs, Math.min(policy.maxDelayMs, jittered)));
}

/**
 * The delay before retrying a job whose attempt failed with `error`: {@link retryDelayMs}, except
 * for a job a worker refused as another receiver's (`ERR_HOOKGUARD_QUEUE_SHARED`: nothing ran),
 * which waits only `minDelayMs`, so a worker of its own receiver takes it soon instead of after
 * an exponential step that grows with every refusal.
 *
 * @example
 * ```ts
 * retryDelayAfter(new Error('boom'), 3, { attempts: 10, minDelayMs: 1_000, maxDelayMs: 3_600_000 }); // 4 000–8 000
 * ```
 */
export function retryDelayAfter(error: unknown, retry: number, policy: RetryPolicy): number {
  return isWebhookError(error) && error.code === 'ERR_HOOKGUARD_QUEUE_SHARED' ? policy.minDelayMs : retryDelayMs(retry, policy);
}
