import { createConnection } from 'node:net';

/** Where a Redis server listens: a loopback TCP port or a Unix socket path. */
export type RedisAddress = { port: number; host?: string } | { path: string };

/**
 * Sends one command over a fresh connection and resolves with its reply (simple string, integer
 * or bulk string; `null` for a nil bulk). Rejects with the server's error or when no complete
 * reply arrived within `timeoutMs`. Needs no client library, so it can probe a server that a
 * client under test must not touch.
 *
 * @example
 * ```ts
 * const info = await respCommand({ port: 7101 }, ['CLUSTER', 'INFO']);
 * ```
 */
export function respCommand(address: RedisAddress, args: readonly string[], timeoutMs = 1000): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const socket = 'path' in address ? createConnection(address.path) : createConnection(address.port, address.host ?? '127.0.0.1');
    let buffer = Buffer.alloc(0);
    const finish = (error: Error | undefined, value?: string | null): void => {
      clearTimeout(timer);
      socket.destroy();
      if (error === undefined) resolve(value ?? null);
      else reject(error);
    };
    const timer = setTimeout(() => finish(new Error(`no reply to ${args[0]} within ${timeoutMs} ms`)), timeoutMs);
    socket.on('error', (error) => finish(error));
    socket.on('connect', () => {
      socket.write(`*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`);
    });
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      const lineEnd = buffer.indexOf('\r\n');
      if (lineEnd === -1) return;
      const kind = String.fromCharCode(buffer[0] ?? 0);
      const line = buffer.subarray(1, lineEnd).toString();
      if (kind === '-') return finish(new Error(line));
      if (kind === '+' || kind === ':') return finish(undefined, line);
      if (kind !== '$') return finish(new Error(`unsupported reply type ${kind}`));
      const length = Number(line);
      if (length < 0) return finish(undefined, null);
      if (buffer.length < lineEnd + 2 + length + 2) return;
      finish(undefined, buffer.subarray(lineEnd + 2, lineEnd + 2 + length).toString());
    });
  });
}
