import { WebhookError } from '../errors/webhook-error.js';

/** Options for {@link readBody}. */
export type ReadBodyOptions = {
  /** Larger bodies are refused as soon as the running count passes this. */
  maxBytes: number;
  /** The whole body must arrive within this long (slow-drip defence). */
  timeoutMs: number;
};

/**
 * Reads a streamed body (a Node `IncomingMessage`, a Web `ReadableStream`, any async iterable of
 * bytes) into one `Uint8Array`, counting bytes as they arrive so an oversized or endless body is
 * refused at `maxBytes` without being buffered, and a slow one at `timeoutMs`. Rejects with a
 * coded {@link WebhookError}.
 *
 * The stream is not destroyed on refusal: the adapter decides how to end the connection, since
 * destroying a Node request also destroys the socket the 413 must be written to.
 *
 * @example
 * ```ts
 * const bytes = await readBody(req, { maxBytes: 1_048_576, timeoutMs: 10_000 });
 * ```
 */
export async function readBody(source: AsyncIterable<Uint8Array | string>, options: ReadBodyOptions): Promise<Uint8Array> {
  const iterator = source[Symbol.asyncIterator]();
  const chunks: Uint8Array[] = [];
  let total = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new WebhookError('ERR_HOOKGUARD_BODY_TIMEOUT', `The body did not arrive within ${options.timeoutMs} ms (bodyTimeoutMs).`)),
      options.timeoutMs,
    );
  });
  try {
    for (;;) {
      let step: IteratorResult<Uint8Array | string>;
      try {
        step = await Promise.race([iterator.next(), timeout]);
      } catch (error) {
        if (error instanceof WebhookError) throw error;
        throw new WebhookError('ERR_HOOKGUARD_BODY_INCOMPLETE', 'The request body stream ended with an error before it was complete.', { cause: error });
      }
      if (step.done === true) break;
      const chunk = typeof step.value === 'string' ? new TextEncoder().encode(step.value) : step.value;
      total += chunk.byteLength;
      if (total > options.maxBytes) {
        throw new WebhookError('ERR_HOOKGUARD_BODY_TOO_LARGE', `The body is larger than ${options.maxBytes} bytes (maxBodyBytes).`);
      }
      chunks.push(chunk);
    }
  } finally {
    clearTimeout(timer);
  }
  if (chunks.length === 1) return chunks[0]!;
  const body = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

/** True for anything {@link readBody} can read. */
export function isByteStream(value: unknown): value is AsyncIterable<Uint8Array | string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !(value instanceof Uint8Array) &&
    typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function'
  );
}
