import { createRequire } from 'node:module';
import { silentLogger } from '@hookguard/core';
import { describeDeliveryLogContract, describeStoreContract } from '@hookguard/core/testing/contracts';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteRedisKeys } from '../../../test/support/redis-keys.js';
import { RedisDeliveryLog } from './redis-delivery-log.js';
import { RedisStore } from './redis-store.js';
import { redisAnswers } from './testing/redis-server.js';

// The other tests run on ioredis 6 (the dev dependency); the peer range also admits 5.9.2, so the
// store's and the delivery log's contracts run here on a client of that release (a dev dependency
// under an alias, imported by a specifier TypeScript does not resolve: its types are 5.x's).
async function ioredis5(): Promise<new (options: object) => Redis> {
  const specifier = 'ioredis-5';
  return ((await import(specifier)) as { Redis: new (options: object) => Redis }).Redis;
}

const LEASE_MS = 250;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const run = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
const prefix = `hookguard-test-v5:${run}:`;
let sequence = 0;

const reachable = await redisAnswers({ port: 6379 });
const required = process.env.CI === 'true';
const enabled = reachable || required;
if (!enabled) console.warn('Skipping the ioredis 5 tests: no Redis answers PING at 127.0.0.1:6379 (with CI=true they fail instead).');

const Redis5 = await ioredis5();
let client: Redis;
beforeAll(() => {
  client = new Redis5({ host: '127.0.0.1', port: 6379, lazyConnect: !enabled });
  client.on('error', () => {});
});
afterAll(async () => {
  if (enabled) await deleteRedisKeys(client, `${prefix}*`);
  client.disconnect();
});

if (enabled) {
  describeStoreContract('RedisStore on ioredis 5', {
    setup: () => ({ store: new RedisStore({ client, prefix, logger: silentLogger }), advance: sleep }),
    leaseMs: LEASE_MS,
  });
  describeDeliveryLogContract('RedisDeliveryLog on ioredis 5', {
    setup: () => {
      const logPrefix = `${prefix}log-${++sequence}:`;
      return {
        open: ({ capacity }) => new RedisDeliveryLog({ client, prefix: logPrefix, maxLength: capacity }),
        teardown: () => deleteRedisKeys(client, `${logPrefix}*`),
      };
    },
    capacitySlack: 200,
  });
}

describe.skipIf(!enabled)('the ioredis 5 client under test', () => {
  it('is a 5.x release speaking RESP2, unlike the ioredis 6 the other tests use', async () => {
    const { version } = createRequire(import.meta.url)('ioredis-5/package.json') as { version: string };
    expect(version).toMatch(/^5\./);
    const hello = (await client.call('HELLO')) as unknown[];
    expect(hello[hello.indexOf('proto') + 1]).toBe(2);
  });
});
