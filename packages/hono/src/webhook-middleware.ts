import type { HandlerContext, ReceiveResult, WebhookEvent } from '@hookguard/core';
import type { Context, MiddlewareHandler, Next } from 'hono';
import { assertArguments, receiveDelivery, toResponse, type ReceiverLike } from './receive-delivery.js';
import { completeRouteBody } from './route-body.js';

declare module 'hono' {
  interface ContextVariableMap {
    /** The verified, first-seen event, set by `webhookMiddleware()` for the route after it. */
    webhook: WebhookEvent;
    /** The delivery's attempt number, lease signal, headers and dedup key, set by `webhookMiddleware()`. */
    webhookContext: HandlerContext;
  }
}

/** Options for {@link webhookMiddleware}. */
export type WebhookMiddlewareOptions = {
  /**
   * Called with every result before the middleware answers, e.g. to count outcomes.
   * @default undefined
   */
  onResult?: (result: ReceiveResult, c: Context) => void;
};

/**
 * Hono middleware that verifies and deduplicates each delivery, then runs the route after it as
 * the event's only handler, with the event in `c.get('webhook')`. Registered `receiver.on()`
 * handlers do not run for these requests.
 *
 * What it answers:
 * - the route ran and returned a 2xx response: the event is recorded as handled and the route's
 *   response is sent;
 * - the route ran and returned any other status: the claim is released, so the provider's retry
 *   runs the route again, and the route's response is sent;
 * - the route threw: the claim is released and the receiver's 500 is sent (not `app.onError`'s
 *   response, which still runs and sees the error);
 * - the route answered with a body still streaming when it returned (`streamText()`, `stream()`,
 *   `streamSSE()`): refused with `ERR_HOOKGUARD_STREAMING_RESPONSE`, the claim released and 500
 *   sent, because the stream's work would run after the event was recorded as handled;
 * - the route did not run (duplicate, bad signature, another delivery in progress…): the
 *   receiver's answer is sent.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono';
 * import { createReceiver, standardWebhooks } from '@hookguard/core';
 * import { webhookMiddleware } from '@hookguard/hono';
 *
 * const receiver = createReceiver({ verifier: standardWebhooks({ secret: process.env.WEBHOOK_SECRET! }) });
 * const app = new Hono();
 * app.post('/webhooks', webhookMiddleware(receiver), async (c) => {
 *   const event = c.get('webhook');
 *   if (event.type === 'message.received') await reply(event.payload, { signal: c.get('webhookContext').signal });
 *   return c.json({ received: true });
 * });
 * ```
 */
export function webhookMiddleware(receiver: ReceiverLike, options: WebhookMiddlewareOptions = {}): MiddlewareHandler {
  assertArguments(receiver, options, 'webhookMiddleware');
  return async function hookguardWebhookMiddleware(c: Context, next: Next): Promise<Response> {
    let routeResponse: Response | undefined;
    const result = await receiveDelivery(c, receiver, {
      handler: async (event, context) => {
        c.set('webhook', event);
        c.set('webhookContext', context);
        await next();
        // Hono catches a route's error inside next() and hands it to app.onError: rethrow it so
        // the receiver releases the claim instead of recording the event as handled.
        if (c.error !== undefined) throw c.error;
        const answered = c.res;
        // Read to the end before the receiver completes the record: see completeRouteBody.
        routeResponse = new Response(await completeRouteBody(answered), answered);
        // The route's Response was read: Hono must send the copy (replaced, not merged into).
        c.res = undefined;
        c.res = routeResponse;
        if (!routeResponse.ok) {
          throw new Error(`The route answered ${routeResponse.status}; the delivery counts as failed so the provider's retry runs it again.`);
        }
      },
    });
    options.onResult?.(result, c);
    if (routeResponse !== undefined && (result.outcome === 'processed' || (result.outcome === 'failed' && !routeResponse.ok))) {
      return routeResponse;
    }
    // Replace, not merge into, whatever response the route or app.onError left.
    c.res = undefined;
    c.res = toResponse(c, result);
    return c.res;
  };
}
