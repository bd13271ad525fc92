import { WebhookError, refuseUnknownOptions, type OptionNames, type ReceiveResult, type Receiver } from '@hookguard/core';
import { BODY_ALREADY_READ, requestBody } from './request-body.js';

/** The parts of a receiver the handler uses; any `Receiver<Events>` fits. */
export type ReceiverLike = Pick<Receiver, 'receive' | 'reject'>;

/** Options for {@link webhookHandler}. */
export type WebhookHandlerOptions = {
  /**
   * Called with every result before it becomes the response, e.g. to count outcomes. Requests
   * answered 405 (not a POST) never reach the receiver and are not reported.
   * @default undefined
   */
  onResult?: (result: ReceiveResult, request: Request) => void;
};

/**
 * A Web-standard webhook endpoint: `(request: Request) => Promise<Response>`. It hands the request
 * body stream and headers to the receiver, which enforces `maxBodyBytes` and `bodyTimeoutMs` while
 * the bytes arrive, verifies, deduplicates and dispatches, and answers with the receiver's status,
 * headers and body. It uses only Web APIs (`Request`, `Response`, streams; the core verifies with
 * Web Crypto off Node), so the same function serves as a Next.js App Router route handler, a
 * React Router or Remix action, a SvelteKit `+server.ts` or Astro endpoint, Nuxt/h3 through
 * `toWebRequest(event)`, and the `fetch` of Bun.serve, Deno.serve or a Cloudflare Worker.
 *
 * Anything but POST is answered 405 with `Allow: POST`. A request whose body was already read
 * (`request.json()` ran first) is answered 500 `ERR_HOOKGUARD_BODY_ALREADY_PARSED`, not a
 * misleading bad signature.
 *
 * @example
 * ```ts
 * // app/api/webhooks/route.ts (Next.js App Router)
 * import { createReceiver, standardWebhooks } from '@hookguard/core';
 * import { webhookHandler } from '@hookguard/web';
 *
 * const receiver = createReceiver({ verifier: standardWebhooks({ secret: process.env.WEBHOOK_SECRET! }) });
 * receiver.on('message.received', async (event) => { await reply(event.payload); });
 *
 * export const POST = webhookHandler(receiver);
 * ```
 */
const HANDLER_OPTIONS: OptionNames<WebhookHandlerOptions> = { onResult: true };

export function webhookHandler(receiver: ReceiverLike, options: WebhookHandlerOptions = {}): (request: Request) => Promise<Response> {
  if (typeof receiver?.receive !== 'function' || typeof receiver.reject !== 'function') {
    throw new WebhookError(
      'ERR_HOOKGUARD_INVALID_OPTIONS',
      `webhookHandler(receiver) needs the receiver from createReceiver(); received ${receiver === null ? 'null' : typeof receiver}.`,
    );
  }
  refuseUnknownOptions('webhookHandler()', options, HANDLER_OPTIONS);
  const { onResult } = options;
  return async function hookguardWebhookHandler(request: Request): Promise<Response> {
    // RFC 9110 §15.5.6: a 405 lists the methods the resource supports.
    if (request.method !== 'POST') return new Response(null, { status: 405, headers: { allow: 'POST' } });
    const rawBody = requestBody(request);
    const result = rawBody === undefined ? receiver.reject(BODY_ALREADY_READ) : await receiver.receive({ rawBody, headers: request.headers });
    onResult?.(result, request);
    return new Response(result.body, { status: result.status, headers: result.headers });
  };
}
