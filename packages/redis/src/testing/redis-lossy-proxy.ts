import { createServer, connect, type AddressInfo, type Socket } from 'node:net';

/** A TCP proxy on loopback in front of a Redis server that can lose a reply on purpose, or rewrite commands. */
export type RedisLossyProxy = {
  /** The port the proxy listens on, at 127.0.0.1. */
  readonly port: number;
  /**
   * The next bytes Redis sends back are thrown away and the client's connection is cut, as when a
   * network drops between a command's execution and its reply. Resolves once that happened.
   */
  loseNextReply(): Promise<void>;
  /** Connections the proxy has accepted so far. */
  readonly connections: number;
  close(): Promise<void>;
};

/**
 * Starts a proxy from an ephemeral loopback port to `127.0.0.1:targetPort`, so a test can make
 * Redis run a command whose reply never reaches the client (ioredis then reconnects and re-sends
 * the command by its default `autoResendUnfulfilledCommands`).
 *
 * @example
 * ```ts
 * const proxy = await startRedisLossyProxy(6379);
 * const client = new Redis({ port: proxy.port });
 * const lost = proxy.loseNextReply();
 * ```
 */
export async function startRedisLossyProxy(
  targetPort: number,
  { rewriteCommands }: { /** Changes the client's bytes before Redis reads them (keep RESP lengths). */ rewriteCommands?: (chunk: Buffer) => Buffer } = {},
): Promise<RedisLossyProxy> {
  const sockets = new Set<Socket>();
  let connections = 0;
  let armed: (() => void) | undefined;
  const server = createServer((client) => {
    connections++;
    const upstream = connect(targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {});
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('data', (chunk: Buffer) => upstream.write(rewriteCommands === undefined ? chunk : rewriteCommands(chunk)));
    upstream.on('data', (chunk) => {
      if (armed === undefined) {
        client.write(chunk);
        return;
      }
      const done = armed;
      armed = undefined;
      client.destroy();
      upstream.destroy();
      done();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    get connections() {
      return connections;
    },
    loseNextReply: () => new Promise<void>((resolve) => (armed = resolve)),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
