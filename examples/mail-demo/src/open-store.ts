import { MemoryStore, type DedupStore } from '@hookguard/core';
import { PostgresStore } from '@hookguard/postgres';
import { RedisStore } from '@hookguard/redis';
import { Redis } from 'ioredis';
import pg from 'pg';
import { DemoSetupError } from './setup-error.js';

export const STORES = ['memory', 'redis', 'postgres'] as const;
export type StoreKind = (typeof STORES)[number];

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
export const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';

/** A store the demo opened, and how to let go of it. */
export type OpenedStore = { store: DedupStore; where: string; close: () => Promise<void> };

/** Opens the store for `--store`, checking first that its server answers. */
export async function openStore(kind: StoreKind, urls: { redisUrl: string; postgresUrl: string }): Promise<OpenedStore> {
  switch (kind) {
    case 'memory': {
      const store = new MemoryStore();
      return { store, where: 'in this process', close: () => store.close() };
    }
    case 'redis':
      return openRedis(urls.redisUrl);
    case 'postgres':
      return openPostgres(urls.postgresUrl);
  }
}

async function openRedis(url: string): Promise<OpenedStore> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: 2_000, maxRetriesPerRequest: 1 });
  let lastError = '';
  client.on('error', (error: Error) => void (lastError = error.message));
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    client.disconnect();
    throw new DemoSetupError(
      `--store redis: Redis is not reachable at ${redact(url)} (${lastError || describe(error)}). ` +
        'Start one (docker run --rm -p 6379:6379 redis:7) or point --redis-url at yours.',
    );
  }
  return { store: new RedisStore({ client, prefix: 'hookguard-demo:' }), where: redact(url), close: async () => void (await client.quit()) };
}

async function openPostgres(url: string): Promise<OpenedStore> {
  const pool = new pg.Pool({ connectionString: url, connectionTimeoutMillis: 2_000, max: 10 });
  pool.on('error', () => {});
  // A schema of its own, so the demo never writes into a table an application uses.
  const store = new PostgresStore({ pool, schema: 'hookguard_demo' });
  try {
    await pool.query('SELECT 1');
    await store.migrate();
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new DemoSetupError(
      `--store postgres: PostgreSQL is not reachable at ${redact(url)} (${describe(error)}). ` +
        'Start one (docker run --rm -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust postgres:17) or point --postgres-url at yours.',
    );
  }
  return {
    store,
    where: redact(url),
    close: async () => {
      // Rows of earlier runs expire after the demo's short retention; clear them out now.
      await store.prune().catch(() => undefined);
      await store.close();
      await pool.end();
    },
  };
}

function describe(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return describe(error.errors[0]);
  return error instanceof Error ? error.message || error.name : String(error);
}

/** The URL without its password. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(an unparsable URL)';
  }
}
