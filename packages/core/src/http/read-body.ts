import { concatBytes } from '../crypto/encoding.js';
import { WebhookError } from '../errors/webhook-error.js';
import { deadlineClock, unwatchDeadline, watchDeadline, type BodyDeadline } from './body-deadlines.js';

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
export function readBody(source: AsyncIterable<Uint8Array | string>, options: ReadBodyOptions): Promise<Uint8Array> {
  if (isNodeReadable(source)) return readNodeStream(source, options);
  return readIterable(source, options);
}

const timeoutError = (options: ReadBodyOptions): WebhookError =>
  new WebhookError('ERR_HOOKGUARD_BODY_TIMEOUT', `The body did not arrive within ${options.timeoutMs} ms (bodyTimeoutMs).`);
const tooLargeError = (options: ReadBodyOptions): WebhookError =>
  new WebhookError('ERR_HOOKGUARD_BODY_TOO_LARGE', `The body is larger than ${options.maxBytes} bytes (maxBodyBytes).`);

/**
 * Reads any async iterable (a Web `ReadableStream`'s chunks) by chaining `next()` calls, without a
 * `Promise.race` per chunk; the deadline settles the read while a `next()` is still pending.
 */
function readIterable(source: AsyncIterable<Uint8Array | string>, options: ReadBodyOptions): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const iterator = source[Symbol.asyncIterator]();
    const chunks: Uint8Array[] = [];
    let total = 0;
    let settled = false;
    const watch: BodyDeadline = { deadline: deadlineClock() + options.timeoutMs, expire: () => fail(timeoutError(options)) };
    const fail = (error: WebhookError): void => {
      if (settled) return;
      settled = true;
      unwatchDeadline(watch);
      reject(error);
    };
    const onStep = (step: IteratorResult<Uint8Array | string>): void => {
      if (settled) return;
      if (step.done === true) {
        settled = true;
        unwatchDeadline(watch);
        resolve(concatBytes(chunks));
        return;
      }
      const chunk = typeof step.value === 'string' ? new TextEncoder().encode(step.value) : step.value;
      total += chunk.byteLength;
      if (total > options.maxBytes) {
        fail(tooLargeError(options));
        return;
      }
      chunks.push(chunk);
      pull();
    };
    // A coded refusal from the source itself (an adapter's own byte limit) is kept as it is.
    const onFailure = (error: unknown): void => {
      if (settled) return;
      fail(error instanceof WebhookError ? error : new WebhookError('ERR_HOOKGUARD_BODY_INCOMPLETE', 'The request body stream ended with an error before it was complete.', { cause: error }));
    };
    const pull = (): void => {
      let next: Promise<IteratorResult<Uint8Array | string>>;
      try {
        next = iterator.next();
      } catch (error) {
        onFailure(error);
        return;
      }
      next.then(onStep, onFailure);
    };
    watchDeadline(watch, options.timeoutMs);
    pull();
  });
}

/** The parts of a Node `Readable` (an `IncomingMessage`) that {@link readNodeStream} uses. */
type NodeReadable = AsyncIterable<Uint8Array | string> & {
  on(event: string, listener: (...args: never[]) => void): unknown;
  off(event: string, listener: (...args: never[]) => void): unknown;
  pause(): unknown;
  read?(): Uint8Array | string | null;
  readableEnded?: boolean;
  readableLength?: number;
  readableFlowing?: boolean | null;
  destroyed?: boolean;
  /** `IncomingMessage` (and HTTP/2's request): the whole message has been received and parsed. */
  complete?: boolean;
  headers?: Readonly<Record<string, unknown>>;
};

function isNodeReadable(source: object): source is NodeReadable {
  const candidate = source as Partial<NodeReadable>;
  return typeof candidate.on === 'function' && typeof candidate.off === 'function' && typeof candidate.pause === 'function';
}

/**
 * Reads a Node stream through its events, which costs a third of its async iterator. On refusal
 * the stream is paused, not destroyed: the adapter answers and closes the connection. After the
 * body's end the listeners stay (an `'error'` or `'close'` still to come finds the read settled):
 * removing four listeners per delivery costs more than leaving them to the request's collection.
 */
