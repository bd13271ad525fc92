// Shared by the queued-mode tests: a receiver served over real HTTP (node:http + @hookguard/node),
// a queue of each engine on the machine's Redis or PostgreSQL, and senders that behave like the
// providers (one that never retries, like GitHub; one with a short deadline, like Slack).
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BullMQQueue } from '@hookguard/bullmq';
import { createReceiver, standardWebhooks, type DedupStore, type Receiver, type ReceiverOptions, type WebhookQueue } from '@hookguard/core';
import { webhookMiddleware } from '@hookguard/node';
import { PgBossQueue } from '@hookguard/pg-boss';
import { PostgresStore } from '@hookguard/postgres';
import { RedisStore } from '@hookguard/redis';
import { Redis } from 'ioredis';
import pg from 'pg';
import { Webhook } from 'standardwebhooks';
import { deleteRedisKeys } from '../support/redis-keys.js';
import { POSTGRES, REDIS } from '../support/services.js';

export const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const signer = new Webhook(SECRET);

/** Everything one test's receiver runs on, closed together. */
export type QueuedSetup = {
  receiver: Receiver;
  url: string;
  queue: WebhookQueue;
  store: DedupStore;
  /** The PostgreSQL pool, with pg-boss. */
  pool: pg.Pool | undefined;
  close(): Promise<void>;
};

/** BullMQ with the Redis store, or pg-boss with the PostgreSQL store (one-transaction acceptance). */
export type QueueKind = 'bullmq' | 'pg-boss';

/** A queued-mode receiver on real Redis or PostgreSQL, served over HTTP on a loopback port. */
export async function queuedReceiver(kind: QueueKind, options: Partial<ReceiverOptions> = {}, redisPort: number = REDIS.port): Promise<QueuedSetup> {
  const run = randomUUID().slice(0, 8);
  const backend = await queuedBackend(kind, run, redisPort);
  const receiver = createReceiver({
    verifier: standardWebhooks({ secret: SECRET }),
    store: backend.store,
    queue: backend.queue,
    namespace: `app-${run}`,
    retry: { attempts: 5, minDelayMs: 50, maxDelayMs: 400 },
    logger: { warn: () => undefined, error: () => undefined },
    ...options,
  });
  const server = await listen(receiver);
  return {
    receiver,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`,
    queue: backend.queue,
    store: backend.store,
    pool: backend.pool,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await backend.queue.close?.();
      await backend.store.close?.();
      await backend.close();
    },
  };
}

/** What a queued receiver runs on: its store and queue, on the machine's Redis or PostgreSQL. */
export type QueuedBackend = {
  store: DedupStore;
  queue: WebhookQueue;
  /** Another queue object of the same name on the same server, as a second receiver configured alike makes. */
  sameQueue(): WebhookQueue;
  /**
   * Takes the next job the way a worker that is then SIGKILLed does: the engine's own fetch (the
   * job turns active under a lock), then no renewal and no answer, so the run is lost and the job
   * runs again once the engine notices (BullMQ's stalled-job check, pg-boss's expiry). Resolves the
   * key of the job taken, or `undefined` when none was ready.
   */
  takeAndDie(): Promise<string | undefined>;
  pool?: pg.Pool;
  /** Removes the run's keys or schemas; the queues are closed before. */
  close(): Promise<void>;
};

/**
 * Lock timings short enough for a test to lose runs: a lock of `lockSeconds`, checked for stalls
 * (BullMQ) or expiry (pg-boss) every few hundred milliseconds; `maxStalledCount` for BullMQ.
 */
export type QueueTiming = { lockSeconds: number; maxStalledCount?: number };

/** The store and queue of one test run (`run` keeps its keys and schemas apart from other runs'). */
export async function queuedBackend(kind: QueueKind, run: string, redisPort: number = REDIS.port, timing?: QueueTiming): Promise<QueuedBackend> {
  return kind === 'bullmq' ? redisBackend(run, redisPort, timing) : await postgresBackend(run, timing);
}

/**
 * The engines' own worker-side calls, loaded from the queue packages' dependencies (the tests'
 * package does not depend on the engines): only what a worker that dies mid-job does.
 */
type DyingBullMQWorker = {
  getNextJob(token: string, options: { block: boolean }): Promise<{ data: unknown } | undefined>;
  startStalledCheckTimer(): Promise<void>;
  close(force: boolean): Promise<void>;
};
type BullMQEngine = { Worker: new (name: string, processor: null, options: Record<string, unknown>) => DyingBullMQWorker };
type PgBossEngine = new (options: Record<string, unknown>) => { fetch(name: string): Promise<{ data: { event: string } }[]> };
const engine = <T>(pkg: string, module: string): T => createRequire(new URL(`../../packages/${pkg}/package.json`, import.meta.url))(module) as T;

function redisBackend(run: string, port: number, timing: QueueTiming | undefined): QueuedBackend {
  const client = new Redis({ host: REDIS.host, port, maxRetriesPerRequest: 1, retryStrategy: () => 100 });
  client.on('error', () => undefined);
  const name = `q-${run}`;
  const lockDurationMs = timing === undefined ? 15_000 : timing.lockSeconds * 1000;
  const stalledIntervalMs = timing === undefined ? 5_000 : 300;
  const maxStalledCount = timing?.maxStalledCount ?? 3;
  const sameQueue = (): WebhookQueue => new BullMQQueue({ connection: client, name, lockDurationMs, stalledIntervalMs, maxStalledCount });
  let dying: { worker: DyingBullMQWorker; connection: Redis } | undefined;
  return {
    store: new RedisStore({ client, prefix: `hgq-${run}:` }),
    queue: sameQueue(),
    sameQueue,
    async takeAndDie() {
      if (dying === undefined) {
        const connection = client.duplicate({ maxRetriesPerRequest: null });
        // No processor: it only takes jobs (BullMQ's own getNextJob) and never renews nor answers.
        const { Worker } = engine<BullMQEngine>('bullmq', 'bullmq');
        const worker = new Worker(name, null, { connection, lockDuration: lockDurationMs, skipLockRenewal: true, stalledInterval: stalledIntervalMs, maxStalledCount });
        dying = { worker, connection };
        // Some worker must look for stalled jobs while the receiver's own does not run yet.
        void worker.startStalledCheckTimer();
      }
      const job = await dying.worker.getNextJob(randomUUID(), { block: false });
      return (job?.data as { key?: string } | undefined)?.key;
    },
    close: async () => {
      try {
        if (dying !== undefined) {
          await dying.worker.close(true);
          await dying.connection.quit().catch(() => dying?.connection.disconnect());
        }
        await deleteRedisKeys(client, `hgq-${run}:*`, `bull:${name}:*`);
      } finally {
        client.disconnect();
      }
    },
  };
}

async function postgresBackend(run: string, timing: QueueTiming | undefined): Promise<QueuedBackend> {
  const pool = new pg.Pool({ ...POSTGRES, max: 20, connectionTimeoutMillis: 5_000 });
  pool.on('error', () => undefined);
  const schema = `hgq_${run}`;
  const store = new PostgresStore({ pool, schema });
  await store.migrate();
  const lock = timing === undefined ? {} : { expireInSeconds: timing.lockSeconds, maintenanceIntervalSeconds: 1 };
  const sameQueue = (): WebhookQueue => new PgBossQueue({ pool, schema: `${schema}_boss`, pollIntervalMs: 100, ...lock });
  // pg-boss's own fetch, on its own instance (never started: no maintenance of its own).
  const PgBoss = engine<PgBossEngine>('pg-boss', 'pg-boss');
  const dying = new PgBoss({ db: { executeSql: (text: string, values?: unknown[]) => pool.query(text, values) }, schema: `${schema}_boss` });
  return {
    store,
    queue: sameQueue(),
    sameQueue,
    async takeAndDie() {
      const [job] = await dying.fetch('hookguard');
      return job === undefined ? undefined : (JSON.parse(job.data.event) as { key: string }).key;
    },
    pool,
    close: async () => {
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}_boss" CASCADE`);
      await pool.end();
    },
  };
}

