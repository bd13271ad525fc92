import { WebhookError } from '@hookguard/core';

/** The request body as the plugin hands it over: bytes, or the stream Fastify's parser passed on. */
export type RawBodySource = Uint8Array | AsyncIterable<Uint8Array | string>;

/** The refusal of a body over Fastify's `bodyLimit`. */
export function overBodyLimit(limit: number, received?: number): WebhookError {
  const size = received === undefined ? `larger than ${limit} bytes` : `${received} bytes`;
  return new WebhookError(
    'ERR_HOOKGUARD_BODY_TOO_LARGE',
    `The body is ${size}; the route's Fastify bodyLimit is ${limit}. Raise the plugin's \`bodyLimit\` option (or the server's) if such bodies are legitimate.`,
  );
}

/**
 * Applies Fastify's `bodyLimit` on top of the receiver's own `maxBodyBytes` (the smaller limit
 * wins): a declared Content-Length over it is refused at once, and a stream is cut off as soon as
 * the running count passes it. Returns the body to hand to `receive`, or the refusal.
 */
export function limitBody(body: RawBodySource, declaredLength: number, limit: number): RawBodySource | WebhookError {
  if (declaredLength > limit) return overBodyLimit(limit, declaredLength);
  if (body instanceof Uint8Array) return body.byteLength > limit ? overBodyLimit(limit, body.byteLength) : body;
  return countBytes(body, limit);
}

/**
 * Passes chunks through, throwing once more than `limit` bytes went by. It reads the source
 * through `next()` rather than `for await`, because leaving a `for await` early destroys a Node
 * request stream, and with it the socket the 413 must still be written to.
 */
async function* countBytes(source: AsyncIterable<Uint8Array | string>, limit: number): AsyncGenerator<Uint8Array | string> {
  const iterator = source[Symbol.asyncIterator]();
  const encoder = new TextEncoder();
  let total = 0;
  for (;;) {
    const step = await iterator.next();
    if (step.done === true) return;
    total += typeof step.value === 'string' ? encoder.encode(step.value).byteLength : step.value.byteLength;
    if (total > limit) throw overBodyLimit(limit);
    yield step.value;
  }
}