function readNodeStream(source: NodeReadable, options: ReadBodyOptions): Promise<Uint8Array> {
  if (source.readableEnded === true) {
    return Promise.reject(new WebhookError('ERR_HOOKGUARD_BODY_INCOMPLETE', 'The request body stream was already read to its end by something else.'));
  }
  return new Promise((resolve, reject) => {
    // A body that came in the packets of its headers has been parsed into the stream's buffer by the
    // time a microtask runs: then one read() takes it whole, without listeners, a time limit (it
    // has arrived) or the ticks a flowing stream takes. Otherwise the stream is read as it arrives.
    queueMicrotask(() => {
      // Destroyed meanwhile (its 'close' or 'error' went by before the listeners could hear it).
      if (source.destroyed === true) reject(new WebhookError('ERR_HOOKGUARD_BODY_INCOMPLETE', 'The client closed the connection before the body was complete.'));
      else if (arrivedWhole(source)) takeWhole(source, options, resolve, reject);
      else readWithEvents(source, options, resolve, reject);
    });
  });
}

/**
 * Whether the whole body waits in the stream's buffer: the message is complete, or (its completion
 * is signalled a little later) as many bytes are buffered as the request's Content-Length declares.
 */
function arrivedWhole(source: NodeReadable): boolean {
  if (source.readableFlowing === true || source.readableEnded === true || typeof source.read !== 'function') return false;
  if (source.complete === true) return true;
  const declared = source.headers?.['content-length'];
  return typeof declared === 'string' && declared !== '' && source.readableLength === Number(declared);
}

function takeWhole(source: NodeReadable, options: ReadBodyOptions, resolve: (bytes: Uint8Array) => void, reject: (error: WebhookError) => void): void {
  if ((source.readableLength ?? 0) > options.maxBytes) {
    source.pause();
    reject(tooLargeError(options));
    return;
  }
  // read() without a size returns everything buffered: the whole body (null when it is empty).
  const chunk = source.read!();
  const bytes = chunk === null ? new Uint8Array(0) : typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk;
  if (bytes.byteLength > options.maxBytes) reject(tooLargeError(options));
  else resolve(bytes);
}

function readWithEvents(source: NodeReadable, options: ReadBodyOptions, resolve: (bytes: Uint8Array) => void, reject: (error: WebhookError) => void): void {
  {
    const chunks: Uint8Array[] = [];
    let total = 0;
    let settled = false;
    const fail = (error: WebhookError): void => {
      if (settled) return;
      settled = true;
      unwatchDeadline(watch);
      // No more bytes are taken; a late stream error after refusal must not become an uncaught exception.
      source.off('data', onData);
      source.pause();
      reject(error);
    };
    const watch: BodyDeadline = { deadline: deadlineClock() + options.timeoutMs, expire: () => fail(timeoutError(options)) };
    const onData = (chunk: Uint8Array | string): void => {
      if (settled) return;
      const bytes = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk;
      total += bytes.byteLength;
      if (total > options.maxBytes) {
        fail(tooLargeError(options));
        return;
      }
      chunks.push(bytes);
    };
    const onEnd = (): void => {
      if (settled) return;
      settled = true;
      unwatchDeadline(watch);
      resolve(concatBytes(chunks));
    };
    // Both also come after a complete body ('close' always does): nothing to build then.
    const onError = (error: unknown): void => {
      if (!settled) fail(new WebhookError('ERR_HOOKGUARD_BODY_INCOMPLETE', 'The request body stream ended with an error before it was complete.', { cause: error }));
    };
    // 'close' before 'end': the client went away mid-body.
    const onClose = (): void => {
      if (!settled) fail(new WebhookError('ERR_HOOKGUARD_BODY_INCOMPLETE', 'The client closed the connection before the body was complete.'));
    };
    watchDeadline(watch, options.timeoutMs);
    source.on('data', onData);
    source.on('end', onEnd);
    source.on('error', onError);
    source.on('close', onClose);
  }
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
