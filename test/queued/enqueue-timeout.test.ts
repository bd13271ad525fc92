// Acceptance on PostgreSQL (PostgresStore + PgBossQueue, one transaction) while pg-boss's job table
// is locked: the job insert must be bounded by the store's statementTimeoutMs like the store's own
// statements, so the delivery is refused (503 + Retry-After) within the provider's deadline instead
// of being answered 200 once the lock is gone.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createReceiver, standardWebhooks, type WebhookEvent } from '@hookguard/core';
import { webhookMiddleware } from '@hookguard/node';
import { PgBossQueue } from '@hookguard/pg-boss';
import { PostgresStore } from '@hookguard/postgres';
import pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import { describeWithPostgres, POSTGRES } from '../support/services.js';
import { eventually, SECRET, signedDelivery } from './queued-fixtures.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Posts one signed delivery and reads the whole answer. */
async function deliver(url: string, id: string): Promise<{ status: number; retryAfter: string | null; body: string; ms: number }> {
  const { body, headers } = signedDelivery(id, 'order.created', {});
  const started = performance.now();
  const response = await fetch(url, { method: 'POST', body, headers, signal: AbortSignal.timeout(30_000) });
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: await response.text(), ms: performance.now() - started };
}

describeWithPostgres('queued mode on PostgreSQL: the job insert is bounded by the store', () => {
  it('answers 503 with Retry-After within statementTimeoutMs while the job table is locked, and queues nothing and claims nothing', { timeout: 60_000 }, async () => {
    const run = randomUUID().slice(0, 8);
    const schema = `hgq_timeout_${run}`;
    const pool = new pg.Pool({ ...POSTGRES, max: 10 });
    pool.on('error', () => undefined);
    const store = new PostgresStore({ pool, schema, statementTimeoutMs: 300 });
    const queue = new PgBossQueue({ pool, schema: `${schema}_boss`, pollIntervalMs: 100 });
    cleanups.push(async () => {
      await queue.close();
      await store.close();
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}_boss" CASCADE`);
      await pool.end();
    });
    await store.migrate();
    // pg-boss migrates its schema and creates the queue on first use: done before the lock.
    await queue.find('warm-up');
    const errors: string[] = [];
    const receiver = createReceiver({
      verifier: standardWebhooks({ secret: SECRET }),
      store,
      queue,
      namespace: `app-${run}`,
      retry: { attempts: 3, minDelayMs: 50, maxDelayMs: 400 },
      logger: { warn: () => undefined, error: (fields) => void errors.push(String(fields['code'])) },
    });
    const handled: string[] = [];
    receiver.on('order.created', (event: WebhookEvent) => void handled.push(event.id));
    const middleware = webhookMiddleware(receiver, { path: '/webhooks' });
    const server: Server = createServer((req, res) => void middleware(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`;

    // Another connection holds the job table, as a long migration or a VACUUM FULL would, for at
    // most 8 s (released sooner once the answer came).
    const locker = new pg.Client(POSTGRES);
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query(`LOCK TABLE "${schema}_boss".job IN ACCESS EXCLUSIVE MODE`);
    let unlocked: Promise<void> | undefined;
    const unlock = (): Promise<void> => (unlocked ??= locker.query('COMMIT').then(() => locker.end()));
    const lockTimer = setTimeout(() => void unlock(), 8_000);
    let refused: Awaited<ReturnType<typeof deliver>>;
    try {
      refused = await deliver(url, 'evt_locked');
    } finally {
      clearTimeout(lockTimer);
      await unlock();
    }

    expect(refused).toMatchObject({ status: 503, body: '{"error":"ERR_HOOKGUARD_QUEUE_UNAVAILABLE"}' });
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
    // While the lock was still held (8 s): unbounded, the answer came only once it was released.
    expect(refused.ms).toBeLessThan(5_000);
    expect(errors).toContain('ERR_HOOKGUARD_QUEUE_UNAVAILABLE');
    const key = `app-${run}:evt_locked`;
    expect(await queue.find(key)).toBeUndefined();
    // Nothing holds the key: no row, or one released (never processing nor completed).
    const { rows } = await pool.query<{ state: string }>(`SELECT state FROM "${schema}".hookguard_events WHERE key = $1`, [key]);
    expect(rows.filter((row) => row.state !== 'released')).toEqual([]);

    // The redelivery, once the lock is gone, is accepted (not a duplicate) and handled once.
    // (A 409 would mean the refused transaction's server session had not yet rolled back: a
    // provider retries after Retry-After, as this does.)
    let retried = await deliver(url, 'evt_locked');
    for (let tries = 0; retried.status === 409 && tries < 20; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      retried = await deliver(url, 'evt_locked');
    }
    expect(retried).toMatchObject({ status: 200, body: '{"received":true,"queued":true}' });
    const worker = await receiver.work({ concurrency: 2 });
    try {
      await eventually(async () => (await queue.find(key))?.state === 'completed', 20_000, () => `handled ${JSON.stringify(handled)}`);
      expect(await queue.find(key)).toMatchObject({ attempts: 1 });
      expect(handled).toEqual(['evt_locked']);
    } finally {
      await worker.close();
    }
  });
});
