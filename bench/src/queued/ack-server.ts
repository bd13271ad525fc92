// One receiver server for ack-latency.ts, in its own process so its CPU time is its own. Inline or
// queued (BullMQ or pg-boss), on the machine's Redis or PostgreSQL, with a handler of a given
// length. Answers 'ready' with its port, and 'cpu' with its CPU seconds when asked.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BullMQQueue } from '@hookguard/bullmq';
import { createReceiver, standardWebhooks, type ReceiverOptions, type WebhookQueue } from '@hookguard/core';
import { webhookMiddleware } from '@hookguard/node';
import { PgBossQueue } from '@hookguard/pg-boss';
import { PostgresStore } from '@hookguard/postgres';
import { RedisStore } from '@hookguard/redis';
import { Redis } from 'ioredis';
import pg from 'pg';

export type AckServerConfig = {
  mode: 'inline' | 'bullmq' | 'pg-boss';
  run: string;
  secret: string;
  handlerMs: number;
  /** Run a worker in the server process too (queued modes), with this concurrency. */
  workerConcurrency: number;
};

const config = JSON.parse(process.env['ACK_SERVER_CONFIG'] ?? '{}') as AckServerConfig;
const silent = { warn: () => undefined, error: () => undefined };
let options: ReceiverOptions;
const closers: (() => Promise<void> | void)[] = [];

if (config.mode === 'pg-boss') {
  const pool = new pg.Pool({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test', max: 20 });
  const store = new PostgresStore({ pool, schema: config.run.replaceAll('-', '_') });
  await store.migrate();
  const queue: WebhookQueue = new PgBossQueue({ pool, schema: `${config.run.replaceAll('-', '_')}_boss` });
  options = { verifier: standardWebhooks({ secret: config.secret }), store, queue, namespace: config.run, logger: silent };
  closers.push(() => pool.end());
} else {
  // Auto-pipelining batches the commands of concurrent deliveries into one write: what a busy
  // receiver should run with, and the same for inline and queued here.
  const client = new Redis({ host: '127.0.0.1', port: 6379, enableAutoPipelining: true });
  const store = new RedisStore({ client, prefix: `${config.run}:` });
  const queue = config.mode === 'bullmq' ? new BullMQQueue({ connection: client, name: `${config.run}-q` }) : undefined;
  options = { verifier: standardWebhooks({ secret: config.secret }), store, namespace: config.run, logger: silent, ...(queue === undefined ? {} : { queue }) };
  closers.push(() => client.disconnect());
}

const receiver = createReceiver(options);
receiver.on('*', async () => {
  if (config.handlerMs > 0) await new Promise((resolve) => setTimeout(resolve, config.handlerMs));
});
if (config.mode !== 'inline' && config.workerConcurrency > 0) await receiver.work({ concurrency: config.workerConcurrency });

const middleware = webhookMiddleware(receiver, { path: '/webhooks' });
const server = createServer((req, res) => void middleware(req, res));
server.listen(0, '127.0.0.1', () => process.send?.({ type: 'ready', port: (server.address() as AddressInfo).port }));
process.on('message', (message: { type: string }) => {
  if (message.type !== 'cpu') return;
  const usage = process.cpuUsage();
  process.send?.({ type: 'cpu', seconds: (usage.user + usage.system) / 1e6 });
});
