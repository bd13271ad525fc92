import { createRequire } from 'node:module';
import { describeQueueContract } from '@hookguard/core/testing/contracts';
import type { Redis } from 'ioredis';
import { afterAll, expect, it } from 'vitest';
import { deleteRedisKeys } from '../../../test/support/redis-keys.js';
import { BullMQQueue } from './bullmq-queue.js';

// The other tests run on ioredis 6 (the dev dependency); the peer range also admits 5.9.2, so the
// queue's contract runs here on a connection of that release (a dev dependency under an alias,
// imported by a specifier TypeScript does not resolve: its types are 5.x's).
async function ioredis5(): Promise<new (options: object) => Redis> {
  const specifier = 'ioredis-5';
  return ((await import(specifier)) as { Redis: new (options: object) => Redis }).Redis;
}

const client = new (await ioredis5())({ host: '127.0.0.1', port: 6379, lazyConnect: true });
const run = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
let sequence = 0;

afterAll(async () => {
  await deleteRedisKeys(client, `hg-test-v5-${run}-*`);
  await client.quit();
});

it('runs on a 5.x release of ioredis, unlike the other tests', () => {
  const { version } = createRequire(import.meta.url)('ioredis-5/package.json') as { version: string };
  expect(version).toMatch(/^5\./);
  expect(client).not.toBeInstanceOf(createRequire(import.meta.url)('ioredis').Redis as new () => unknown);
});

describeQueueContract('BullMQQueue on ioredis 5', {
  setup: () => {
    const prefix = `hg-test-v5-${run}-${++sequence}`;
    return {
      open: () => new BullMQQueue({ connection: client, prefix, name: 'contract', lockDurationMs: 5_000, stalledIntervalMs: 1_000 }),
      teardown: () => deleteRedisKeys(client, `${prefix}:*`),
    };
  },
});
