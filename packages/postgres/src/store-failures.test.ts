import { isWebhookError, type ClaimOptions } from '@hookguard/core';
import type { Pool, PoolClient } from 'pg';
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
const uniqueKey = (label: string): string => `failure:${label}:${++sequence}`;

const isUnavailable = (error: unknown): boolean => isWebhookError(error) && error.code === 'ERR_HOOKGUARD_STORE_UNAVAILABLE';

/** Waits until every client of `pool` is back and idle (destroyed ones are gone). */
async function settled(pool: Pool): Promise<void> {
  for (let tries = 0; tries < 100 && (pool.idleCount !== pool.totalCount || pool.waitingCount > 0); tries++) await sleep(20);
}

describeWithPostgres('PostgresStore under failures', () => {
  let db: TestSchema;
  let admin: Pool;
  let table: string;

  /**
   * Takes an ACCESS EXCLUSIVE lock on the store's table, so every store statement waits, and
   * resolves once it is held; `released` settles when it was let go after `ms`.
   */
  async function lockTable(ms: number): Promise<{ released: Promise<void> }> {
    const client = await admin.connect();
    client.on('error', () => {});
    await client.query('BEGIN');
    await client.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
    const released = (async () => {
      try {
        await client.query('SELECT pg_sleep($1::float8)', [ms / 1000]);
        await client.query('COMMIT');
        client.release();
      } catch (error) {
        client.release(error as Error);
      }
    })();
    return { released };
  }

  /** Resolves once a backend of the pool tagged `applicationName` waits for a lock. */
  async function blockedOnLock(applicationName: string): Promise<void> {
    for (let tries = 0; tries < 200; tries++) {
      const { rows } = await admin.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`,
        [applicationName],
      );
      if ((rows[0]?.n ?? 0) > 0) return;
      await sleep(10);
    }
    throw new Error(`no backend of ${applicationName} ever waited for a lock`);
  }

  beforeAll(async () => {
    db = await testSchema('failures');
    admin = testPool('hookguard-test-failures-admin', { max: 3 });
    table = `"${db.schema}".hookguard_events`;
    await db.pool.query(`CREATE TABLE "${db.schema}".side_effects (id text PRIMARY KEY)`);
  });
  afterAll(async () => {
    await admin?.end();
    await db?.drop();
  });

  it('rejects with ERR_HOOKGUARD_STORE_UNAVAILABLE when no pool client frees up within connectionTimeoutMillis', async () => {
    const pool = testPool('hookguard-test-exhausted', { max: 1, connectionTimeoutMillis: 300 });
    const store = db.storeOn(pool);
    // The pool's only client, held for the whole test (a busy machine may need more than one try).
    let held: PoolClient | undefined;
    for (let tries = 0; held === undefined && tries < 10; tries++) held = await pool.connect().catch(() => undefined);
    if (held === undefined) throw new Error('could not open the one connection of the test pool');
    try {
      const plain = await store.claim(uniqueKey('exhausted'), options).catch((error: unknown) => error);
      const transactional = await store
        .claimInTransaction(uniqueKey('exhausted'), options, async () => undefined)
        .catch((error: unknown) => error);
      for (const error of [plain, transactional]) {
        expect(isUnavailable(error)).toBe(true);
        expect((error as Error).message).toMatch(/connectionTimeoutMillis/);
        expect((error as Error).cause).toBeInstanceOf(Error);
      }
    } finally {
      held.release();
    }
    expect(poolCounts(pool)).toEqual({ total: 1, idle: 1, waiting: 0 });
    await pool.end();
  });

  it('bounds the wait for a pool client by statementTimeoutMs on a pool without connectionTimeoutMillis', async () => {
    // pg's default: a pool waits for a free client forever.
    const pool = testPool('hookguard-test-unbounded', { max: 1 });
    const store = db.storeOn(pool, { statementTimeoutMs: 300 });
    const held = await pool.connect();
    try {
      const outcomes = await Promise.all([
        store.claim(uniqueKey('unbounded'), options).catch((error: unknown) => error),
        store.claimInTransaction(uniqueKey('unbounded'), options, async () => undefined).catch((error: unknown) => error),
        store.prune().catch((error: unknown) => error),
        store.migrate().catch((error: unknown) => error),
      ]);
      for (const error of outcomes) {
        expect(isUnavailable(error)).toBe(true);
        expect((error as Error).message).toMatch(/no pool client became free within statementTimeoutMs \(300 ms/);
      }
    } finally {
      held.release();
    }
    // The clients that arrived after their deadline went straight back.
    await settled(pool);
    expect(poolCounts(pool)).toEqual({ total: 1, idle: 1, waiting: 0 });
    expect((await db.storeOn(pool).claim(uniqueKey('after-unbounded'), options)).status).toBe('claimed');
    await pool.end();
  });

  it('answers a plain claim inside two transactions on a pool of 2 with a store error instead of deadlocking', async () => {
    const pool = testPool('hookguard-test-pool-of-two', { max: 2 });
    const store = db.storeOn(pool, { statementTimeoutMs: 1_000 });
    let holding = 0;
    let bothHold!: () => void;
    const both = new Promise<void>((resolve) => (bothHold = resolve));
    const inner: unknown[] = [];
    try {
      const outcomes = await Promise.all(
        [0, 1].map((index) =>
          store.claimInTransaction(uniqueKey(`two-${index}`), options, async ({ store: scoped }) => {
            if (++holding === 2) bothHold();
            await both;
            // ctx.once before the transaction's store existed: a plain claim needs a third client.
            inner.push(await store.claim(uniqueKey(`two-once-${index}`), options).catch((error: unknown) => error));
            // Through the transaction's own client it needs none.
            inner.push(await scoped.claim(uniqueKey(`two-scoped-${index}`), options));
          }),
        ),
      );
      expect(outcomes.map((outcome) => outcome.status)).toEqual(['claimed', 'claimed']);
      expect(inner.filter(isUnavailable)).toHaveLength(2);
      expect(inner.filter((value) => (value as { status?: string }).status === 'claimed')).toHaveLength(2);
    } finally {
      await settled(pool);
      await pool.end();
    }
  });

  it('rejects a statement still unanswered after statementTimeoutMs and destroys its client', async () => {
    const pool = testPool('hookguard-test-slow', { max: 2 });
    const store = db.storeOn(pool, { statementTimeoutMs: 150 });
    const key = uniqueKey('slow');
    // Claimed with the default timeout: a cold connection alone may take 150 ms on a busy machine.
    const claim = await db.storeOn(pool).claim(key, options);
    if (claim.status !== 'claimed') throw new Error('expected a claim');
    const lock = await lockTable(600);
    const error = await store.extend(key, claim.token, 60_000).catch((caught: unknown) => caught);
    expect(isUnavailable(error)).toBe(true);
    expect((error as Error).message).toMatch(/statementTimeoutMs \(150 ms\)/);
    await lock.released;
    await settled(pool);
    expect(pool.totalCount).toBeLessThanOrEqual(1);
    expect(poolCounts(pool)).toMatchObject({ waiting: 0, idle: pool.totalCount });
    expect(await store.extend(key, claim.token, 60_000)).toBe(true);
    await pool.end();
  });

  it('maps a server-side statement_timeout (57014) to ERR_HOOKGUARD_STORE_UNAVAILABLE', async () => {
    const pool = testPool('hookguard-test-statement-timeout', { max: 1, options: '-c statement_timeout=300' });
    const store = db.storeOn(pool, { statementTimeoutMs: 0 });
    const lock = await lockTable(1_000);
    const error = await store.claim(uniqueKey('cancelled'), options).catch((caught: unknown) => caught);
    expect(isUnavailable(error)).toBe(true);
    expect((error as Error).cause).toMatchObject({ code: '57014' });
    await lock.released;
    expect((await store.claim(uniqueKey('after-cancel'), options)).status).toBe('claimed');
    expect(poolCounts(pool)).toEqual({ total: 1, idle: 1, waiting: 0 });
    await pool.end();
  });

  it('rejects when the connection drops mid-statement, and the pool replaces the broken client', async () => {
    const pool = testPool('hookguard-test-dropped', { max: 2 });
    const store = db.storeOn(pool);
    const lock = await lockTable(800);
    const pending = store.claim(uniqueKey('dropped'), options).catch((caught: unknown) => caught);
    await blockedOnLock('hookguard-test-dropped');
    expect(await terminateBackends(admin, 'hookguard-test-dropped')).toBe(1);
    const error = await pending;
    expect(isUnavailable(error)).toBe(true);
    expect((error as Error).message).toMatch(/connection to PostgreSQL failed or was lost/);
    await lock.released;
    expect((await store.claim(uniqueKey('after-drop'), options)).status).toBe('claimed');
    await settled(pool);
    expect(poolCounts(pool)).toEqual({ total: 1, idle: 1, waiting: 0 });
    await pool.end();
  });

  it('runs 1 000 operations on a pool of 2 through dropped connections, timeouts and broken handlers without leaking a client', { timeout: 120_000 }, async () => {
    // Commits without waiting for the WAL flush, so the run measures failures, not this disk's fsync.
    const pool = testPool('hookguard-test-chaos', { max: 2, connectionTimeoutMillis: 1_000, options: '-c synchronous_commit=off' });
    const store = db.storeOn(pool, { statementTimeoutMs: 200 });
    const brokenHandler = new Error('broken handler');
    const outcomes = { ok: 0, unavailable: 0, handler: 0 };
    const causes = new Set<string>();
    const unexpected: unknown[] = [];
    let operations = 0;
    const count = async <T>(operation: Promise<T>): Promise<T | undefined> => {
      operations++;
      try {
        const value = await operation;
        outcomes.ok++;
        return value;
      } catch (error) {
        if (isUnavailable(error)) {
          outcomes.unavailable++;
          const cause = (error as Error).cause as { code?: string; message?: string } | undefined;
          causes.add(cause?.code ?? cause?.message ?? 'unknown');
        } else if (error === brokenHandler || (error as { handlerQuery?: boolean }).handlerQuery === true) {
          outcomes.handler++;
        } else {
          unexpected.push(error);
        }
        return undefined;
      }
    };
    const handlerQuery = (client: PoolClient, text: string, values: unknown[]) =>
      client.query(text, values).catch((error: unknown) => {
        throw Object.assign(new Error('a query of the handler failed', { cause: error }), { handlerQuery: true });
      });

    // Workers run until both kinds of failure have reached them at least once (a lost connection
    // and a statement timeout), however fast this machine gets through 1 000 operations: a
    // disruption that happens to meet no statement in flight proves nothing.
    const lostConnection = (): boolean => causes.has('57P01') || [...causes].some((cause) => /Connection terminated/.test(cause));
    const timedOut = (): boolean => causes.has('Query read timeout');
    async function worker(id: number): Promise<void> {
      for (let round = 0; operations < 1_000 || !lostConnection() || !timedOut(); round++) {
        const key = uniqueKey(`chaos-${id}-${round}`);
        switch (round % 5) {
          case 0:
          case 1:
          case 2: {
            const claim = await count(store.claim(key, options));
            if (claim?.status !== 'claimed') break;
            if (round % 5 === 0) await count(store.complete(key, claim.token, { retentionMs: 600_000, result: { round } }));
            if (round % 5 === 1) await count(store.release(key, claim.token));
            if (round % 5 === 2) await count(store.extend(key, claim.token, 60_000));
            break;
          }
          case 3:
            await count(
              store.claimInTransaction(key, options, async ({ db: client }) => {
                await handlerQuery(client, `INSERT INTO "${db.schema}".side_effects (id) VALUES ($1)`, [key]);
              }),
            );
            break;
          default:
            await count(
              store.claimInTransaction(key, options, async ({ db: client }) => {
                await handlerQuery(client, `INSERT INTO "${db.schema}".side_effects (id) VALUES ($1)`, [key]);
                throw brokenHandler;
              }),
            );
        }
      }
    }

    let chaos = true;
    const disruptions = (async () => {
      for (let round = 0; chaos; round++) {
        await sleep(300);
        if (round % 2 === 0) {
          await (await lockTable(250)).released;
        } else {
          await terminateBackends(admin, 'hookguard-test-chaos');
        }
      }
    })();
    await Promise.all(Array.from({ length: 8 }, (_, id) => worker(id)));
    chaos = false;
    await disruptions;
    // A terminated backend exits shortly after pg_terminate_backend returns; let the last ones go.
    await sleep(300);
    await settled(pool);

    expect(unexpected).toEqual([]);
    expect(operations).toBeGreaterThanOrEqual(1_000);
    expect(outcomes.ok).toBeGreaterThan(0);
    expect(outcomes.unavailable).toBeGreaterThan(0);
    expect(outcomes.handler).toBeGreaterThan(0);
    // Both kinds of failure were really induced: a lost connection and a statement timeout.
    expect(lostConnection()).toBe(true);
    expect(timedOut()).toBe(true);

    expect(pool.totalCount).toBeLessThanOrEqual(2);
    expect(poolCounts(pool)).toMatchObject({ idle: pool.totalCount, waiting: 0 });
    const open = await admin.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'hookguard-test-chaos' AND state LIKE 'idle in transaction%'`,
    );
    expect(open.rows[0]?.n).toBe(0);
    const key = uniqueKey('after-chaos');
    expect((await store.claimInTransaction(key, options, async () => undefined)).status).toBe('claimed');
    expect((await store.claim(key, options)).status).toBe('completed');
    await pool.end();
  });
});
