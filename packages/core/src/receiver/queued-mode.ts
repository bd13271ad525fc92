import { describeError } from '../errors/describe-error.js';
import { WebhookError } from '../errors/webhook-error.js';
import type { QueuedEvent, WebhookQueue } from '../queue/webhook-queue.js';
import type { ClaimResult } from '../store/dedup-store.js';
import { notClaimed, storeUnavailable } from './claim-answers.js';
import type { AcceptedDelivery } from './delivery.js';
import { release } from './inline-mode.js';
import { isTransactionalStore } from './transactional-mode.js';
import type { Pipeline } from './pipeline.js';
import { failure, success } from './responses.js';
import { storeRecord } from '../telemetry/build-records.js';
import { injectTraceContext, telemetryActive, traced } from '../telemetry/registry.js';
import type { ReceiveResult, TransactionalDedupStore, WebhookEvent } from './types.js';

/**
 * Queued mode's acceptance (DESIGN.md, "Queued mode"): claim the key, enqueue the verified event
 * durably, mark the key accepted, answer 200 `queued`. Never a 2xx for an event that is not durably
 * queued: when enqueueing fails, the claim is released and the answer is 503 + Retry-After.
 */
export async function acceptQueued(pipeline: Pipeline, delivery: AcceptedDelivery, queue: WebhookQueue): Promise<ReceiveResult> {
  const { options } = pipeline;
  const { store } = options;
  const { event, key, trace } = delivery;
  const job = toQueuedEvent(delivery, options.namespace, options.now());
  if (isTransactionalStore(store) && queue.joinsTransactionsOf?.(store) === true) return acceptInTransaction(pipeline, delivery, store, queue, job);
  let claim: ClaimResult;
  try {
    claim = await (telemetryActive() ? traced(storeRecord(options, 'claim'), () => store.claim(key, delivery.claimOptions)) : store.claim(key, delivery.claimOptions));
  } catch (error) {
    options.logger.error({ code: 'ERR_HOOKGUARD_STORE_UNAVAILABLE', store: store.name, key, error: describeError(error) }, 'the dedup store failed');
    if (options.onStoreError === 'reject') return storeUnavailable(pipeline, error, event);
    // The queue itself refuses a second copy of the key while it holds the job, so enqueueing
    // without the store's claim still cannot queue one event twice in that time.
    trace.dedupSkipped = true;
    return enqueueOrRefuse(pipeline, queue, job, event);
  }
  if (claim.status !== 'claimed') return notClaimed(pipeline, claim, event, trace);
  trace.attempt = claim.attempt;
  try {
    await queue.enqueue(job);
  } catch (error) {
    await release(pipeline, key, claim.token, trace, { uncounted: true });
    return queueUnavailable(pipeline, queue, error, event);
  }
  try {
    const { token } = claim;
    const completing = telemetryActive()
      ? traced(storeRecord(options, 'complete'), () => store.complete(key, token, { retentionMs: options.retentionMs }))
      : store.complete(key, token, { retentionMs: options.retentionMs });
    if (!(await completing)) trace.leaseLost = true;
  } catch (error) {
    // The job is durable, so the event is safe: a redelivery after the lease lapses claims the key
    // again, and the queue refuses the second copy.
    options.logger.error({ code: 'ERR_HOOKGUARD_STORE_UNAVAILABLE', key, error: describeError(error) }, 'could not mark a queued event as accepted');
  }
  return success('queued', event);
}

async function acceptInTransaction(
  pipeline: Pipeline,
  delivery: AcceptedDelivery,
  store: TransactionalDedupStore,
  queue: WebhookQueue,
  job: QueuedEvent,
): Promise<ReceiveResult> {
  const { event, key, trace } = delivery;
  let enqueueError: { error: unknown } | undefined;
  let claim: ClaimResult;
  try {
    // The dedup record and the job commit together: there is no moment when one exists without the other.
    const transaction: Parameters<TransactionalDedupStore['claimInTransaction']>[2] = async (session) => {
      trace.attempt = session.attempt;
      try {
        await queue.enqueue(job, { transaction: session.db });
      } catch (error) {
        enqueueError = { error };
        throw error;
      }
    };
    claim = await (telemetryActive()
      ? traced(storeRecord(pipeline.options, 'transaction'), () => store.claimInTransaction(key, delivery.claimOptions, transaction))
      : store.claimInTransaction(key, delivery.claimOptions, transaction));
  } catch (error) {
    if (enqueueError !== undefined) return queueUnavailable(pipeline, queue, enqueueError.error, event);
    pipeline.options.logger.error({ code: 'ERR_HOOKGUARD_STORE_UNAVAILABLE', store: store.name, key, error: describeError(error) }, 'the dedup store failed');
    return storeUnavailable(pipeline, error, event);
  }
  if (claim.status !== 'claimed') return notClaimed(pipeline, claim, event, trace);
  return success('queued', event);
}

async function enqueueOrRefuse(pipeline: Pipeline, queue: WebhookQueue, job: QueuedEvent, event: WebhookEvent): Promise<ReceiveResult> {
  try {
    await queue.enqueue(job);
  } catch (error) {
    return queueUnavailable(pipeline, queue, error, event);
  }
  return success('queued', event);
}

function queueUnavailable(pipeline: Pipeline, queue: WebhookQueue, error: unknown, event: WebhookEvent): ReceiveResult {
  const { logger, storeRetryAfterSeconds } = pipeline.options;
  logger.error({ code: 'ERR_HOOKGUARD_QUEUE_UNAVAILABLE', queue: queue.name, id: event.id, error: describeError(error) }, 'could not enqueue an event');
  const unavailable = new WebhookError(
    'ERR_HOOKGUARD_QUEUE_UNAVAILABLE',
    `The '${queue.name}' queue could not take the event (${describeError(error)}); the claim was released and the answer is 503 so the provider retries later.`,
    { cause: error },
  );
  return { ...failure('unavailable', unavailable, storeRetryAfterSeconds), event };
}

/** The verified event as the queue keeps it. */
export function toQueuedEvent(delivery: AcceptedDelivery, namespace: string, now: number): QueuedEvent {
  const { event } = delivery;
  const job: QueuedEvent = {
    key: delivery.key,
    namespace,
    id: event.id,
    type: event.type,
    alias: delivery.alias ?? null,
    payload: event.payload,
    timestamp: event.timestamp === undefined ? null : event.timestamp.getTime(),
    headers: delivery.headers.toJSON(),
    acceptedAt: now,
  };
  if (telemetryActive()) {
    // The accepting request's trace context travels with the job, so the worker's span links to it.
    const carrier = injectTraceContext();
    if (carrier !== undefined) job.trace = carrier;
  }
  return job;
}

