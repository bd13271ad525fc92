import { randomBytes, randomUUID } from 'node:crypto';
import { Pool, type PgPool } from '../modules/pg.js';
import { pairedFigure, type Figure } from '../report/figures.js';
import { series } from '../report/statistics.js';
import type { BenchContext, BenchOutcome } from './benchmark.js';
import { interleavedPairs, type Pair } from './pair-throughput.js';

export const LEASE_MS = 60_000;
export const RETENTION_MS = 259_200_000;
/** The store's table and the raw side's, of the same shape. */
export const TABLE = 'hookguard_bench_events';
export const RAW_TABLE = 'hookguard_bench_raw';
const LOCKED_TABLE = 'hookguard_bench_locked';
const CONNECTION = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' };

const at = (parameter: string): string => `pg_catalog.statement_timestamp() + ${parameter}::float8 * interval '1 millisecond'`;

/**
 * The hand-written equivalent on a table of the same shape: insert the claim unless the key
 * exists, then mark it completed if the token still owns it. No function, no lock, no takeover.
 */
export const RAW_CLAIM = {
  name: 'hookguard_bench_raw_claim',
  text: `INSERT INTO ${RAW_TABLE} (key, expires_at, lease_until, first_seen_at, claimed_at, attempt, token, state, fingerprint)
VALUES ($1::text, ${at('$2')}, ${at('$3')}, pg_catalog.statement_timestamp(), pg_catalog.statement_timestamp(), 1, $4::uuid, 'processing', $5::text)
ON CONFLICT (key) DO NOTHING`,
};
/** The raw completion on `table`: marks the key completed if the claim's token still owns it. */
function completeOn(table: string, side: string): { name: string; text: string } {
  return {
    name: `hookguard_bench_${side}_complete`,
    text: `UPDATE ${table} SET state = 'completed', token = NULL, lease_until = NULL, expires_at = ${at('$3')},
  completed_at = pg_catalog.statement_timestamp()
WHERE key = $1::text AND token = $2::uuid`,
  };
}
export const RAW_COMPLETE = completeOn(RAW_TABLE, 'raw');

/**
 * The raw claim with what a one-round-trip claim that a transactional claim of the same key can
 * refuse at once needs beyond it: the key's shared advisory lock taken first (as the insert's
 * one-time filter, as the store takes it), and an answer row (a duplicate must be answered by the
 * same statement). The completion is {@link RAW_COMPLETE}'s, already checked against the claim's
 * token.
 */
const LOCKED_CLAIM = {
  name: 'hookguard_bench_locked_claim',
  text: `INSERT INTO ${LOCKED_TABLE} (key, expires_at, lease_until, first_seen_at, claimed_at, attempt, token, state, fingerprint)
SELECT $1::text, ${at('$2')}, ${at('$3')}, pg_catalog.statement_timestamp(), pg_catalog.statement_timestamp(), 1, $4::uuid, 'processing', $5::text
WHERE pg_catalog.pg_try_advisory_xact_lock_shared(pg_catalog.hashtextextended($1::text, 0))
ON CONFLICT (key) DO NOTHING
RETURNING attempt`,
};
const LOCKED_COMPLETE = completeOn(LOCKED_TABLE, 'locked');

/** Connects to the PostgreSQL B6 measures (a pool of 10); a sentence saying why not when it cannot. */
export async function connectBenchPostgres(): Promise<PgPool | string> {
  const pool = new Pool({ ...CONNECTION, max: 10, connectionTimeoutMillis: 2000 });
  pool.on('error', () => {});
  try {
    await pool.query('SELECT 1');
    return pool;
  } catch (error) {
    await pool.end().catch(() => {});
    return `PostgreSQL is not reachable at ${CONNECTION.host}:${CONNECTION.port} (${error instanceof Error ? error.message : String(error)})`;
  }
}

/** Drops what {@link postgresPairSides} created. */
export async function dropBenchTables(pool: PgPool): Promise<void> {
  await pool.query(`DROP TABLE IF EXISTS ${TABLE}, ${RAW_TABLE}, ${LOCKED_TABLE}`);
  await pool.query(`DROP FUNCTION IF EXISTS ${TABLE}_claim, ${TABLE}_claim_v2`);
}

/**
 * Empties the three tables and checkpoints: run before every timed run, so that each side starts
 * from empty tables and clean buffers instead of paying for the dead rows, autovacuum and
 * checkpoint the sides before it set off.
 */
export async function resetBenchTables(pool: PgPool): Promise<void> {
  await pool.query(`TRUNCATE ${TABLE}, ${RAW_TABLE}, ${LOCKED_TABLE}`);
  await pool.query('CHECKPOINT');
}

/**
 * B6's sides on `pool`, on fresh tables: the store's claim+complete (given the body fingerprint
 * the receiver passes), the two raw prepared statements on a table of the same shape, and those
 * with the claim's advisory lock and an answer row (`locked`: what those cost any such claim,
 * measured apart as issue 20 asks). Shared with `diagnostics/store-pair-costs.ts`;
 * {@link dropBenchTables} removes the tables.
 */
