/**
 * A Web `ReadableStream`'s chunks as an async iterable whose `next()` is the reader's own `read()`:
 * a reader result is already an iterator result, so no async generator (and its promises per
 * chunk) sits between them. Read through a reader rather than `for await` over the stream, which
 * not every runtime supports (Safari, older Workers); the lock is released at the end. The stream
 * is neither cancelled nor drained when the reading stops early (a body over the limit): the
 * runtime ends the request its own way. Adapters hand the result to `receive({ rawBody })`.
 *
 * @example
 * ```ts
 * const result = await receiver.receive({ rawBody: streamChunks(request.body!), headers: request.headers });
 * ```
 */
export function streamChunks(stream: ReadableStream<Uint8Array>): AsyncIterable<Uint8Array> {
  return {
    [Symbol.asyncIterator]() {
      const reader = stream.getReader();
      const releaseAtEnd = (step: ReadableStreamReadResult<Uint8Array>): ReadableStreamReadResult<Uint8Array> => {
        if (step.done) reader.releaseLock();
        return step;
      };
      return { next: () => reader.read().then(releaseAtEnd) as Promise<IteratorResult<Uint8Array>> };
    },
  };
}
