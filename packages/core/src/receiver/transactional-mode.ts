import { WebhookError, isWebhookError } from '../errors/webhook-error.js';
import { contextOnce } from '../once/context-once.js';
import { isStoreFailure } from './store-failure.js';
import type { ClaimResult, DedupStore } from '../store/dedup-store.js';
import { handlerFailed, notClaimed, storeUnavailable } from './claim-answers.js';
import type { AcceptedDelivery } from './delivery.js';
import { deadLetter } from './inline-mode.js';
import type { Pipeline } from './pipeline.js';
import { success } from './responses.js';
import { storeRecord } from '../telemetry/build-records.js';
import { telemetryActive, traced } from '../telemetry/registry.js';
import type { ReceiveResult, TransactionalDedupStore } from './types.js';

/** Whether `store` can run work in one transaction with its records (`@hookguard/postgres`). */
export function isTransactionalStore(store: DedupStore): store is TransactionalDedupStore {
  return typeof (store as Partial<TransactionalDedupStore>).claimInTransaction === 'function';
}

/**
 * Transactional mode: the store claims the key and runs the handlers in one transaction with the
 * completion record, so their database writes and the dedup record commit or roll back as one.
 */
export async function processInTransaction(pipeline: Pipeline, delivery: AcceptedDelivery): Promise<ReceiveResult> {
  const { options } = pipeline;
  const store = options.store as TransactionalDedupStore;
  const { event, key, trace } = delivery;
  let handlerFailure: { error: unknown } | undefined;
  let transactionSignal: AbortSignal | undefined;
  let claim: ClaimResult;
  try {
    const transaction: Parameters<TransactionalDedupStore['claimInTransaction']>[2] = async (session) => {
      trace.attempt = session.attempt;
      transactionSignal = session.signal;
      // The last allowed attempt failed, but a concurrent delivery claimed the key before it could
      // be dead-lettered: dead-letter it now (below) instead of running the handlers once more.
      if (session.attempt > options.maxAttempts) {
        const error =
          pipeline.lastErrors.recall(key, session.lastError) ??
          new WebhookError('ERR_HOOKGUARD_HANDLER_FAILED', `Event '${event.id}' was claimed ${session.attempt} times without completing (maxAttempts is ${options.maxAttempts}).`);
        handlerFailure = { error };
        throw error;
      }
      const deadline = pipeline.deadline(session);
      const signal = deadline === undefined ? session.signal : deadline.signal;
      // ctx.once records go through the transaction (session.store), so they commit or roll back with it.
      const once = contextOnce(options, { signal, ...(session.store === undefined ? {} : { store: session.store }) });
      const context = { attempt: session.attempt, signal, headers: delivery.headers, key, db: session.db, once };
      const running = pipeline.handlers.run(delivery.routes, event, context);
      let outcome;
      try {
        outcome = deadline === undefined ? await running : await deadline.race(running);
      } finally {
        deadline?.stop();
      }
      if (!outcome.ok) {
        handlerFailure = { error: outcome.error };
        throw outcome.error;
      }
    };
    claim = await (telemetryActive()
      ? traced(storeRecord(options, 'transaction'), () => store.claimInTransaction(key, delivery.claimOptions, transaction))
      : store.claimInTransaction(key, delivery.claimOptions, transaction));
  } catch (error) {
    // A handler that swallowed a failed statement leaves an aborted transaction: the store then
    // rejects with ERR_HOOKGUARD_HANDLER_FAILED, which is the handler's failure, not the store's.
    if (handlerFailure === undefined && isWebhookError(error) && error.code === 'ERR_HOOKGUARD_HANDLER_FAILED') {
      handlerFailure = { error };
    }
    // The store aborts the transaction's signal when the connection holding it is lost:
    // whatever the handlers did then, the store failed and rolled everything back (503, not 500).
    // Transactional handlers need the store's client, so they cannot run without the store.
    if (handlerFailure === undefined || transactionSignal?.aborted === true || isStoreFailure(handlerFailure.error)) {
      return storeUnavailable(pipeline, error, event);
    }
    const attempt = trace.attempt ?? 1;
    if (attempt >= options.maxAttempts) {
      const claiming = telemetryActive() ? traced(storeRecord(options, 'claim'), () => store.claim(key, delivery.claimOptions)) : store.claim(key, delivery.claimOptions);
      const deadLetterClaim = await claiming.catch(() => undefined);
      if (deadLetterClaim?.status === 'claimed') return deadLetter(pipeline, event, deadLetterClaim.token, handlerFailure.error, trace);
      // Another delivery took the key between the rollback and this claim: it is past maxAttempts,
      // so it dead-letters the event (409 while it holds the key, a duplicate once it is done).
      if (deadLetterClaim !== undefined) return notClaimed(pipeline, deadLetterClaim, event, trace);
    }
    pipeline.lastErrors.remember(key, handlerFailure.error);
    return handlerFailed(event, attempt, handlerFailure.error);
  }
  if (claim.status !== 'claimed') return notClaimed(pipeline, claim, event, trace);
  trace.attempt = claim.attempt;
  pipeline.lastErrors.forget(key);
  return success('processed', event);
}
