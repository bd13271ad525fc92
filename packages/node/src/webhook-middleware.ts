import { WebhookError, refuseUnknownOptions, type OptionNames, type ReceiveResult, type Receiver } from '@hookguard/core';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BODY_ALREADY_PARSED, requestBody } from './request-body.js';

/** The parts of a receiver the middleware uses; any `Receiver<Events>` fits. */
export type ReceiverLike = Pick<Receiver, 'receive' | 'reject'>;

/** Options for {@link webhookMiddleware}. */
export type WebhookMiddlewareOptions = {
  /**
   * The pathname deliveries arrive on; the query string and trailing slashes are ignored. Other
   * requests go to `next`, or are answered 404 when there is none. Leave it out when a router
   * already mounted the middleware on its route (Connect's `app.use('/webhooks', …)` strips the
   * mount path from `req.url`): every request it is handed is then a delivery.
   * @default undefined (every request)
   */
  path?: string;
  /**
   * Called with every result before it is written, e.g. to count outcomes. Must not write the
   * response itself.
   * @default undefined
   */
  onResult?: (result: ReceiveResult, req: IncomingMessage, res: ServerResponse) => void;
};

/**
 * A `node:http` request listener and Connect-style middleware. Resolves `true` when it answered
 * the request, `false` when it handed it to `next`.
 */
export type WebhookMiddleware = (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => Promise<boolean>;

function pathnameOf(url: string): string {
  const query = url.indexOf('?');
  return trimSlashes(query === -1 ? url : url.slice(0, query));
}

function trimSlashes(path: string): string {
  let end = path.length;
  while (end > 1 && path.charCodeAt(end - 1) === 47) end--;
  return path.slice(0, end);
}

function write(req: IncomingMessage, res: ServerResponse, result: ReceiveResult): void {
  if (res.headersSent) return;
  // One writeHead() with every header and the length: node:http then takes the list as it is,
  // without the bookkeeping of a setHeader() per header (headers set before are merged as ever).
  const headers = ['content-length', String(Buffer.byteLength(result.body))];
  for (const name in result.headers) headers.push(name, result.headers[name]!);
  // A refused body may still be streaming in: over HTTP/1, close the connection rather than read
  // and discard up to a gigabyte (Node drains an unread body to keep a connection alive).
  // HTTP/2 forbids the header; the stream is reset there instead.
  if ((result.status === 413 || result.status === 408) && req.httpVersionMajor < 2) headers.push('connection', 'close');
  res.writeHead(result.status, headers);
  res.end(result.body);
}

/**
 * Receives webhooks on plain `node:http` and anything built on its `(req, res, next?)` shape:
 * `http.createServer()`, Connect, Express, Nest's `app.use()`, and Koa through `ctx.req`/`ctx.res`.
 * It reads the exact bytes the signature covers from the request stream (size and time limits
 * enforced as they arrive), or from `req.rawBody` or a raw `Buffer` body a parser left, hands them
 * to the receiver, and writes its status, headers and body.
 *
 * Requests to another path go to `next`, or get 404 when there is none; anything but POST on the
 * path gets 405 with `Allow: POST`. When a parser consumed the body and kept no bytes, the answer
 * is 500 `ERR_HOOKGUARD_BODY_ALREADY_PARSED`, not a misleading bad signature.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { createReceiver, standardWebhooks } from '@hookguard/core';
 * import { webhookMiddleware } from '@hookguard/node';
 *
 * const receiver = createReceiver({ verifier: standardWebhooks({ secret: process.env.WEBHOOK_SECRET! }) });
 * receiver.on('message.received', async (event) => { await reply(event.payload); });
 *
 * createServer(webhookMiddleware(receiver, { path: '/webhooks' })).listen(3000);
 * ```
 */
const MIDDLEWARE_OPTIONS: OptionNames<WebhookMiddlewareOptions> = { path: true, onResult: true };

export function webhookMiddleware(receiver: ReceiverLike, options: WebhookMiddlewareOptions = {}): WebhookMiddleware {
  if (typeof receiver?.receive !== 'function' || typeof receiver.reject !== 'function') {
    throw new WebhookError(
      'ERR_HOOKGUARD_INVALID_OPTIONS',
      `webhookMiddleware(receiver) needs the receiver from createReceiver(); received ${receiver === null ? 'null' : typeof receiver}.`,
    );
  }
  // A misspelt path would otherwise leave the middleware answering every request of the app.
  refuseUnknownOptions('webhookMiddleware()', options, MIDDLEWARE_OPTIONS);
  if (options.path !== undefined && (typeof options.path !== 'string' || !options.path.startsWith('/'))) {
    throw new WebhookError('ERR_HOOKGUARD_INVALID_OPTIONS', `webhookMiddleware({ path }) needs a pathname starting with '/'; received ${JSON.stringify(options.path)}.`);
  }
  const path = options.path === undefined ? undefined : trimSlashes(options.path);
  const { onResult } = options;
  return async function hookguardWebhookMiddleware(req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): Promise<boolean> {
    // The exact path (the usual request) needs no parsing of the URL.
    if (path !== undefined && req.url !== path && pathnameOf(req.url ?? '/') !== path) {
      if (next !== undefined) {
        next();
        return false;
      }
      res.statusCode = 404;
      res.end();
      return true;
    }
    if (req.method !== 'POST') {
      // RFC 9110 §15.5.6: a 405 lists the methods the resource supports.
      res.statusCode = 405;
      res.setHeader('allow', 'POST');
      res.end();
      return true;
    }
    try {
      const rawBody = requestBody(req);
      const result = rawBody === undefined ? receiver.reject(BODY_ALREADY_PARSED) : await receiver.receive({ rawBody, headers: req.headers });
      onResult?.(result, req, res);
      write(req, res, result);
    } catch (error) {
      // receive() never throws for request content: this is an onResult bug or a broken socket.
      if (next !== undefined) next(error);
      else write(req, res, receiver.reject(new WebhookError('ERR_HOOKGUARD_INTERNAL', 'The webhook middleware failed while answering; see the cause.', { cause: error })));
    }
    return true;
  };
}
