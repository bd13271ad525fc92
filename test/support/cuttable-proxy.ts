import { connect, createServer, type Server, type Socket } from 'node:net';
import { expect } from 'vitest';

/** A TCP proxy on loopback whose connections a test can cut, as a network partition would. */
export type CuttableProxy = {
  /** The port it listens on (chosen by the OS). */
  port: number;
  /** Destroys every proxied connection and refuses new ones until {@link restore}. */
  cut(): void;
  /** Listens on the same port and forwards connections again. */
  restore(): Promise<void>;
  close(): Promise<void>;
};

/**
 * Starts a proxy from a loopback port the OS picks to `target`. Cutting it destroys every proxied
 * connection and stops listening, so reconnections are refused (as they are when a host is
 * unreachable and the network says so); restoring listens on the same port again.
 *
 * @example
 * ```ts
 * const proxy = await startCuttableProxy({ host: '127.0.0.1', port: 5432 });
 * const pool = new pg.Pool({ host: '127.0.0.1', port: proxy.port });
 * proxy.cut();
 * ```
 */
export async function startCuttableProxy(target: { host: string; port: number }): Promise<CuttableProxy> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    sockets.add(client);
    sockets.add(upstream);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    for (const socket of [client, upstream]) {
      socket.on('error', end);
      socket.on('close', end);
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  const listen = (port: number): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  const drop = (): void => {
    server.close();
    for (const socket of sockets) socket.destroy();
    sockets.clear();
  };
  await listen(0);
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the proxy has no TCP address');
  const { port } = address;
  return {
    port,
    cut: drop,
    restore: () => (server.listening ? Promise.resolve() : listen(port)),
    close() {
      drop();
      return new Promise((resolve) => setImmediate(resolve));
    },
  };
}

/**
 * A job processor for partition tests: its run holds until its signal aborts (then it rejects with
 * the reason, recording when) or until `giveUp()` (so a test whose signal never aborts fails
 * instead of hanging).
 *
 * @example
 * ```ts
 * const held = heldUntilAborted();
 * const worker = await queue.work(held.processor, { concurrency: 1, retry });
 * ```
 */
export function heldUntilAborted(): {
  processor: (event: unknown, context: { signal: AbortSignal }) => Promise<void>;
  started: () => boolean;
  aborted: () => { at: number; reason: unknown } | undefined;
  giveUp: () => void;
} {
  const giveUp = new AbortController();
  let started = false;
  let aborted: { at: number; reason: unknown } | undefined;
  return {
    processor: (_event, context) =>
      new Promise<void>((resolve, reject) => {
        started = true;
        context.signal.addEventListener('abort', () => {
          aborted = { at: performance.now(), reason: context.signal.reason };
          reject(context.signal.reason);
        });
        giveUp.signal.addEventListener('abort', () => resolve());
      }),
    started: () => started,
    aborted: () => aborted,
    giveUp: () => giveUp.abort(),
  };
}

/**
 * The held run was aborted with `ERR_HOOKGUARD_LEASE_LOST`, its cause the `engine` queue out of
 * reach, before the job ran again elsewhere as its second attempt: never two runs at once.
 */
export function expectAbortedBeforeHandover(
  aborted: { at: number; reason: unknown } | undefined,
  runs: readonly { attempt: number; at: number }[],
  engine: 'bullmq' | 'pg-boss',
): void {
  expect(aborted?.reason).toMatchObject({
    code: 'ERR_HOOKGUARD_LEASE_LOST',
    cause: { code: 'ERR_HOOKGUARD_QUEUE_UNAVAILABLE', message: expect.stringContaining(`'${engine}' queue`) },
  });
  // The signal aborted before the job could be handed over, not after.
  expect(runs).toHaveLength(1);
  expect(aborted!.at).toBeLessThanOrEqual(runs[0]!.at);
  expect(runs[0]!.attempt).toBe(2);
}
