import { WebhookError, refuseUnknownOptions, type OptionNames, type ReceiveResult, type Receiver } from '@hookguard/core';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

/** Options for {@link webhookHandler}. */
export type WebhookHandlerOptions = {
  /**
   * Called with every result before it is written, e.g. to add metrics or headers.
   * Must not write the response itself.
   */
  onResult?: (result: ReceiveResult, req: Request, res: Response) => void;
};

/** The parts of a receiver an adapter uses; any `Receiver<Events>` fits. */
export type ReceiverLike = Pick<Receiver, 'receive' | 'reject'>;

type RawCapable = Request & { rawBody?: unknown; _body?: unknown };

const ALREADY_PARSED = new WebhookError(
  'ERR_HOOKGUARD_BODY_ALREADY_PARSED',
  'A body parser (express.json(), express.text() or express.urlencoded()) consumed the request before hookguard, so the exact bytes ' +
    'the signature covers are gone. Mount webhookHandler() before that parser, or on a route the parser does not cover, ' +
    'or keep the bytes with express.json({ verify: (req, res, buf) => { req.rawBody = buf } }).',
);

/**
 * Where the exact bytes are: a `rawBody` kept by a parser's `verify` hook, a `Buffer` left by
 * `express.raw()`, or the untouched request stream. `undefined` when a parser consumed them.
 */
function rawBodyOf(req: RawCapable): Uint8Array | AsyncIterable<Uint8Array> | undefined {
  if (req.rawBody instanceof Uint8Array) return req.rawBody;
  if (req.body instanceof Uint8Array) return req.body;
  // body-parser marks a request it has read with `_body`; Express 5 leaves `body` undefined otherwise.
  if (req._body === true || req.readableEnded) return undefined;
  return req;
}

function write(res: Response, result: ReceiveResult): void {
  if (res.headersSent) return;
  res.status(result.status);
  // for…in over the plain headers object: no entry arrays per delivery.
  for (const name in result.headers) res.setHeader(name, result.headers[name]!);
  // Refused bodies may still be streaming in: close rather than drain up to a gigabyte.
  if (result.status === 413 || result.status === 408) res.setHeader('connection', 'close');
  res.end(result.body);
}

/**
 * An Express 4 or 5 route handler that receives webhooks through a hookguard receiver. It reads
 * the exact raw bytes whether or not a body parser ran first (a `Buffer` from `express.raw()`, a
 * `rawBody` kept by a `verify` hook, or the stream itself), and writes the receiver's answer.
 *
 * @example
 * ```ts
 * import express from 'express';
 * import { createReceiver, standardWebhooks } from '@hookguard/core';
 * import { webhookHandler } from '@hookguard/express';
 *
 * const receiver = createReceiver({ verifier: standardWebhooks({ secret: process.env.WEBHOOK_SECRET! }) });
 * receiver.on('message.received', async (event) => { await reply(event.payload); });
 *
 * const app = express();
 * app.post('/webhooks', webhookHandler(receiver)); // before app.use(express.json())
 * app.use(express.json());
 * ```
 */
const HANDLER_OPTIONS: OptionNames<WebhookHandlerOptions> = { onResult: true };

export function webhookHandler(receiver: ReceiverLike, options: WebhookHandlerOptions = {}): RequestHandler {
  refuseUnknownOptions('webhookHandler()', options, HANDLER_OPTIONS);
  return async function hookguardWebhookHandler(req: Request, res: Response, next: NextFunction): Promise<void> {
    try {
      const rawBody = rawBodyOf(req as RawCapable);
      const result = rawBody === undefined ? receiver.reject(ALREADY_PARSED) : await receiver.receive({ rawBody, headers: req.headers });
      options.onResult?.(result, req, res);
      write(res, result);
    } catch (error) {
      // receive() never throws for request content; this is an onResult bug or a broken socket.
      next(error);
    }
  };
}
