import { BullMQQueue } from '@hookguard/bullmq';
import type { WebhookQueue } from '@hookguard/core';
import { PgBossQueue } from '@hookguard/pg-boss';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { DemoSetupError } from './setup-error.js';

export const QUEUES = ['bullmq', 'postgres'] as const;
export type QueueKind = (typeof QUEUES)[number];

/** A queue the demo opened, and how to let go of it. */
export type OpenedQueue = { queue: WebhookQueue; name: string; close: () => Promise<void> };

/**
 * Opens the queue for `--queue`: BullMQ on Redis, or pg-boss on PostgreSQL, each under a name of
 * this run's own so earlier runs' jobs never mix in.
 */
export async function openQueue(kind: QueueKind, run: string, urls: { redisUrl: string; postgresUrl: string }): Promise<OpenedQueue> {
  if (kind === 'bullmq') {
    const client = new Redis(urls.redisUrl, { lazyConnect: true, connectTimeout: 2_000, maxRetriesPerRequest: 1 });
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (error) {
      client.disconnect();
      throw new DemoSetupError(`--queue bullmq: Redis is not reachable (${(error as Error).message}). Start one or point --redis-url at yours.`);
    }
    const queueName = `mail-demo-${run}`;
    const queue = new BullMQQueue({ connection: client, name: queueName });
    return {
      queue,
      name: 'BullMQ',
      close: async () => {
        await queue.close();
        // The run's queue goes with it, as the pg-boss schema below does.
        const jobs = new Queue(queueName, { connection: client });
        await jobs
          .obliterate({ force: true })
          .catch(() => undefined)
          .finally(() => jobs.close());
        client.disconnect();
      },
    };
  }
  const pool = new pg.Pool({ connectionString: urls.postgresUrl, connectionTimeoutMillis: 2_000, max: 10 });
  pool.on('error', () => undefined);
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new DemoSetupError(`--queue postgres: PostgreSQL is not reachable (${(error as Error).message}). Start one or point --postgres-url at yours.`);
  }
  const schema = `mail_demo_${run.replace(/[^a-z0-9]/g, '_')}`;
  const queue = new PgBossQueue({ pool, schema });
  return {
    queue,
    name: 'pg-boss',
    close: async () => {
      await queue.close();
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
      await pool.end();
    },
  };
}
