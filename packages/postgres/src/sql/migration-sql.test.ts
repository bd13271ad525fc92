import { readFile } from 'node:fs/promises';
import { isWebhookError } from '@hookguard/core';
import { afterAll, expect, it } from 'vitest';
import { PostgresStore } from '../postgres-store.js';
import { describeWithPostgres, testPool } from '../postgres.fixtures.js';
import { migrationSql, migrations } from './migration-sql.js';

it('ships sql/001 to sql/003 as exactly the migrations migrate() runs for the default table, in order', async () => {
  const shipped = await Promise.all(
    ['001_hookguard_events', '002_hookguard_events_v2', '003_hookguard_events_v3'].map((name) => readFile(new URL(`../../sql/${name}.sql`, import.meta.url), 'utf8')),
  );
  expect(migrations().map((migration) => migration.sql)).toEqual(shipped);
  expect(migrationSql()).toBe(shipped.join('\n'));
});

it('quotes the schema and table it is given', () => {
  const sql = migrationSql({ schema: 'Webhooks', table: 'Events' });
  expect(sql).toContain('CREATE TABLE IF NOT EXISTS "Webhooks"."Events" (');
  expect(sql).toContain('CREATE OR REPLACE FUNCTION "Webhooks"."Events_claim"(');
  expect(sql).not.toContain('hookguard_events');
});

