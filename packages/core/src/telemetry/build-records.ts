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

/** Runs one queued job through the subscribers, recording how it ended. */
export function traceJob(pipeline: Pipeline, job: QueuedEvent, context: JobContext, run: (job: QueuedEvent, context: JobContext) => Promise<void>): Promise<void> {
  const { options } = pipeline;
  const record: JobRecord = {
    kind: 'job',
    namespace: options.namespace,
    system: options.verifier.name,
    store: options.store.name,
    queue: options.queue?.name ?? '',
    id: job.id,
    type: job.type,
    attempt: context.attempt,
    lastAttempt: context.attempt >= options.retry.attempts,
    trace: job.trace,
    outcome: undefined,
    error: undefined,
  };
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
