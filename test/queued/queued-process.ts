// One process of a queued-mode deployment, started by queued-processes.test.ts: it accepts
// deliveries over HTTP (role 'accept') or runs jobs (role 'work'), with the same receiver either
// way. Effects are recorded in Redis, so the test counts them across processes.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BullMQQueue } from '@hookguard/bullmq';
import { createReceiver, standardWebhooks } from '@hookguard/core';
import { webhookMiddleware } from '@hookguard/node';
import { RedisStore } from '@hookguard/redis';
import { Redis } from 'ioredis';

export type QueuedProcessConfig = {
  role: 'accept' | 'work';
  /** Prefix of every Redis key of the run: the store's, the queue's and the effect lists. */
  run: string;
  secret: string;
  concurrency: number;
  lockDurationMs: number;
  stalledIntervalMs: number;
};

export type QueuedProcessMessage = { type: 'ready'; port: number } | { type: 'started'; id: string; attempt: number };

const config = JSON.parse(process.env['QUEUED_PROCESS_CONFIG'] ?? '{}') as QueuedProcessConfig;
const client = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: 1 });
const effects = new Redis({ host: '127.0.0.1', port: 6379 });
const receiver = createReceiver<{ 'order.created': { data: { holdMs?: number } } }>({
  verifier: standardWebhooks({ secret: config.secret }),
  store: new RedisStore({ client, prefix: `${config.run}:dedup:` }),
  queue: new BullMQQueue({ connection: client, name: `${config.run}-q`, lockDurationMs: config.lockDurationMs, stalledIntervalMs: config.stalledIntervalMs }),
  namespace: config.run,
  retry: { attempts: 5, minDelayMs: 50, maxDelayMs: 200 },
  logger: { warn: () => undefined, error: () => undefined },
});

receiver.on('order.created', async (event, ctx) => {
  process.send?.({ type: 'started', id: event.id, attempt: ctx.attempt } satisfies QueuedProcessMessage);
  // The side effect goes through ctx.once: however often the job runs, it happens once.
  await ctx.once(`effect:${event.id}`, async () => {
    await effects.rpush(`${config.run}:effects`, event.id);
  });
  const holdMs = event.payload.data.holdMs ?? 0;
  if (holdMs > 0) await new Promise((resolve) => setTimeout(resolve, holdMs));
  await effects.rpush(`${config.run}:finished`, `${event.id}:${process.pid}`);
});

if (config.role === 'work') {
  await receiver.work({ concurrency: config.concurrency });
  process.send?.({ type: 'ready', port: 0 } satisfies QueuedProcessMessage);
} else {
  const middleware = webhookMiddleware(receiver, { path: '/webhooks' });
  const server = createServer((req, res) => void middleware(req, res));
  server.listen(0, '127.0.0.1', () => {
    process.send?.({ type: 'ready', port: (server.address() as AddressInfo).port } satisfies QueuedProcessMessage);
  });
}
