import { describeError } from '../errors/describe-error.js';
import { WebhookError, isWebhookError } from '../errors/webhook-error.js';
import type { ClaimResult } from '../store/dedup-store.js';
import type { Trace } from './delivery.js';
import type { Pipeline } from './pipeline.js';
import { failure, retryAfterSeconds, success } from './responses.js';
import type { ReceiveResult, WebhookEvent } from './types.js';

/** The answer to a claim someone else holds (409) or completed (duplicate), in every mode. */
export function notClaimed(pipeline: Pipeline, claim: Exclude<ClaimResult, { status: 'claimed' }>, event: WebhookEvent, trace: Trace): ReceiveResult {
  if (claim.status === 'processing') {
    const error = new WebhookError(
      'ERR_HOOKGUARD_IN_PROGRESS',
      `Another delivery of '${event.id}' is being handled; retry after its lease (${claim.retryAfterMs} ms at most).`,
    );
    return { ...failure('in_progress', error, retryAfterSeconds(claim.retryAfterMs)), event };
  }
  const { logger, store } = pipeline.options;
  const fields = { key: trace.key, id: event.id, type: event.type };
  if (claim.fingerprintMatches === false) {
    logger.warn(
      { ...fields, code: 'WARN_HOOKGUARD_FINGERPRINT_MISMATCH' },
      'an event id seen before arrived with a different body and was skipped as a duplicate: if the sender reuses ids for distinct events, they are being dropped',
    );
  }
  if (!store.exact) {
    trace.probable = true;
    logger.info?.({ ...fields, probable: true, store: store.name }, 'skipped as a probable duplicate (inexact store)');
    return { ...success('duplicate', event), probable: true };
  }
  return success('duplicate', event);
}

/** 503 + Retry-After: the store failed, so the provider retries later. */
export function storeUnavailable(pipeline: Pipeline, error: unknown, event: WebhookEvent | undefined): ReceiveResult {
  const { store, storeRetryAfterSeconds } = pipeline.options;
  const unavailable = new WebhookError(
    'ERR_HOOKGUARD_STORE_UNAVAILABLE',
    `The '${store.name}' store failed (${describeError(error)}); answering 503 so the provider retries later.`,
    { cause: error },
  );
  const result = failure('unavailable', unavailable, storeRetryAfterSeconds);
  return event === undefined ? result : { ...result, event };
}

/**
 * 500: a handler failed and its claim was released, so the provider's retry runs it again. The
 * code is `ERR_HOOKGUARD_HANDLER_TIMEOUT` when the handlers ran past `handlerTimeoutMs`.
 */
export function handlerFailed(event: WebhookEvent, attempt: number, cause: unknown): ReceiveResult {
  const timedOut = isWebhookError(cause) && cause.code === 'ERR_HOOKGUARD_HANDLER_TIMEOUT';
  const error = new WebhookError(
    timedOut ? 'ERR_HOOKGUARD_HANDLER_TIMEOUT' : 'ERR_HOOKGUARD_HANDLER_FAILED',
    `${timedOut ? `The handlers for '${event.type}' ran past handlerTimeoutMs` : `A handler for '${event.type}' failed`} on attempt ${attempt}; the claim was released so the provider's retry runs it again.`,
    { cause },
  );
  return { ...failure('failed', error), event };
}
