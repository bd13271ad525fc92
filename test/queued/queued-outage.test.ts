import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WebhookEvent } from '@hookguard/core';
import { afterEach, describe, expect, it } from 'vitest';
import { redisServerInstalled, startRedisServer, type RedisServer } from '../../packages/redis/src/testing/redis-server.js';
import { eventually, inParallel, queuedReceiver, sendOnce } from './queued-fixtures.js';

// Its own redis-server on its own port (7141), never the shared one on 6379.
const PORT = 7141;
const required = process.env['CI'] === 'true';
const installed = redisServerInstalled();
if (!installed && !required) console.warn('Skipping the queued outage test: redis-server is not installed (with CI=true it fails instead).');

const cleanups: (() => Promise<void> | void)[] = [];
// Servers stop after everything that talks to them closed: a BullMQ worker closing against a
// stopped Redis waits for it forever (its connection retries every command).
const serverStops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  for (const stop of serverStops.splice(0).reverse()) await stop();
});

// Persistent: an acknowledged job must survive the server's crash, as BullMQ's docs require of production Redis.
async function persistentRedis(dir: string): Promise<RedisServer> {
  const server = await startRedisServer({ port: PORT, dir, args: ['--appendonly', 'yes', '--appendfsync', 'always'] });
  serverStops.push(() => server.stop({ abrupt: true }));
  return server;
}

(installed || required ? describe : describe.skip)('queued mode while Redis is down at acceptance', () => {
  it('answers 503 instead of 2xx for events it could not queue, and every event arrives once Redis is back', { timeout: 90_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hookguard-queued-outage-'));
    serverStops.push(() => rm(dir, { recursive: true, force: true }));
    let server = await persistentRedis(dir);
    const setup = await queuedReceiver('bullmq', { storeRetryAfterSeconds: 1 }, PORT);
    cleanups.push(() => setup.close());
    const handled = new Map<string, number>();
    setup.receiver.on('order.created', (event: WebhookEvent) => void handled.set(event.id, (handled.get(event.id) ?? 0) + 1));
    const worker = await setup.receiver.work({ concurrency: 8 });
    cleanups.push(() => worker.close({ graceMs: 1_000 }));

    const before = Array.from({ length: 20 }, (_, n) => `before_${n}`);
    const during = Array.from({ length: 20 }, (_, n) => `during_${n}`);
    expect((await inParallel(before, 8, (id) => sendOnce(setup.url, id, 'order.created', {}, 10_000))).map((r) => r.status)).toEqual(before.map(() => 200));

    await server.stop({ abrupt: true });
    const refused = await inParallel(during, 8, (id) => sendOnce(setup.url, id, 'order.created', {}, 10_000));
    // Never a 2xx for an event that is not durably queued.
    expect(refused.filter((r) => r.status === 200)).toEqual([]);
    expect(refused.every((r) => r.status === 503)).toBe(true);

    server = await persistentRedis(dir);
    // The sender retries what was refused, as Stripe and Svix do after a 503.
    await eventually(
      async () => {
        const again = await inParallel(during, 8, (id) => sendOnce(setup.url, id, 'order.created', {}, 10_000));
        return again.every((r) => r.status === 200);
      },
      30_000,
      () => 'the retries were not all accepted',
    );
    const all = [...before, ...during];
    await eventually(() => all.every((id) => handled.has(id)), 30_000, () => `${handled.size} of ${all.length} handled`);
    expect([...handled].filter(([, count]) => count !== 1)).toEqual([]);
  });
});
