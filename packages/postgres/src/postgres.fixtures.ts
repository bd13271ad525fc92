// Shared by this package's tests: the local PostgreSQL, one throwaway schema per test file, and
// the pool counters that show whether a client leaked.
import pg, { type Pool, type PoolConfig } from 'pg';
import { describe, vi } from 'vitest';
import { PostgresStore, type PostgresStoreOptions } from './postgres-store.js';

export { pg };

export const CONNECTION = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' } as const;

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether the test PostgreSQL answers; with CI=true its absence fails the run instead of skipping. */
export async function postgresAnswers(): Promise<boolean> {
  const client = new pg.Client({ ...CONNECTION, connectionTimeoutMillis: 2_000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const reachable = await postgresAnswers();
const required = process.env.CI === 'true';
if (!reachable && !required) {
  console.warn(
    `Skipping the PostgresStore tests: no PostgreSQL answers at ${CONNECTION.host}:${CONNECTION.port} (database ${CONNECTION.database}, user ${CONNECTION.user}); with CI=true they fail instead.`,
  );
}

/** Whether tests that need PostgreSQL run. */
export const withPostgres = reachable || required;

/** `describe` when PostgreSQL is there (or required), `describe.skip` otherwise. */
export const describeWithPostgres: typeof describe.skip = withPostgres ? describe : describe.skip;

/** A pool on the test database whose connections are tagged, so a test can find and kill them. */
export function testPool(applicationName: string, config: PoolConfig = {}): Pool {
  const pool = new pg.Pool({ ...CONNECTION, application_name: applicationName, ...config });
  // Idle clients whose backend is terminated emit 'error' on the pool; the pool drops them itself.
  pool.on('error', () => {});
  return pool;
}

/** A schema of its own for one test file, with the store's table migrated into it. */
export type TestSchema = {
  schema: string;
  pool: Pool;
  store: PostgresStore;
  /** Opens another store on the same table, e.g. over a differently configured pool. */
  storeOn(pool: Pool, options?: Omit<PostgresStoreOptions, 'pool' | 'schema'>): PostgresStore;
  /** Drops the schema and ends the pools this fixture opened. */
  drop(): Promise<void>;
};

/**
 * Creates a uniquely named schema, a pool tagged `<label>` and a migrated store on it.
 *
 * @example
 * ```ts
 * const db = await testSchema('prune', { max: 2 });
 * // ...
 * await db.drop();
 * ```
 */
export async function testSchema(
  label: string,
  poolConfig: PoolConfig = {},
  storeOptions: Omit<PostgresStoreOptions, 'pool' | 'schema'> = {},
): Promise<TestSchema> {
  const schema = `hookguard_test_${label}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const pool = testPool(`hookguard-test-${label}`, poolConfig);
  const store = new PostgresStore({ pool, schema, ...storeOptions });
  await store.migrate();
  return {
    schema,
    pool,
    store,
    storeOn: (other, options = {}) => new PostgresStore({ pool: other, schema, ...options }),
    async drop() {
      await store.close();
      const admin = testPool(`hookguard-test-${label}-admin`, { max: 1 });
      try {
        await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await admin.end();
        await pool.end();
      }
    },
  };
}

/** Terminates every backend of the pools tagged `applicationName` (a dropped connection). */
export async function terminateBackends(admin: Pool, applicationName: string): Promise<number> {
  const { rows } = await admin.query<{ terminated: boolean }>(
    'SELECT pg_terminate_backend(pid) AS terminated FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()',
    [applicationName],
  );
  return rows.filter((row) => row.terminated).length;
}

/** The pool's counters: after all work has settled, every client must be idle and nobody waiting. */
export function poolCounts(pool: Pool): { total: number; idle: number; waiting: number } {
  return { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount };
}

/**
 * Records the names of the prepared statements every pg client sends until `restore()`, so a test
 * can count the statements behind an operation.
 */
export function recordStatementNames(): { names: string[]; restore(): void } {
  const names: string[] = [];
  const query = pg.Client.prototype.query;
  const spy = vi.spyOn(pg.Client.prototype, 'query').mockImplementation(function (this: pg.Client, ...args: unknown[]) {
    const config = args[0] as { name?: unknown } | undefined;
    if (typeof config === 'object' && config !== null && typeof config.name === 'string') names.push(config.name);
    return (query as (...rest: unknown[]) => unknown).apply(this, args);
  } as never);
  return { names, restore: () => spy.mockRestore() };
}
