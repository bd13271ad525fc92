import type { ClaimOptions, QueuedEvent } from '@hookguard/core';
import { PostgresStore } from '@hookguard/postgres';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../../../test/support/until.js';
import { PgBossQueue } from './pg-boss-queue.js';

const run = `${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`;
const schema = `hg_pgboss_timeout_${run}`;
const storeSchema = `hg_store_timeout_${run}`;
const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const pool = new pg.Pool({ connectionString: databaseUrl, max: 8 });
pool.on('error', () => undefined);
const claimOptions: ClaimOptions = { leaseMs: 60_000, retentionMs: 60_000 };

beforeAll(async () => {
  const queue = new PgBossQueue({ pool, schema });
  await queue.find('warm-up');
  await queue.close();
});

afterAll(async () => {
  await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await pool.query(`DROP SCHEMA IF EXISTS ${storeSchema} CASCADE`);
  await pool.end();
});

/** Holds pg-boss's job table from another connection, as a long migration would, until released. */
async function lockJobTable(): Promise<{ release(): Promise<void> }> {
  const locker = new pg.Client({ connectionString: databaseUrl });
  await locker.connect();
  await locker.query('BEGIN');
  await locker.query(`LOCK TABLE ${schema}.job IN ACCESS EXCLUSIVE MODE`);
  let released: Promise<void> | undefined;
  return { release: () => (released ??= locker.query('COMMIT').then(() => locker.end())) };
}

function sampleEvent(label: string): QueuedEvent {
  const id = `evt_${run}_${label}`;
  return { key: `test:${id}`, namespace: 'test', id, type: 'ping', alias: null, payload: { label }, timestamp: null, headers: {}, acceptedAt: Date.now() };
}

describe('PgBossQueue enqueue while the job table is locked', () => {
  it('rejects an enqueue on its own after enqueueTimeoutMs and hands its pool client back instead of leaving it waiting', async () => {
    const queue = new PgBossQueue({ pool, schema, name: 'alone', enqueueTimeoutMs: 300 });
    await queue.find('warm-up');
    const lock = await lockJobTable();
    try {
      // Answered while the lock is still held: unbounded, the enqueue would wait for the release below.
      const error = await queue.enqueue(sampleEvent('alone')).catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: 'ERR_HOOKGUARD_QUEUE_UNAVAILABLE', message: expect.stringContaining('enqueueTimeoutMs (300 ms)') });
      // The insert's client was destroyed (pg's query_timeout), not kept until the lock goes.
      await until(() => pool.totalCount === pool.idleCount, 2_000);
    } finally {
      await lock.release();
    }
    // Outside a transaction the server may still run the abandoned insert once the lock goes: a
    // redelivery's enqueue then adds nothing (same job id), and the job runs once.
    await queue.enqueue(sampleEvent('alone'));
    const { rows } = await pool.query(`SELECT id FROM ${schema}.job WHERE name = 'alone'`);
    expect(rows).toHaveLength(1);
    await queue.close();
  });

  it("rejects an enqueue in a PostgresStore's transaction after the store's statementTimeoutMs, and the store rolls the claim back at once", async () => {
    // Long enough that once and twice the timeout are told apart on a loaded machine (2 s against 4).
    const store = new PostgresStore({ pool, schema: storeSchema, statementTimeoutMs: 2_000 });
    await store.migrate();
    // enqueueTimeoutMs is left long: inside the store's transaction the store's timeout governs.
    const queue = new PgBossQueue({ pool, schema, name: 'joined', enqueueTimeoutMs: 20_000 });
    await queue.find('warm-up');
    expect(queue.joinsTransactionsOf(store)).toBe(true);
    const event = sampleEvent('joined');
    const lock = await lockJobTable();
    let enqueueError: unknown;
    let elapsed: number;
    try {
      const started = performance.now();
      const error = await store
        .claimInTransaction(event.key, claimOptions, async ({ db }) => {
          await queue.enqueue(event, { transaction: db }).catch((caught: unknown) => {
            enqueueError = caught;
            throw caught;
          });
        })
        .catch((caught: unknown) => caught);
      elapsed = performance.now() - started;
      expect(error).toBe(enqueueError);
    } finally {
      await lock.release();
    }
    expect(enqueueError).toMatchObject({ code: 'ERR_HOOKGUARD_QUEUE_UNAVAILABLE', message: expect.stringContaining("the store's statementTimeoutMs (2000 ms)") });
    // Once, not twice: the store destroys the client rather than wait behind the unanswered insert.
    expect(elapsed).toBeLessThan(3_500);
    expect(await queue.find(event.key)).toBeUndefined();
    // Nothing was committed: the key is claimed afresh.
    await until(async () => (await store.claim(event.key, claimOptions).catch(() => ({ status: 'error' }))).status !== 'processing', 5_000);
    const { rows } = await pool.query<{ attempt: number }>(`SELECT attempt FROM ${storeSchema}.hookguard_events WHERE key = $1`, [event.key]);
    expect(rows).toEqual([{ attempt: 1 }]);
    await queue.close();
    await store.close();
  });
});
