import type { Logger } from '@hookguard/core';
import type { Cluster } from 'ioredis';
import type { RedisClient } from './script-runner.js';

type ConfigClient = { config(subcommand: 'GET', parameter: string): Promise<unknown> };

// A `[name, value]` array, or an object (`{ 'maxmemory-policy': value }`) from an ioredis 6 client
// made with `replyMapping: 'resp3'`.
async function policyOf(node: ConfigClient): Promise<string | undefined> {
  const reply = await node.config('GET', 'maxmemory-policy');
  const policy: unknown = Array.isArray(reply) ? reply[1] : typeof reply === 'object' && reply !== null ? (reply as Record<string, unknown>)['maxmemory-policy'] : undefined;
  return typeof policy === 'string' ? policy : undefined;
}

/**
 * Reads `maxmemory-policy` from every master the client talks to, once, and warns
 * (`WARN_HOOKGUARD_REDIS_EVICTION`) when one may evict keys: an evicted processing record lets a
 * second delivery run beside the first, an evicted completed record runs the event again (issue
 * 15, item 8). Best effort: managed services often refuse `CONFIG`, which is then logged at debug
 * level only. Never rejects.
 *
 * @example
 * ```ts
 * void checkEvictionPolicy(client, consoleLogger);
 * ```
 */
export async function checkEvictionPolicy(client: RedisClient, logger: Logger): Promise<void> {
  // Before a Cluster client knows its slots it lists no masters: then any one node answers.
  const masters = client.isCluster ? (client as Cluster).nodes('master') : [];
  const nodes: ConfigClient[] = masters.length > 0 ? masters : [client];
  const policies = new Set<string>();
  try {
    for (const policy of await Promise.all(nodes.map(policyOf))) if (policy !== undefined) policies.add(policy);
  } catch (error) {
    logger.debug?.(
      { code: 'WARN_HOOKGUARD_REDIS_EVICTION', reason: error instanceof Error ? error.message : String(error) },
      'RedisStore could not read maxmemory-policy (CONFIG GET refused?): make sure it is noeviction.',
    );
    return;
  }
  const evicting = [...policies].filter((policy) => policy !== 'noeviction');
  if (evicting.length === 0) return;
  logger.warn(
    { code: 'WARN_HOOKGUARD_REDIS_EVICTION', maxmemoryPolicy: evicting.join(', ') },
    `Redis runs with maxmemory-policy ${evicting.join(', ')}: under memory pressure it may evict a hookguard record, ` +
      'and an evicted claim lets a redelivery run while the first delivery still runs (an evicted completed record runs the event again). ' +
      'Run CONFIG SET maxmemory-policy noeviction (and set it in redis.conf or your provider\'s parameter group): Redis then refuses new claims when full (503, retried) instead. ' +
      'Silence with warnings: { WARN_HOOKGUARD_REDIS_EVICTION: false }.',
  );
}
