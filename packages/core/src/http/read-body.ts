import { concatBytes } from '../crypto/encoding.js';
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
  if (isNodeReadable(source)) return readNodeStream(source, options);
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
  return concatBytes(chunks);
}

/** The parts of a Node `Readable` (an `IncomingMessage`) that {@link readNodeStream} uses. */
type NodeReadable = AsyncIterable<Uint8Array | string> & {
  on(event: string, listener: (...args: never[]) => void): unknown;
  off(event: string, listener: (...args: never[]) => void): unknown;
  pause(): unknown;
  readableEnded?: boolean;
};

function isNodeReadable(source: object): source is NodeReadable {
  const candidate = source as Partial<NodeReadable>;
  return typeof candidate.on === 'function' && typeof candidate.off === 'function' && typeof candidate.pause === 'function';
}

/**
 * Reads a Node stream through its events, which costs a third of its async iterator. On refusal
 * the stream is paused, not destroyed: the adapter answers and closes the connection.
 */
function readNodeStream(source: NodeReadable, options: ReadBodyOptions): Promise<Uint8Array> {
  if (source.readableEnded === true) {
    return Promise.reject(new WebhookError('ERR_HOOKGUARD_BODY_INCOMPLETE', 'The request body stream was already read to its end by something else.'));
  }
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let total = 0;
    const finish = (error: WebhookError | undefined): void => {
      clearTimeout(timer);
      source.off('data', onData);
      source.off('end', onEnd);
      source.off('error', onError);
      source.off('close', onClose);
      if (error === undefined) {
        resolve(concatBytes(chunks));
      } else {
        source.pause();
        // A late stream error after refusal must not become an uncaught exception.
        source.on('error', ignore);
        reject(error);
      }
    };
    const onData = (chunk: Uint8Array | string): void => {
      const bytes = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk;
      total += bytes.byteLength;
      if (total > options.maxBytes) {
        finish(new WebhookError('ERR_HOOKGUARD_BODY_TOO_LARGE', `The body is larger than ${options.maxBytes} bytes (maxBodyBytes).`));
        return;
      }
      chunks.push(bytes);
    };
    const onEnd = (): void => finish(undefined);
    const onError = (error: unknown): void =>
      finish(new WebhookError('ERR_HOOKGUARD_BODY_INCOMPLETE', 'The request body stream ended with an error before it was complete.', { cause: error }));
    // 'close' before 'end': the client went away mid-body.
    const onClose = (): void => finish(new WebhookError('ERR_HOOKGUARD_BODY_INCOMPLETE', 'The client closed the connection before the body was complete.'));
    const timer = setTimeout(
      () => finish(new WebhookError('ERR_HOOKGUARD_BODY_TIMEOUT', `The body did not arrive within ${options.timeoutMs} ms (bodyTimeoutMs).`)),
      options.timeoutMs,
    );
    source.on('data', onData);
    source.on('end', onEnd);
    source.on('error', onError);
    source.on('close', onClose);
  });
}

function ignore(): void {}

/** True for anything {@link readBody} can read. */
export function isByteStream(value: unknown): value is AsyncIterable<Uint8Array | string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !(value instanceof Uint8Array) &&
    typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function'
  );
}
