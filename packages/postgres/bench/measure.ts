/**
 * Measures the PostgreSQL store against the two raw prepared statements a dedup table needs, and
 * its storage per tracked event.
 *
 *   node_modules/.bin/tsx --conditions=@hookguard/source packages/postgres/bench/measure.ts
 *
 * Environment: PGHOST, PGPORT, PGUSER, PGDATABASE (default 127.0.0.1:5432, postgres, test);
 * EVENTS (default 100000) events tracked for the storage figure; SYNC=off to measure with
 * `synchronous_commit = off` (no WAL flush wait per commit) instead of the durable default.
 *
 * Speed: claim + complete (and a duplicate claim) through PostgresStore against a raw
 * `INSERT … ON CONFLICT DO NOTHING` + owner-checked `UPDATE` (and a raw `SELECT`) on an identical
 * table, with pg named statements, a pool of 10 and 64 events in flight, in alternating rounds so
 * drift hits both sides alike. Storage: pg_total_relation_size / rows after EVENTS completed
 * events, as written (dead versions of the claim rows included) and after VACUUM.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { PostgresStore, migrationSql } from '../src/index.js';

const LEASE_MS = 60_000;
const RETENTION_MS = 259_200_000;
const POOL_SIZE = 10;
const IN_FLIGHT = 64;
const ROUNDS = 4;
const EVENTS_PER_ROUND = 5_000;
const EVENTS = Number(process.env.EVENTS ?? 100_000);
const synchronousCommit = process.env.SYNC === 'off' ? 'off' : 'on';

const schema = `hookguard_bench_${Date.now().toString(36)}`;
const pool = new pg.Pool({
  host: process.env.PGHOST ?? '127.0.0.1',
  port: Number(process.env.PGPORT ?? 5432),
  user: process.env.PGUSER ?? 'postgres',
  database: process.env.PGDATABASE ?? 'test',
  max: POOL_SIZE,
  options: `-c synchronous_commit=${synchronousCommit}`,
});
pool.on('error', () => {});
const store = new PostgresStore({ pool, schema });
const raw = `"${schema}".raw_events`;

const rawStatements = {
  claim: {
    name: 'bench_raw_claim',
    text: `INSERT INTO ${raw} (key, expires_at, lease_until, first_seen_at, claimed_at, attempt, token, state, fingerprint)
VALUES ($1, now() + $3::float8 * interval '1 millisecond', now() + $2::float8 * interval '1 millisecond', now(), now(), 1, $4::uuid, 'processing', $5)
ON CONFLICT (key) DO NOTHING`,
  },
  complete: {
    name: 'bench_raw_complete',
    text: `UPDATE ${raw} SET state = 'completed', token = NULL, lease_until = NULL,
  expires_at = now() + $3::float8 * interval '1 millisecond', completed_at = now()
WHERE key = $1 AND token = $2::uuid`,
  },
  lookup: { name: 'bench_raw_lookup', text: `SELECT state FROM ${raw} WHERE key = $1` },
};

const eventKey = (): string => `stripe:evt_${randomBytes(18).toString('base64url')}`;
const fingerprint = (): string => randomBytes(32).toString('base64url');

type Side = { label: string; event(key: string): Promise<void>; duplicate(key: string): Promise<void> };

const storeSide: Side = {
  label: 'PostgresStore',
  async event(key) {
    const claim = await store.claim(key, { leaseMs: LEASE_MS, retentionMs: RETENTION_MS, fingerprint: fingerprint() });
    if (claim.status !== 'claimed') throw new Error(`unexpected ${claim.status}`);
    if (!(await store.complete(key, claim.token, { retentionMs: RETENTION_MS }))) throw new Error('complete refused');
  },
  async duplicate(key) {
    const claim = await store.claim(key, { leaseMs: LEASE_MS, retentionMs: RETENTION_MS, fingerprint: fingerprint() });
    if (claim.status !== 'completed') throw new Error(`unexpected ${claim.status}`);
  },
};

const rawSide: Side = {
  label: 'raw pg statements',
  async event(key) {
    const token = randomUUID();
    const inserted = await pool.query({ ...rawStatements.claim, values: [key, LEASE_MS, RETENTION_MS, token, fingerprint()] });
    if (inserted.rowCount !== 1) throw new Error('raw claim refused');
    await pool.query({ ...rawStatements.complete, values: [key, token, RETENTION_MS] });
  },
  async duplicate(key) {
    await pool.query({ ...rawStatements.lookup, values: [key] });
  },
};

/** Runs `task` over `keys` with IN_FLIGHT at once; resolves with microseconds of wall time per key. */
async function timed(keys: string[], task: (key: string) => Promise<void>): Promise<number> {
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < keys.length) await task(keys[next++]!);
    }),
  );
  return Number(process.hrtime.bigint() - started) / 1_000 / keys.length;
}

