import { describeQueueContract } from '@hookguard/core/testing/contracts';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { BullMQQueue } from './bullmq-queue.js';
import { jobId } from './job-id.js';

const client = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });
const run = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
let sequence = 0;

afterAll(async () => {
  await client.quit();
});

/** Deletes every key under a test's own prefix (never the whole database: Redis is shared). */
async function dropPrefix(prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) await client.del(...keys);
  } while (cursor !== '0');
}

describeQueueContract('BullMQQueue', {
  setup: () => {
    const prefix = `hg-test-${run}-${++sequence}`;
    return {
      open: () => new BullMQQueue({ connection: client, prefix, name: 'contract', lockDurationMs: 5_000, stalledIntervalMs: 1_000 }),
      teardown: () => dropPrefix(prefix),
    };
  },
  delaySlackMs: 1_000,
});

describe('BullMQQueue', () => {
  it('encodes dedup keys into job ids BullMQ accepts, one to one', () => {
    const keys = ['github:abc', 'a%3Ab', 'a:b', '12345', '-5', '1e3', 'plain', '%31'];
    const ids = keys.map(jobId);
    expect(ids).toEqual(['github%3Aabc', 'a%253Ab', 'a%3Ab', '%312345', '%2D5', '1e3', 'plain', '%2531']);
    expect(new Set(ids).size).toBe(keys.length);
    for (const id of ids) {
      expect(id.includes(':')).toBe(false);
      expect(`${Number.parseInt(id, 10)}`).not.toBe(id);
    }
  });

  it('refuses a connection that is not an ioredis client', () => {
    expect(() => new BullMQQueue({} as never)).toThrow(/ioredis client/);
  });

  it('never closes the client it was given', async () => {
    const prefix = `hg-test-${run}-own`;
    const queue = new BullMQQueue({ connection: client, prefix });
    const worker = await queue.work(async () => undefined, { concurrency: 1, retry: { attempts: 1, minDelayMs: 50, maxDelayMs: 100 } });
    await worker.close();
    await queue.close();
    expect(await client.ping()).toBe('PONG');
    await dropPrefix(prefix);
  });
});
