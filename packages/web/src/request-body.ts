import { WebhookError, streamChunks } from '@hookguard/core';

/** Answered when something read the request body before the handler got it. */
export const BODY_ALREADY_READ = new WebhookError(
  'ERR_HOOKGUARD_BODY_ALREADY_PARSED',
  'Something read the request body (request.json(), request.text(), request.formData() or a reader on request.body) before hookguard, ' +
    'so the exact bytes the signature covers are gone. Hand the untouched Request to the handler, or pass request.clone() to ' +
    'whatever else needs to read it first.',
);

/**
 * The request body as the core reads it: the stream's chunks as they arrive, so `maxBodyBytes` and
 * `bodyTimeoutMs` apply while the bytes come in; no bytes for a request without a body;
 * `undefined` when the body was already read or is locked to another reader.
 */
export function requestBody(request: Request): Uint8Array | AsyncIterable<Uint8Array> | undefined {
  const stream = request.body;
  if (request.bodyUsed || stream?.locked === true) return undefined;
  if (stream === null) return new Uint8Array(0);
  return streamChunks(stream);
}
