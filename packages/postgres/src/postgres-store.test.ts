import { isWebhookError } from '@hookguard/core';
import { describeStoreContract } from '@hookguard/core/testing/contracts';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PostgresStore } from './postgres-store.js';
import { describeWithPostgres, recordStatementNames, sleep, testPool, testSchema, withPostgres, type TestSchema } from './postgres.fixtures.js';

const LEASE_MS = 300;

if (withPostgres) {
  let db: TestSchema;
  describeStoreContract('PostgresStore', {
    async setup() {
      db = await testSchema('contract');
      // Opens the pool's connections and prepares the statements before the suite times leases of
      // 300 ms: a cold pool's first connections can take longer than that on a busy machine.
      await Promise.all(
        Array.from({ length: 10 }, (_, index) => db.store.claim(`warm-up:${index}`, { leaseMs: 1, retentionMs: 1 })),
      );
      return { store: db.store, advance: sleep, teardown: () => db.drop() };
    },
    leaseMs: LEASE_MS,
  });
}

describeWithPostgres('PostgresStore', () => {
  let db: TestSchema;
  const options = { leaseMs: 60_000, retentionMs: 60_000 };
  beforeAll(async () => {
    db = await testSchema('store');
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('describes itself as the exact, shared postgres store', () => {
    expect({ name: db.store.name, exact: db.store.exact, shared: db.store.shared }).toEqual({
      name: 'postgres',
      exact: true,
      shared: true,
    });
  });

  it('rejects a table or schema name that is not a plain identifier at construction', () => {
    for (const bad of [{ table: 'events"; DROP TABLE x; --' }, { table: '1events' }, { schema: 'a.b' }, { table: 'x'.repeat(49) }]) {
      let error: unknown;
      try {
        new PostgresStore({ pool: db.pool, ...bad });
      } catch (caught) {
        error = caught;
      }
      expect(isWebhookError(error) && error.code).toBe('ERR_HOOKGUARD_INVALID_OPTIONS');
    }
  });

  it('rejects a missing pool at construction', () => {
    expect(() => new PostgresStore({} as never)).toThrow(/needs `pool`/);
  });

  it('keeps the row a released claim leaves, so the attempt count survives, with the token that released it', async () => {
    const first = await db.store.claim('kept-attempt', options);
    if (first.status !== 'claimed') throw new Error('expected a claim');
    await db.store.release('kept-attempt', first.token, { lastError: 'Error: boom' });
    const { rows } = await db.pool.query(
      `SELECT state, attempt, token::text, lease_until, last_error FROM "${db.schema}".hookguard_events WHERE key = $1`,
      ['kept-attempt'],
    );
    expect(rows).toEqual([{ state: 'released', attempt: 1, token: first.token, lease_until: null, last_error: 'Error: boom' }]);
  });

  it('records when a key was first seen, last claimed and completed', async () => {
    const claim = await db.store.claim('audited', options);
    if (claim.status !== 'claimed') throw new Error('expected a claim');
    await db.store.complete('audited', claim.token, { retentionMs: 60_000, result: { ok: true } });
    const { rows } = await db.pool.query(
      `SELECT state, attempt, first_seen_at <= claimed_at AS ordered, completed_at >= claimed_at AS completed_after,
              expires_at > now() + interval '50 seconds' AS retained, lease_until, result
       FROM "${db.schema}".hookguard_events WHERE key = $1`,
      ['audited'],
    );
    expect(rows).toEqual([
      { state: 'completed', attempt: 1, ordered: true, completed_after: true, retained: true, lease_until: null, result: { ok: true } },
    ]);
  });

  it('sends each operation as one statement', async () => {
    const statements = recordStatementNames();
    try {
      const claim = await db.store.claim('one-statement', options);
      if (claim.status !== 'claimed') throw new Error('expected a claim');
      await db.store.extend('one-statement', claim.token, 60_000);
      await db.store.complete('one-statement', claim.token, { retentionMs: 60_000 });
      await db.store.claim('one-statement', options);
    } finally {
      statements.restore();
    }
    expect(statements.names.map((name) => name.replace(/_[0-9a-z]+$/, ''))).toEqual([
      'hookguard_plain_claim_v2',
      'hookguard_extend_v2',
      'hookguard_complete_v2',
      'hookguard_plain_claim_v2',
    ]);
  });

  it('answers duplicates of a completed or held key without writing or locking its row', async () => {
    const version = async (key: string) =>
      (
        await db.pool.query<{ ctid: string; xmin: string; xmax: string }>(
          `SELECT ctid::text, xmin::text, xmax::text FROM "${db.schema}".hookguard_events WHERE key = $1`,
          [key],
        )
      ).rows[0];
    const held = await db.store.claim('quiet-held', options);
    const done = await db.store.claim('quiet-done', options);
    if (held.status !== 'claimed' || done.status !== 'claimed') throw new Error('expected claims');
    await db.store.complete('quiet-done', done.token, { retentionMs: 60_000 });
    const before = [await version('quiet-held'), await version('quiet-done')];
    expect(before.map((row) => row?.xmax)).toEqual(['0', '0']);
    await Promise.all(Array.from({ length: 5 }, () => db.store.claim('quiet-held', options)));
    await Promise.all(Array.from({ length: 5 }, () => db.store.claim('quiet-done', options)));
    expect([await version('quiet-held'), await version('quiet-done')]).toEqual(before);
  });

  it('never ends the pool it was given, even after close', async () => {
    const store = new PostgresStore({ pool: db.pool, schema: db.schema, pruneIntervalMs: 10 });
    await store.close();
    expect((await db.pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    expect(db.pool.ended).toBe(false);
  });

  it('keeps two stores on one pool apart, prepared statements included', async () => {
    const other = new PostgresStore({ pool: db.pool, schema: db.schema, table: 'other_events' });
    await other.migrate();
    const here = await db.store.claim('same-key', options);
    const there = await other.claim('same-key', options);
    expect([here.status, there.status]).toEqual(['claimed', 'claimed']);
  });

  it('rejects with ERR_HOOKGUARD_STORE_UNAVAILABLE naming migrate() when the table is missing', async () => {
    const unmigrated = new PostgresStore({ pool: db.pool, schema: db.schema, table: 'never_migrated' });
    const error = await unmigrated.claim('k', options).catch((caught: unknown) => caught);
    expect(isWebhookError(error) && error.code).toBe('ERR_HOOKGUARD_STORE_UNAVAILABLE');
    expect(isWebhookError(error) && error.status).toBe(503);
    expect((error as Error).message).toMatch(/store\.migrate\(\)/);
    expect((error as Error).cause).toMatchObject({ code: '42P01' });
  });

  it('answers processing with the lease time left, measured on the server clock', async () => {
    const claim = await db.store.claim('server-clock', { leaseMs: 2_000, retentionMs: 60_000 });
    expect(claim.status).toBe('claimed');
    const again = await db.store.claim('server-clock', { leaseMs: 2_000, retentionMs: 60_000 });
    expect(again.status === 'processing' && again.retryAfterMs).toBeGreaterThan(1_500);
  });
});
