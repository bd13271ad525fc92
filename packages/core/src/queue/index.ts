export {
  retryDelayAfter,
  retryDelayMs,
  type EnqueueOptions,
  type JobContext,
  type JobProcessor,
  type JobState,
  type LostRuns,
  type QueuedEvent,
  type QueueWorker,
  type QueueWorkOptions,
  type RetryPolicy,
  type StoredJob,
  type WebhookQueue,
} from './webhook-queue.js';
export { HeldLock, JobLocks, lockClock, type JobLocksOptions, type LockRenewal } from './job-locks.js';
export { CLOSING, JobRun } from './job-run.js';
export { whileWaiting } from './while-waiting.js';