describeWithPostgres('PostgresStore.migrate', () => {
  const schema = `hookguard_test_migrate_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = testPool('hookguard-test-migrate-admin', { max: 1 });
  afterAll(async () => {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  it('succeeds when 5 processes run it at once, and again afterwards', async () => {
    const pools = Array.from({ length: 5 }, () => testPool('hookguard-test-migrate', { max: 1 }));
    try {
      const stores = pools.map((pool) => new PostgresStore({ pool, schema }));
      const outcomes = await Promise.allSettled(stores.map((store) => store.migrate()));
      expect(outcomes.map((outcome) => outcome.status)).toEqual(Array(5).fill('fulfilled'));
      await stores[0]!.migrate();
      const claim = await stores[1]!.claim('migrated', { leaseMs: 1_000, retentionMs: 1_000 });
      expect(claim.status).toBe('claimed');
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
    }
  });

  it('creates a logged table with an index on expires_at', async () => {
    const { rows } = await admin.query<{ persistence: string; indexes: string[] }>(
      `SELECT c.relpersistence AS persistence,
              array(SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = 'hookguard_events' ORDER BY indexname) AS indexes
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = $1 AND c.relname = 'hookguard_events'`,
      [schema],
    );
    expect(rows[0]?.persistence).toBe('p');
    expect(rows[0]?.indexes.some((index) => /\(expires_at\)$/.test(index))).toBe(true);
    expect(rows[0]?.indexes.some((index) => /UNIQUE INDEX hookguard_events_pkey .*\(key\)$/.test(index))).toBe(true);
  });

  it('refuses an existing table without the result column, saying so, and changes nothing', async () => {
    await admin.query(`CREATE TABLE "${schema}".legacy_events (
      key text PRIMARY KEY, expires_at timestamptz NOT NULL, lease_until timestamptz, first_seen_at timestamptz NOT NULL,
      claimed_at timestamptz NOT NULL, completed_at timestamptz, attempt integer NOT NULL, token uuid, state text NOT NULL,
      fingerprint text)`);
    const store = new PostgresStore({ pool: admin, schema, table: 'legacy_events' });
    const error = await store.migrate().catch((caught: unknown) => caught);
    expect(isWebhookError(error) && error.code).toBe('ERR_HOOKGUARD_INVALID_OPTIONS');
    expect((error as Error).message).toMatch(/legacy_events is not a hookguard dedup table: column result is missing\. Nothing was changed/);
    const { rows } = await admin.query<{ columns: string[]; functions: number }>(
      `SELECT array(SELECT attname::text FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 ORDER BY attnum) AS columns,
              (SELECT count(*)::int FROM pg_proc WHERE proname LIKE 'legacy_events_claim%') AS functions`,
      [`"${schema}".legacy_events`],
    );
    expect(rows[0]?.columns).not.toContain('last_error');
    expect(rows[0]?.functions).toBe(0);
  });

  it('names every column whose type differs, a missing unique key and a NOT NULL column the store cannot fill', async () => {
    await admin.query(`CREATE TABLE "${schema}".odd_events (
      key text, expires_at timestamptz NOT NULL, lease_until timestamptz, first_seen_at timestamptz NOT NULL,
      claimed_at timestamptz NOT NULL, completed_at timestamptz, attempt bigint NOT NULL, token text, state text NOT NULL,
      fingerprint text, result json, tenant text NOT NULL)`);
    const error = await new PostgresStore({ pool: admin, schema, table: 'odd_events' }).migrate().catch((caught: unknown) => caught);
    expect((error as Error).message).toContain(
      'column attempt is bigint, not integer; column token is text, not uuid; column result is json, not jsonb; ' +
        'column tenant is NOT NULL without a default, so a claim cannot insert a row; column key has no primary key or unique index of its own',
    );
  });

  it('upgrades a table of schema version 1 in place, keeping its records', async () => {
    const v1 = migrations({ schema, table: 'upgraded_events' })[0]!.sql;
    await admin.query(v1);
    await admin.query(
      `INSERT INTO "${schema}".upgraded_events (key, expires_at, first_seen_at, claimed_at, attempt, state)
       VALUES ('done-before', now() + interval '1 hour', now(), now(), 1, 'completed')`,
    );
    const store = new PostgresStore({ pool: admin, schema, table: 'upgraded_events' });
    await store.migrate();
    expect(await store.claim('done-before', { leaseMs: 1_000, retentionMs: 1_000 })).toMatchObject({ status: 'completed' });
    const claim = await store.claim('new', { leaseMs: 1_000, retentionMs: 1_000 });
    if (claim.status !== 'claimed') throw new Error('expected a claim');
    expect(await store.release('new', claim.token, { lastError: 'Error: kept' })).toBe(true);
    expect(await store.claim('new', { leaseMs: 1_000, retentionMs: 1_000 })).toMatchObject({ attempt: 2, lastError: 'Error: kept' });
  });

  // Before version 3 every table kept version 1's CHECK on state, which PostgreSQL reads back from
  // its stored text and plans again in every INSERT and UPDATE of the table (BENCHMARKS.md, B6).
  it('drops the CHECK on state that versions 1 and 2 leave, and only that one, taking no lock once it is gone', async () => {
    const [v1, v2] = migrations({ schema, table: 'checked_events' });
    await admin.query(v1!.sql + v2!.sql);
    await admin.query(`ALTER TABLE "${schema}".checked_events ADD CONSTRAINT attempt_positive CHECK (attempt >= 0)`);
    const checks = async (): Promise<string[]> =>
      (
        await admin.query<{ name: string }>(
          `SELECT conname AS name FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'c' ORDER BY conname`,
          [`"${schema}".checked_events`],
        )
      ).rows.map((row) => row.name);
    expect(await checks()).toEqual(['attempt_positive', 'checked_events_state_check']);
    const store = new PostgresStore({ pool: admin, schema, table: 'checked_events' });
    await store.migrate();
    expect(await checks()).toEqual(['attempt_positive']);

    // A second run must not queue for the table's exclusive lock behind a transaction that reads it.
    const holder = await admin.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`SELECT count(*) FROM "${schema}".checked_events`);
      const other = testPool('hookguard-test-migrate-v3', { max: 1 });
      try {
        await other.query(`SET lock_timeout = '2s'`);
        await new PostgresStore({ pool: other, schema, table: 'checked_events' }).migrate();
      } finally {
        await other.end();
      }
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
    const claim = await store.claim('after-v3', { leaseMs: 1_000, retentionMs: 1_000 });
    expect(claim.status).toBe('claimed');
  });

  it('creates a new table without a CHECK on state', async () => {
    await new PostgresStore({ pool: admin, schema, table: 'fresh_events' }).migrate();
    const { rows } = await admin.query(`SELECT conname FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'c'`, [
      `"${schema}".fresh_events`,
    ]);
    expect(rows).toEqual([]);
  });
});