export async function postgresPairSides(
  pool: PgPool,
  PostgresStore: typeof import('@hookguard/postgres').PostgresStore,
): Promise<{ sides: { raw: Pair; locked: Pair; store: Pair }; nextKey: () => string }> {
  await dropBenchTables(pool);
  const store = new PostgresStore({ pool, table: TABLE });
  await store.migrate();
  await pool.query(`CREATE TABLE ${RAW_TABLE} (LIKE ${TABLE} INCLUDING ALL)`);
  await pool.query(`CREATE TABLE ${LOCKED_TABLE} (LIKE ${TABLE} INCLUDING ALL)`);
  const run = randomBytes(4).toString('hex');
  let serial = 0;
  const nextKey = (): string => `standard-webhooks:msg_${run}${(serial++).toString(36).padStart(8, '0')}`;
  const fingerprint = randomBytes(32).toString('base64url');
  const storePair: Pair = async (key) => {
    const claim = await store.claim(key, { leaseMs: LEASE_MS, retentionMs: RETENTION_MS, fingerprint });
    if (claim.status !== 'claimed') throw new Error(`claim of a new key answered ${claim.status}`);
    if (!(await store.complete(key, claim.token, { retentionMs: RETENTION_MS }))) throw new Error('complete refused the owner');
  };
  // A hand-written pair: the claim under a token made here, then the completion with it.
  const statementPair =
    (side: string, claim: { name: string; text: string }, complete: { name: string; text: string }): Pair =>
    async (key) => {
      const token = randomUUID();
      const claimed = await pool.query({ ...claim, values: [key, RETENTION_MS, LEASE_MS, token, fingerprint] });
      if (claimed.rowCount !== 1) throw new Error(`${side} claim of a new key inserted nothing`);
      const completed = await pool.query({ ...complete, values: [key, token, RETENTION_MS] });
      if (completed.rowCount !== 1) throw new Error(`${side} complete refused the owner`);
    };
  return {
    sides: { raw: statementPair('raw', RAW_CLAIM, RAW_COMPLETE), locked: statementPair('locked', LOCKED_CLAIM, LOCKED_COMPLETE), store: storePair },
    nextKey,
  };
}

/**
 * B6: the Postgres store's claim+complete of a new event against the two equivalent raw prepared
 * statements through the same `pg` pool (10 connections), 64 in flight.
 */
export async function runB6(context: BenchContext): Promise<BenchOutcome> {
  let PostgresStore: typeof import('@hookguard/postgres').PostgresStore;
  try {
    ({ PostgresStore } = await import('@hookguard/postgres'));
  } catch (error) {
    return { figures: [], skipped: [{ id: 'B6', reason: `@hookguard/postgres could not be loaded: ${error instanceof Error ? error.message : String(error)}` }] };
  }
  const pool = await connectBenchPostgres();
  if (typeof pool === 'string') return { figures: [], skipped: [{ id: 'B6', reason: pool }] };
  const figures: Figure[] = [];
  try {
    const { sides, nextKey } = await postgresPairSides(pool, PostgresStore);
    // Sequential pairs wait on one commit after another: information only, and left out of quick runs.
    const plans: (readonly [number, number])[] = context.quick ? [[64, 600]] : [[64, 3000], [1, 300]];
    for (const [concurrency, pairs] of plans) {
      const label = concurrency === 1 ? 'sequential' : `pool 10, ${concurrency} concurrent`;
      const results = await interleavedPairs(sides, { rounds: context.quick ? 3 : 5, pairsPerRound: pairs, concurrency, nextKey, log: context.log, label: `B6 ${label}`, beforeRun: () => resetBenchTables(pool) });
      figures.push(
        pairedFigure({
          id: 'B6',
          key: `B6.${concurrency === 1 ? 'sequential' : `c${concurrency}`}`,
          title: `Postgres, ${label}: PostgresStore claim+complete ÷ two raw prepared statements through pg`,
          numerator: series('PostgresStore', 'pairs/s', results.get('store')!),
          denominator: series('raw INSERT … ON CONFLICT DO NOTHING + UPDATE', 'pairs/s', results.get('raw')!),
          ...(concurrency === 1 ? {} : { goal: { op: '>=', value: 0.9 } as const }),
          notes: concurrency === 1 ? [] : ['both sides write the same row to tables of the same shape; the store is given the body fingerprint the receiver passes'],
        }),
        pairedFigure({
          id: 'B6',
          key: `B6.${concurrency === 1 ? 'sequential' : `c${concurrency}`}.locked`,
          title: `Postgres, ${label}: the raw pair with the key's shared advisory lock and an answer row ÷ raw: what a one-round-trip claim that a transactional claim can refuse at once costs`,
          numerator: series('raw + advisory lock + answer row', 'pairs/s', results.get('locked')!),
          denominator: series('raw INSERT … ON CONFLICT DO NOTHING + UPDATE', 'pairs/s', results.get('raw')!),
        }),
        pairedFigure({
          id: 'B6',
          key: `B6.${concurrency === 1 ? 'sequential' : `c${concurrency}`}.vs-locked`,
          title: `Postgres, ${label}: PostgresStore claim+complete ÷ the raw pair with the lock and an answer row: the store's cost beyond those`,
          numerator: series('PostgresStore', 'pairs/s', results.get('store')!),
          denominator: series('raw + advisory lock + answer row', 'pairs/s', results.get('locked')!),
        }),
      );
    }
  } finally {
    await dropBenchTables(pool).catch(() => {});
    await pool.end();
  }
  return { figures, skipped: [] };
}