async function listen(receiver: Receiver): Promise<Server> {
  const middleware = webhookMiddleware(receiver, { path: '/webhooks' });
  const server = createServer((req, res) => void middleware(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/** A Standard Webhooks delivery signed by the provider's SDK now. */
export function signedDelivery(id: string, type: string, data: unknown): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify({ type, timestamp: new Date().toISOString(), data });
  const now = new Date();
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': signer.sign(id, now, body),
    },
  };
}

export type SendResult = { id: string; status: number | 'timeout' | 'error'; ms: number };

/** Posts one delivery once, as a sender that never retries does, with a deadline. */
export async function sendOnce(url: string, id: string, type: string, data: unknown, timeoutMs: number): Promise<SendResult> {
  const { body, headers } = signedDelivery(id, type, data);
  const started = performance.now();
  try {
    const response = await fetch(url, { method: 'POST', body, headers, signal: AbortSignal.timeout(timeoutMs) });
    await response.arrayBuffer();
    return { id, status: response.status, ms: performance.now() - started };
  } catch (error) {
    const timedOut = error instanceof DOMException && error.name === 'TimeoutError';
    return { id, status: timedOut ? 'timeout' : 'error', ms: performance.now() - started };
  }
}

/** Runs `task` over `items` with at most `concurrency` at once. */
export async function inParallel<T, R>(items: readonly T[], concurrency: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await task(items[index]!);
      }
    }),
  );
  return results;
}

/** Resolves once `condition` holds, polling; rejects after `timeoutMs` with `describe()` in the message. */
export async function eventually(condition: () => boolean | Promise<boolean>, timeoutMs: number, describe: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
