// The test's own view of the shared store the app processes use: a fresh Redis prefix or Postgres
// schema per run, the effect and dead-letter ledgers the handlers write there, the store's answer
// for each event, and clean-up.
import type { DedupStore } from '@hookguard/core';
import { PostgresStore } from '@hookguard/postgres';
import { RedisStore } from '@hookguard/redis';
import { Redis } from 'ioredis';
import pg from 'pg';
import { deleteRedisKeys } from '../support/redis-keys.js';
import { NAMESPACE, type StoreConfig } from './app-config.js';

const POSTGRES_CONNECTION = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' } as const;

export type StoreFixture = {
  /** What to put in each app process's config. */
  readonly config: StoreConfig;
  /** A store on the same records, for the test's own checks. */
  readonly store: DedupStore;
  /** Effects recorded per event id. */
  effects(): Promise<Map<string, number>>;
  /** Dead letters recorded per event id. */
  deadLetters(): Promise<Map<string, number>>;
  /** Removes the run's keys or schema and closes the test's clients. */
  close(): Promise<void>;
};

const uniqueTag = (): string => `${process.pid}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6).toString(36)}`;

/** A fresh key prefix on the Redis at `port`. */
export function redisFixture(port = 6379, options: { commandTimeoutMs?: number } = {}): StoreFixture {
  const prefix = `hookguard-test-${uniqueTag()}:`;
  const client = new Redis({ host: '127.0.0.1', port, lazyConnect: false });
  client.on('error', () => undefined);
  const hash = async (name: string): Promise<Map<string, number>> =>
    new Map(Object.entries(await client.hgetall(`${prefix}${name}`)).map(([id, count]) => [id, Number(count)]));
  return {
    config: { kind: 'redis', port, prefix, ...options },
    store: new RedisStore({ client, prefix }),
    effects: () => hash('effects'),
    deadLetters: () => hash('dead-letters'),
    async close() {
      try {
        await deleteRedisKeys(client, `${prefix}*`);
      } finally {
        client.disconnect();
      }
    },
  };
}

/** A fresh schema on the test database, migrated, with `effects` and `dead_letters` tables. */
export async function postgresFixture(options: { statementTimeoutMs?: number; poolMax?: number } = {}): Promise<StoreFixture & { pool: pg.Pool; schema: string }> {
  const schema = `hookguard_test_${uniqueTag()}`;
  const applicationName = `hookguard-test-${schema}`;
  const pool = new pg.Pool({ ...POSTGRES_CONNECTION, max: 4 });
  pool.on('error', () => undefined);
  await pool.query(`CREATE SCHEMA "${schema}"`);
  // No unique constraint on purpose: a doubled effect must show as two rows, not as a failed insert.
  await pool.query(`CREATE TABLE "${schema}".effects (id text NOT NULL, pid integer NOT NULL, at timestamptz NOT NULL DEFAULT now())`);
  await pool.query(`CREATE TABLE "${schema}".dead_letters (id text NOT NULL, at timestamptz NOT NULL DEFAULT now())`);
  const store = new PostgresStore({ pool, schema });
  await store.migrate();
  const counts = async (table: string): Promise<Map<string, number>> => {
    const { rows } = await pool.query<{ id: string; count: string }>(`SELECT id, count(*) AS count FROM "${schema}".${table} GROUP BY id`);
    return new Map(rows.map((row) => [row.id, Number(row.count)]));
  };
  return {
    config: { kind: 'postgres', connection: POSTGRES_CONNECTION, schema, applicationName, ...options },
    store,
    pool,
    schema,
    effects: () => counts('effects'),
    deadLetters: () => counts('dead_letters'),
    async close() {
      try {
        // Connections of killed app processes may linger a moment; they must not hold the schema.
        await pool.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [applicationName]);
        await pool.query(`DROP SCHEMA "${schema}" CASCADE`);
      } finally {
        await pool.end();
      }
    },
  };
}

/** Asks the store about each event without changing a completed record, and returns the ids not completed. */
export async function notCompleted(store: DedupStore, ids: readonly string[]): Promise<string[]> {
  const missing: string[] = [];
  const options = { leaseMs: 60_000, retentionMs: 600_000 };
  for (let start = 0; start < ids.length; start += 50) {
    const batch = ids.slice(start, start + 50);
    const answers = await Promise.all(batch.map((id) => store.claim(`${NAMESPACE}:${id}`, options)));
    answers.forEach((answer, index) => {
      if (answer.status !== 'completed') missing.push(`${batch[index]} (${answer.status})`);
    });
  }
  return missing;
}
