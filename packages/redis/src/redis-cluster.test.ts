import { silentLogger } from '@hookguard/core';
import { describeStoreContract } from '@hookguard/core/testing/contracts';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from './redis-store.js';
import { respCommand } from './testing/resp-command.js';
import { startRedisCluster, type RedisCluster } from './testing/redis-cluster.js';
import { redisServerInstalled } from './testing/redis-server.js';

const PORTS = [7101, 7102, 7103];
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const installed = redisServerInstalled();
const enabled = installed || process.env.CI === 'true';
if (!enabled) {
  console.warn('Skipping the RedisStore Cluster tests: redis-server is not installed (with CI=true they fail instead).');
}

let cluster: RedisCluster | undefined;
let client: Cluster;

if (enabled) {
  beforeAll(async () => {
    cluster = await startRedisCluster({ ports: PORTS });
    client = new Cluster([...cluster.nodes]);
    client.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      client.once('ready', resolve);
      client.once('end', () => reject(new Error('the Cluster client gave up connecting')));
    });
  });
  afterAll(async () => {
    client?.disconnect();
    await cluster?.stop();
  });

  describeStoreContract('RedisStore on a 3-master Redis Cluster', {
    // The contract writes to keys it never claimed, which the store reports as vanished records.
    setup: () => ({ store: new RedisStore({ client, logger: silentLogger }), advance: sleep }),
    leaseMs: 250,
  });
}

describe.skipIf(!enabled)('RedisStore on a Redis Cluster', () => {
  it('routes every operation by its key slot, spreading records over all masters without cross-slot errors', async () => {
    const store = new RedisStore({ client, prefix: 'spread:' });
    const options = { leaseMs: 60_000, retentionMs: 60_000 };
    for (let index = 0; index < 30; index++) {
      const key = `evt_${index}`;
      const claim = await store.claim(key, options);
      if (claim.status !== 'claimed') throw new Error(`expected ${key} to be claimed, got ${claim.status}`);
      expect(await store.extend(key, claim.token, 60_000)).toBe(true);
      expect(await store.complete(key, claim.token, { retentionMs: 60_000, result: index })).toBe(true);
      expect(await store.claim(key, options)).toMatchObject({ status: 'completed', result: index });
    }
    const counts = await Promise.all(PORTS.map((port) => respCommand({ port }, ['DBSIZE'])));
    for (const count of counts) expect(Number(count)).toBeGreaterThan(0);
  });
});
