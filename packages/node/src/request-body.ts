import { WebhookError } from '@hookguard/core';
import type { IncomingMessage } from 'node:http';

/** A request as body parsers leave it: Express, Connect, Nest and Koa parsers all write these. */
type ParsedRequest = IncomingMessage & { body?: unknown; rawBody?: unknown; _body?: unknown };

/** Answered when a body parser consumed the stream and kept no exact bytes. */
export const BODY_ALREADY_PARSED = new WebhookError(
  'ERR_HOOKGUARD_BODY_ALREADY_PARSED',
  'A body parser read the request before hookguard and kept no raw bytes, so the exact bytes the signature covers are gone. ' +
    'Mount webhookMiddleware() before any body parser (in NestJS: NestFactory.create(AppModule, { bodyParser: false }), then ' +
    'app.use(webhookMiddleware(…)) before app.useBodyParser(\'json\')), or keep the bytes as req.rawBody (NestFactory.create(AppModule, ' +
    '{ rawBody: true }), or a parser\'s verify hook).',
);

/**
 * Where the exact bytes are: `req.rawBody` kept by a parser (Nest's `rawBody: true`, a `verify`
 * hook), a `Buffer` left in `req.body` by a raw parser, or the unread request stream, which the
 * core reads with `maxBodyBytes` and `bodyTimeoutMs` enforced as bytes arrive. `undefined` when
 * something consumed the stream and kept nothing.
 */
export function requestBody(req: IncomingMessage): Uint8Array | IncomingMessage | undefined {
  const parsed = req as ParsedRequest;
  if (parsed.rawBody instanceof Uint8Array) return parsed.rawBody;
  if (parsed.body instanceof Uint8Array) return parsed.body;
  // body-parser marks a request it read with `_body`; other readers leave the stream read or ended.
  if (parsed._body === true || req.readableEnded || req.readableDidRead) return undefined;
  return req;
}
