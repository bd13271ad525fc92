// Which of the machine's services the cross-package tests can use. Absent services skip their
// tests with a printed reason; under CI=true they are required, so their absence fails the run.
import { Redis } from 'ioredis';
import pg from 'pg';
import { describe } from 'vitest';

export const POSTGRES = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' } as const;
export const REDIS = { host: '127.0.0.1', port: 6379 } as const;

/** Whether Redis answers PING at {@link REDIS}. */
export async function redisAnswers(): Promise<boolean> {
  const client = new Redis({ ...REDIS, lazyConnect: true, connectTimeout: 1_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** Whether PostgreSQL answers a query at {@link POSTGRES}. */
export async function postgresAnswers(): Promise<boolean> {
  const client = new pg.Client({ ...POSTGRES, connectionTimeoutMillis: 2_000 });
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

const required = process.env['CI'] === 'true';

async function describeWhen(service: string, where: string, answers: () => Promise<boolean>): Promise<typeof describe.skip> {
  if (await answers()) return describe;
  if (required) return describe; // the tests run and fail on the refused connection
  console.warn(`Skipping tests that need ${service}: nothing answers at ${where}. With CI=true they fail instead.`);
  return describe.skip;
}

/** `describe` when PostgreSQL answers (or CI requires it), `describe.skip` with a printed reason otherwise. */
export const describeWithPostgres = await describeWhen('PostgreSQL', `${POSTGRES.host}:${POSTGRES.port}`, postgresAnswers);
/** `describe` when Redis answers (or CI requires it), `describe.skip` with a printed reason otherwise. */
export const describeWithRedis = await describeWhen('Redis', `${REDIS.host}:${REDIS.port}`, redisAnswers);
