import type { JobContext, QueuedEvent } from '../queue/webhook-queue.js';
import type { Pipeline } from '../receiver/pipeline.js';
import type { Route } from '../receiver/router.js';
import type { DeliveryRecord, HandlerRecord, JobRecord, StoreOperation, StoreRecord } from './records.js';
import { traced } from './registry.js';

type Settings = Pipeline['options'];

/** A new record for one delivery of this receiver. */
export function deliveryRecord(options: Settings): DeliveryRecord {
  return { kind: 'delivery', namespace: options.namespace, system: options.verifier.name, store: options.store.name, mode: undefined, verificationFailed: false, report: undefined };
}

/** A record for one store call. */
export function storeRecord(options: Settings, operation: StoreOperation): StoreRecord {
  return { kind: 'store', store: options.store.name, operation, namespace: options.namespace };
}

/** A record for one handler's run. */
export function handlerRecord(route: Route, attempt: number): HandlerRecord {
  return { kind: 'handler', pattern: route.pattern, name: route.handler.name, attempt };
}

/** A record for one run of a queued job, its outcome still open. */
function jobRecord(options: Settings, job: QueuedEvent, attempt: number, lastAttempt: boolean): JobRecord {
  return {
    kind: 'job',
    namespace: options.namespace,
    system: options.verifier.name,
    store: options.store.name,
    queue: options.queue?.name ?? '',
    id: job.id,
    type: job.type,
    attempt,
    lastAttempt,
    trace: job.trace,
    outcome: undefined,
    error: undefined,
  };
}

/** Runs one queued job through the subscribers, recording how it ended. */
export function traceJob(pipeline: Pipeline, job: QueuedEvent, context: JobContext, run: (job: QueuedEvent, context: JobContext) => Promise<void>): Promise<void> {
  const { options } = pipeline;
  const record = jobRecord(options, job, context.attempt, context.attempt >= options.retry.attempts);
  return traced(record, () =>
    run(job, context).then(
      () => {
        record.outcome = 'processed';
      },
      (error: unknown) => {
        record.outcome = record.lastAttempt ? 'dead_lettered' : 'failed';
        record.error = error;
        throw error;
      },
    ),
  );
}

/**
 * Runs the report of a job the queue dead-lettered without a run of it failing (its runs all lost)
 * through the subscribers, as the worker's handling of that job: it ends as a last failed run does,
 * dead-lettered with `error`, so it is marked an error and counted as any dead letter is.
 */
export function traceLostJob(pipeline: Pipeline, job: QueuedEvent, attempt: number, error: unknown, report: () => Promise<void>): Promise<void> {
  const record = jobRecord(pipeline.options, job, attempt, true);
  record.outcome = 'dead_lettered';
  record.error = error;
  // Subscribers see a failure only as a rejection: the report rejects with the job's error, caught here.
  const failed = (): Promise<void> =>
    report().then(() => {
      throw error;
    });
  return traced(record, failed).catch((caught: unknown) => {
    if (caught !== error) throw caught;
  });
}
