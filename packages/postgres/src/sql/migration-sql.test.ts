import { readFile } from 'node:fs/promises';
import { afterAll, expect, it } from 'vitest';
import { PostgresStore } from '../postgres-store.js';
import { describeWithPostgres, testPool } from '../postgres.fixtures.js';
import { migrationSql, migrations } from './migration-sql.js';

it('ships sql/001 and sql/002 as exactly the migrations migrate() runs for the default table, in order', async () => {
  const shipped = await Promise.all(
    ['001_hookguard_events', '002_hookguard_events_v2'].map((name) => readFile(new URL(`../../sql/${name}.sql`, import.meta.url), 'utf8')),
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
});
