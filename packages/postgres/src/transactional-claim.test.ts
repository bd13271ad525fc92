import { WebhookError, isWebhookError, type ClaimOptions } from '@hookguard/core';
import type { PoolClient } from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  describeWithPostgres,
  poolCounts,
  sleep,
  terminateBackends,
  testPool,
  testSchema,
  type TestSchema,
} from './postgres.fixtures.js';

const options: ClaimOptions = { leaseMs: 60_000, retentionMs: 600_000 };
let sequence = 0;
const uniqueKey = (label: string): string => `tx:${label}:${++sequence}`;

describeWithPostgres('PostgresStore.claimInTransaction', () => {
  let db: TestSchema;
  let orders: string;
  const insertOrder = (client: PoolClient, id: string) => client.query(`INSERT INTO ${orders} (id) VALUES ($1)`, [id]);
  const orderCount = async (id: string): Promise<number> =>
    (await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${orders} WHERE id = $1`, [id])).rows[0]!.n;
  const record = async (key: string) =>
    (
      await db.pool.query<{ state: string; attempt: number }>(
        `SELECT state, attempt FROM "${db.schema}".hookguard_events WHERE key = $1`,
        [key],
      )
    ).rows[0];

  beforeAll(async () => {
    db = await testSchema('tx', { max: 4 });
    orders = `"${db.schema}".orders`;
    await db.pool.query(`CREATE TABLE ${orders} (id text PRIMARY KEY)`);
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('rolls back the writes of a handler that throws, records no completion, and lets the retry write exactly once', async () => {
    const key = uniqueKey('throws');
    const failure = new Error('handler failed after writing');
    const first = db.store.claimInTransaction(key, options, async ({ db: client }) => {
      await insertOrder(client, key);
      throw failure;
    });
    await expect(first).rejects.toBe(failure);
    expect(await orderCount(key)).toBe(0);
    expect(await record(key)).toEqual({ state: 'released', attempt: 1 });

    const retry = await db.store.claimInTransaction(key, options, async ({ db: client, attempt }) => {
      expect(attempt).toBe(2);
      await insertOrder(client, key);
    });
    expect(retry).toMatchObject({ status: 'claimed', attempt: 2 });
    expect(await orderCount(key)).toBe(1);
    expect(await record(key)).toEqual({ state: 'completed', attempt: 2 });
  });

  it('answers completed to every later claim once the transaction committed, without running the handler', async () => {
    const key = uniqueKey('committed');
    const withFingerprint = { ...options, fingerprint: 'body-1' };
    await db.store.claimInTransaction(key, withFingerprint, async ({ db: client }) => {
      await insertOrder(client, key);
    });
    let ranAgain = false;
    const again = await db.store.claimInTransaction(key, withFingerprint, async () => {
      ranAgain = true;
    });
    expect(again).toEqual({ status: 'completed', fingerprintMatches: true });
    expect(ranAgain).toBe(false);
    expect(await db.store.claim(key, { ...options, fingerprint: 'body-2' })).toEqual({
      status: 'completed',
      fingerprintMatches: false,
    });
    expect(await orderCount(key)).toBe(1);
  });

  it('answers processing at once to concurrent deliveries of a key whose handler is still running', async () => {
    const key = uniqueKey('concurrent');
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    let finish!: () => void;
    const gate = new Promise<void>((resolve) => (finish = resolve));
    let firstSettled = false;
    const first = db.store
      .claimInTransaction(key, options, async ({ db: client }) => {
        await insertOrder(client, key);
        started();
        await gate;
      })
      .finally(() => (firstSettled = true));
    await running;

    let secondRan = false;
    const second = await db.store.claimInTransaction(key, options, async () => {
      secondRan = true;
    });
    const plain = await db.store.claim(key, options);
    expect(second).toMatchObject({ status: 'processing' });
    expect(plain).toMatchObject({ status: 'processing' });
    expect(secondRan).toBe(false);
    expect(firstSettled).toBe(false);

    finish();
    expect(await first).toMatchObject({ status: 'claimed', attempt: 1 });
    expect((await db.store.claim(key, options)).status).toBe('completed');
    expect(await orderCount(key)).toBe(1);
  });

  it('grants one of many concurrent transactional claims of one key and answers processing to the rest', async () => {
    const key = uniqueKey('race');
    let runs = 0;
    let answered = 0;
    let openGate!: () => void;
    // The granted handler holds its transaction until every other delivery has been answered.
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    const timeout = setTimeout(openGate, 5_000);
    const results = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const result = await db.store.claimInTransaction(key, options, async ({ db: client }) => {
          runs++;
          await insertOrder(client, key);
          await gate;
        });
        if (++answered === 3) openGate();
        return result;
      }),
    );
    clearTimeout(timeout);
    expect(results.filter((result) => result.status === 'claimed')).toHaveLength(1);
    expect(results.filter((result) => result.status === 'processing')).toHaveLength(3);
    expect(runs).toBe(1);
    expect(await orderCount(key)).toBe(1);
  });

  it('keeps the claim of a handler that runs longer than its lease', async () => {
    const key = uniqueKey('long');
    const short: ClaimOptions = { leaseMs: 150, retentionMs: 60_000 };
    const long = db.store.claimInTransaction(key, short, async () => {
      await sleep(600);
    });
    await sleep(400);
    expect((await db.store.claim(key, short)).status).toBe('processing');
    expect((await db.store.claimInTransaction(key, short, async () => undefined)).status).toBe('processing');
    expect(await long).toMatchObject({ status: 'claimed' });
    expect((await db.store.claim(key, short)).status).toBe('completed');
  });

  it('rolls everything back when the connection drops mid-handler, aborts the signal, and the retry runs again', async () => {
    const key = uniqueKey('crash');
    const admin = testPool('hookguard-test-tx-admin', { max: 1 });
    const crashPool = testPool('hookguard-test-tx-crash', { max: 2 });
    const store = db.storeOn(crashPool);
    let signal: AbortSignal | undefined;
    try {
      const crashed = await store
        .claimInTransaction(key, options, async ({ db: client, signal: handlerSignal }) => {
          signal = handlerSignal;
          await insertOrder(client, key);
          await terminateBackends(admin, 'hookguard-test-tx-crash');
          await client.query('SELECT 1');
        })
        .catch((error: unknown) => error);
      expect(crashed).toBeInstanceOf(Error);
      expect(signal?.aborted).toBe(true);
      expect(await orderCount(key)).toBe(0);
      expect(await record(key)).toBeUndefined();

      const retry = await store.claimInTransaction(key, options, async ({ db: client }) => {
        await insertOrder(client, key);
      });
      expect(retry).toMatchObject({ status: 'claimed', attempt: 1 });
      expect(await orderCount(key)).toBe(1);
      expect(poolCounts(crashPool)).toEqual({ total: 1, idle: 1, waiting: 0 });
    } finally {
      await admin.end();
      await crashPool.end();
    }
  });

  it('fails a handler that swallowed a failed statement: the aborted transaction commits nothing', async () => {
    const key = uniqueKey('swallowed');
    const error = await db.store
      .claimInTransaction(key, options, async ({ db: client }) => {
        await insertOrder(client, key);
        await client.query('SELECT 1 / 0').catch(() => undefined);
      })
      .catch((caught: unknown) => caught);
    expect(isWebhookError(error) && error.code).toBe('ERR_HOOKGUARD_HANDLER_FAILED');
    expect(await orderCount(key)).toBe(0);
    expect(await record(key)).toEqual({ state: 'released', attempt: 1 });
  });

  it('fails a handler that ended the transaction itself, releasing the claim so a retry runs', async () => {
    const key = uniqueKey('ended');
    const error = await db.store
      .claimInTransaction(key, options, async ({ db: client }) => {
        await client.query('COMMIT');
      })
      .catch((caught: unknown) => caught);
    expect(isWebhookError(error) && error.code).toBe('ERR_HOOKGUARD_HANDLER_FAILED');
    expect(await record(key)).toEqual({ state: 'released', attempt: 1 });
    expect((await db.store.claim(key, options)).status).toBe('claimed');
  });

  it('counts every failed attempt, so the receiver can dead-letter a poison event', async () => {
    const key = uniqueKey('poison');
    const attempts: number[] = [];
    for (let index = 0; index < 3; index++) {
      await db.store
        .claimInTransaction(key, options, async ({ attempt }) => {
          attempts.push(attempt);
          throw new Error('poison');
        })
        .catch(() => undefined);
    }
    expect(attempts).toEqual([1, 2, 3]);
    expect(await db.store.claim(key, options)).toMatchObject({ status: 'claimed', attempt: 4 });
  });

  it('records a failed attempt’s error as lastError for the next attempt, and does not count a failure that was the store’s', async () => {
    const key = uniqueKey('last-error');
    const seen: Array<{ attempt: number; lastError: string | undefined }> = [];
    const attemptWith = (failure: unknown) =>
      db.store
        .claimInTransaction(key, options, async ({ attempt, lastError }) => {
          seen.push({ attempt, lastError });
          throw failure;
        })
        .catch(() => undefined);
    await attemptWith(new TypeError('the reply API answered 500'));
    // ctx.once rejecting with a store error, wrapped by the handler: the store failed, not the handler.
    const storeDown = new WebhookError('ERR_HOOKGUARD_STORE_UNAVAILABLE', 'PostgresStore claim failed: a lock wait timed out');
    await attemptWith(new Error('could not send the reply', { cause: storeDown }));
    await attemptWith(Object.create(null));
    const last = await db.store.claimInTransaction(key, options, async ({ attempt, lastError }) => {
      seen.push({ attempt, lastError });
    });
    expect(last).toMatchObject({ status: 'claimed', attempt: 3 });
    expect(seen).toEqual([
      { attempt: 1, lastError: undefined },
      { attempt: 2, lastError: 'TypeError: the reply API answered 500' },
      { attempt: 2, lastError: 'TypeError: the reply API answered 500' },
      { attempt: 3, lastError: '[object without a string form]' },
    ]);
  });

  it('finishes 10 concurrent transactional deliveries and 10 plain claims on a pool of 2, one client per delivery', async () => {
    const pool = testPool('hookguard-test-tx-small', { max: 2 });
    const store = db.storeOn(pool);
    let acquired = 0;
    pool.on('acquire', () => acquired++);
    try {
      const deliveries = Array.from({ length: 10 }, (_, index) =>
        store.claimInTransaction(uniqueKey(`small-${index}`), options, async ({ db: client }) => {
          await insertOrder(client, `small-order-${sequence}-${index}`);
          await sleep(20);
          await client.query('SELECT pg_sleep(0.01)');
        }),
      );
      const transactional = await Promise.all(deliveries);
      expect(transactional.every((result) => result.status === 'claimed')).toBe(true);
      expect(acquired).toBe(10);

      const mixed = await Promise.all([
        ...Array.from({ length: 10 }, (_, index) =>
          store.claimInTransaction(uniqueKey(`mixed-${index}`), options, async ({ db: client }) => {
            await client.query('SELECT pg_sleep(0.02)');
          }),
        ),
        ...Array.from({ length: 10 }, (_, index) => store.claim(uniqueKey(`plain-${index}`), options)),
      ]);
      expect(mixed.every((result) => result.status === 'claimed')).toBe(true);
      expect(poolCounts(pool)).toEqual({ total: 2, idle: 2, waiting: 0 });
    } finally {
      await pool.end();
    }
  });
});
