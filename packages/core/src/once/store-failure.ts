import { describeError } from '../errors/describe-error.js';
import { WebhookError, isWebhookError } from '../errors/webhook-error.js';

/**
 * The error `once()` and `ctx.once` reject with when the store itself failed (unreachable, timed
 * out, a pool that hands out no connection): `ERR_HOOKGUARD_STORE_UNAVAILABLE` with the store's
 * error as `cause`, so the receiver tells it from the handler's own failure, also when a handler
 * wraps it (issue 15, item 2): 503, the attempt not counted, never a dead letter. A `WebhookError`
 * the store raised on purpose (`ERR_HOOKGUARD_UNSUPPORTED`, or already
 * `ERR_HOOKGUARD_STORE_UNAVAILABLE`) is passed through as it is.
 */
export function storeFailure(error: unknown, store: { readonly name: string }, what: string): unknown {
  if (isWebhookError(error)) return error;
  return new WebhookError(
    'ERR_HOOKGUARD_STORE_UNAVAILABLE',
    `${what}: the '${store.name}' store failed (${describeError(error)}), so fn did not run. ` +
      'Inside a webhook handler the delivery is answered 503 and the provider retries later; elsewhere, retry the call once the store is back.',
    { cause: error },
  );
}
