import type { ReceiveResult } from '@hookguard/core';
import type { Context } from 'hono';
import { assertArguments, receiveDelivery, toResponse, type ReceiverLike } from './receive-delivery.js';

/** Options for {@link webhookHandler}. */
export type WebhookHandlerOptions = {
  /**
   * Called with every result before it is turned into the response, e.g. to count outcomes.
   * @default undefined
   */
  onResult?: (result: ReceiveResult, c: Context) => void;
};

/**
 * A Hono route handler that receives webhooks through a hookguard receiver: it hands the exact
 * request bytes and headers to `receive` and answers with its result. The body is streamed
 * through the receiver's `maxBodyBytes` and `bodyTimeoutMs`, then left in Hono's body cache, so
 * middleware that runs after it can still call `c.req.json()`. Uses only Web APIs: it runs on
 * Node (`@hono/node-server`), Bun, Deno and Cloudflare Workers.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono';
 * import { createReceiver, standardWebhooks } from '@hookguard/core';
 * import { webhookHandler } from '@hookguard/hono';
 *
 * const receiver = createReceiver({ verifier: standardWebhooks({ secret: process.env.WEBHOOK_SECRET! }) });
 * receiver.on('message.received', async (event) => { await reply(event.payload); });
 *
 * const app = new Hono();
 * app.post('/webhooks', webhookHandler(receiver));
 * ```
 */
export function webhookHandler(receiver: ReceiverLike, options: WebhookHandlerOptions = {}): (c: Context) => Promise<Response> {
  assertArguments(receiver, options, 'webhookHandler');
  return async function hookguardWebhookHandler(c: Context): Promise<Response> {
    const result = await receiveDelivery(c, receiver);
    options.onResult?.(result, c);
    return toResponse(c, result);
  };
}