async function compare(): Promise<void> {
  const totals = new Map<string, { event: number[]; duplicate: number[] }>();
  for (const side of [storeSide, rawSide]) {
    totals.set(side.label, { event: [], duplicate: [] });
    await timed(Array.from({ length: 1_000 }, eventKey), side.event); // warm-up: connections, plans
  }
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? [storeSide, rawSide] : [rawSide, storeSide];
    for (const side of order) {
      const keys = Array.from({ length: EVENTS_PER_ROUND }, eventKey);
      totals.get(side.label)!.event.push(await timed(keys, side.event));
      totals.get(side.label)!.duplicate.push(await timed(keys, side.duplicate));
    }
  }
  const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const [hook, base] = [totals.get(storeSide.label)!, totals.get(rawSide.label)!];
  console.log(`\nSpeed (synchronous_commit=${synchronousCommit}, pool ${POOL_SIZE}, ${IN_FLIGHT} in flight, median of ${ROUNDS} rounds of ${EVENTS_PER_ROUND}):`);
  console.table({
    'new event: claim + complete': {
      [`${storeSide.label} µs/event`]: median(hook.event).toFixed(0),
      [`${rawSide.label} µs/event`]: median(base.event).toFixed(0),
      ratio: (median(hook.event) / median(base.event)).toFixed(2),
    },
    'duplicate: claim of a completed key': {
      [`${storeSide.label} µs/event`]: median(hook.duplicate).toFixed(0),
      [`${rawSide.label} µs/event`]: median(base.duplicate).toFixed(0),
      ratio: (median(hook.duplicate) / median(base.duplicate)).toFixed(2),
    },
  });
}

async function storage(): Promise<void> {
  const table = `"${schema}".hookguard_events`;
  await pool.query(`TRUNCATE ${table}`);
  const keys = Array.from({ length: EVENTS }, eventKey);
  await timed(keys, storeSide.event);
  const sizes = async () =>
    (
      await pool.query<{ rows: number; total: string; heap: string; indexes: string }>(
        `SELECT (SELECT count(*) FROM ${table})::int AS rows, pg_total_relation_size('${table}') AS total,
                pg_relation_size('${table}') AS heap, pg_indexes_size('${table}') AS indexes`,
      )
    ).rows[0]!;
  const written = await sizes();
  await pool.query(`VACUUM (ANALYZE) ${table}`);
  const vacuumed = await sizes();
  const perRow = (bytes: string, rows: number): string => (Number(bytes) / rows).toFixed(0);
  const sample = await pool.query<{ bytes: number }>(`SELECT avg(pg_column_size(t.*))::int AS bytes FROM ${table} AS t`);
  console.log(`\nStorage per tracked event (${vacuumed.rows} completed events, key 'stripe:evt_' + 24 chars, 43-char fingerprint, no result):`);
  console.table({
    'as written (claim row versions not yet vacuumed)': {
      'total B/event': perRow(written.total, written.rows),
      'heap B/event': perRow(written.heap, written.rows),
      'indexes B/event': perRow(written.indexes, written.rows),
    },
    'after VACUUM': {
      'total B/event': perRow(vacuumed.total, vacuumed.rows),
      'heap B/event': perRow(vacuumed.heap, vacuumed.rows),
      'indexes B/event': perRow(vacuumed.indexes, vacuumed.rows),
    },
  });
  console.log(`live row (pg_column_size): ${sample.rows[0]!.bytes} B`);
}

try {
  await store.migrate();
  await pool.query(migrationSql({ schema, table: 'raw_events' }));
  await compare();
  await storage();
} finally {
  await store.close();
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pool.end();
}
