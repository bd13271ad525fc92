import { isWebhookError } from '../errors/webhook-error.js';

const MAX_DEPTH = 8;

/**
 * Whether a handler's failure is really the store's: `ctx.once` rejects with
 * `ERR_HOOKGUARD_STORE_UNAVAILABLE` when the store fails under it, and a handler may rethrow that
 * wrapped (`cause`) or beside other errors (`AggregateError`). Such a delivery answers 503 and its
 * attempt is not counted: the handler did not fail.
 *
 * @example
 * ```ts
 * receiver.on('message.received', async (event, ctx) => {
 *   try {
 *     await ctx.once(`reply:${event.id}`, () => mail.reply(event.payload));
 *   } catch (error) {
 *     if (isStoreFailure(error)) throw error; // 503: the provider retries later, the attempt is not counted
 *     throw new ReplyFailed(event.id, { cause: error });
 *   }
 * });
 * ```
 */
export function isStoreFailure(error: unknown, depth = 0): boolean {
  if (depth > MAX_DEPTH || typeof error !== 'object' || error === null) return false;
  try {
    if (isWebhookError(error) && error.code === 'ERR_HOOKGUARD_STORE_UNAVAILABLE') return true;
    if (error instanceof AggregateError && Array.isArray(error.errors) && error.errors.some((inner) => isStoreFailure(inner, depth + 1))) return true;
    return isStoreFailure((error as { cause?: unknown }).cause, depth + 1);
  } catch {
    // A hostile thrown value (a throwing getter, a revoked proxy) is the handler's own failure.
    return false;
  }
}
