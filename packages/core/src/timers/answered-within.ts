/**
 * `work`'s value (as `{ value }`), or `undefined` once `ms` passed without it. `work` keeps running
 * and a later rejection of it is handled. The one bound for calls into a Redis or PostgreSQL that
 * may take the connection and never answer (a frozen server): a delivery log's flush, a queue's
 * enqueue, the inspector's pages and replays, the command line tool. A rejection before `ms`
 * rejects the same way.
 *
 * @example
 * ```ts
 * const answered = await answeredWithin(queue.deadLetters(), 10_000);
 * if (answered === undefined) return unavailable();
 * ```
 */
export async function answeredWithin<T>(work: Promise<T>, ms: number): Promise<{ value: T } | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(resolve, ms, undefined);
  });
  try {
    return await Promise.race([work.then((value) => ({ value })), late]);
  } finally {
    clearTimeout(timer);
  }
}
