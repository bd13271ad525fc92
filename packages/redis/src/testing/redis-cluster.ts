import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { respCommand } from './resp-command.js';
import { startRedisServer, waitFor, type RedisServer } from './redis-server.js';

const run = promisify(execFile);

/** A Redis Cluster of masters without replicas, on loopback. */
export type RedisCluster = {
  /** The masters, as ioredis `Cluster` start nodes. */
  readonly nodes: readonly { host: string; port: number }[];
  /** Stops every node and removes the cluster's directory. */
  stop(): Promise<void>;
};

/** Options for {@link startRedisCluster}. */
export type RedisClusterOptions = {
  /** One master per port; cluster bus ports are these plus 10000. At least 3. */
  ports: readonly number[];
  /**
   * How long to wait for the nodes, the slot assignment and `cluster_state:ok`.
   * @default 30_000
   */
  startTimeoutMs?: number;
};

/**
 * Starts one `redis-server --cluster-enabled yes` per port, joins them with
 * `redis-cli --cluster create` (no replicas) and resolves once every node reports
 * `cluster_state:ok`. On any failure it stops what it started before rejecting.
 *
 * @example
 * ```ts
 * const cluster = await startRedisCluster({ ports: [7101, 7102, 7103] });
 * const client = new Cluster([...cluster.nodes]);
 * // ...
 * client.disconnect();
 * await cluster.stop();
 * ```
 */
export async function startRedisCluster(options: RedisClusterOptions): Promise<RedisCluster> {
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  const dir = await mkdtemp(join(tmpdir(), 'hookguard-redis-cluster-'));
  const servers: RedisServer[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(servers.map((server) => server.stop()));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (const port of options.ports) {
      servers.push(
        await startRedisServer({
          port,
          dir,
          startTimeoutMs: timeoutMs,
          args: ['--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`)],
        }),
      );
    }
    const addresses = options.ports.map((port) => `127.0.0.1:${port}`);
    try {
      await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'], {
        timeout: timeoutMs,
      });
    } catch (error) {
      const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
      throw new Error(`redis-cli --cluster create ${addresses.join(' ')} failed:\n${stdout}\n${stderr}`, { cause: error });
    }
    const states = new Map<number, string>();
    await waitFor(
      async () => {
        for (const port of options.ports) {
          const info = (await respCommand({ port }, ['CLUSTER', 'INFO']).catch(String)) ?? '';
          states.set(port, /cluster_state:(\w+)/.exec(info)?.[1] ?? info);
        }
        return [...states.values()].every((state) => state === 'ok');
      },
      timeoutMs,
      () => `the cluster on ${addresses.join(', ')} did not reach cluster_state:ok within ${timeoutMs} ms: ${JSON.stringify(Object.fromEntries(states))}`,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { nodes: options.ports.map((port) => ({ host: '127.0.0.1', port })), stop };
}
