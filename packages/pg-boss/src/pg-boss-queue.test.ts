import type { LogFields, Logger, QueuedEvent } from '@hookguard/core';
import { describeQueueContract } from '@hookguard/core/testing/contracts';
import { PostgresStore } from '@hookguard/postgres';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAbortedBeforeHandover, heldUntilAborted, startCuttableProxy } from '../../../test/support/cuttable-proxy.js';
import { until } from '../../../test/support/until.js';
import { jobId } from './job-id.js';
import { PgBossQueue } from './pg-boss-queue.js';

const run = `${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`;
const schema = `hg_pgboss_${run}`;
const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const pool = new pg.Pool({ connectionString: databaseUrl, max: 8 });
let sequence = 0;

const open = (name: string, extra: { expireInSeconds?: number; maintenanceIntervalSeconds?: number } = {}): PgBossQueue =>
  new PgBossQueue({ pool, schema, name, pollIntervalMs: 50, expireInSeconds: 5, ...extra });

beforeAll(async () => {
  // Migrate once, so tests do not race to create the schema.
  const queue = open('setup');
  await queue.find('none');
  await queue.close();
});

afterAll(async () => {
  await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await pool.end();
});

describeQueueContract('PgBossQueue', {
  setup: () => {
    const name = `contract_${++sequence}`;
    return {
      open: () => open(name),
      begin: async () => {
        const client = await pool.connect();
        await client.query('BEGIN');
        const end = async (statement: string): Promise<void> => {
          try {
            await client.query(statement);
          } finally {
            client.release();
          }
        };
        return { transaction: client, commit: () => end('COMMIT'), rollback: () => end('ROLLBACK') };
      },
    };
  },
  transactions: true,
});

describe('PgBossQueue', () => {
  it('derives one stable UUID per queue and key', () => {
    expect(jobId('q', 'github:abc')).toBe(jobId('q', 'github:abc'));
    expect(jobId('q', 'github:abc')).not.toBe(jobId('q', 'github:abd'));
    expect(jobId('q', 'github:abc')).not.toBe(jobId('r', 'github:abc'));
    expect(jobId('q', 'x')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('joins the transactions of a PostgresStore on its own pool, and of no other store', async () => {
    const queue = open('joins');
    expect(queue.joinsTransactionsOf(new PostgresStore({ pool }))).toBe(true);
    // A store on another pool may be another database, where this queue's job cannot be written.
    const otherPool = new pg.Pool({ connectionString: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test', max: 1 });
    try {
      expect(queue.joinsTransactionsOf(new PostgresStore({ pool: otherPool }))).toBe(false);
    } finally {
      await otherPool.end();
    }
    const { MemoryStore } = await import('@hookguard/core');
    expect(queue.joinsTransactionsOf(new MemoryStore())).toBe(false);
  });

  it('rejects an enqueue with ERR_HOOKGUARD_QUEUE_UNAVAILABLE when PostgreSQL does not answer within enqueueTimeoutMs', async () => {
    // A pool whose only connection is held: the insert waits for it, as it would for a hung server.
    const tiny = new pg.Pool({ connectionString: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test', max: 1 });
    const queue = new PgBossQueue({ pool: tiny, schema, name: `timeout_${++sequence}`, enqueueTimeoutMs: 200 });
    await queue.find('warm-up');
    const held = await tiny.connect();
    try {
      await expect(queue.enqueue({ key: `timeout:${run}`, namespace: 'timeout', id: run, type: 'ping', alias: null, payload: {}, timestamp: null, headers: {}, acceptedAt: Date.now() })).rejects.toMatchObject({
        code: 'ERR_HOOKGUARD_QUEUE_UNAVAILABLE',
      });
    } finally {
      held.release();
    }
    await queue.close();
    await tiny.end();
  });

  it('refuses a missing pool and a schema that is not a plain identifier', () => {
    expect(() => new PgBossQueue({} as never)).toThrow(/pg Pool/);
    expect(() => new PgBossQueue({ pool, schema: 'x; drop table y' })).toThrow(/plain identifier/);
  });

  it('runs a crashed worker\'s job again after its lock expires, counting the attempt', async () => {
    const name = `expiry_${++sequence}`;
    const queue = open(name, { expireInSeconds: 1, maintenanceIntervalSeconds: 1 });
    const event = {
      key: `expiry:${run}`,
      namespace: 'expiry',
      id: run,
      type: 'ping',
      alias: null,
      payload: { ok: true },
      timestamp: null,
      headers: {},
      acceptedAt: Date.now(),
    };
    await queue.enqueue(event);
    // A worker that takes the job as pg-boss's fetch does (active, started now) and then dies:
    // no heartbeat, no answer.
    const taken = await pool.query(`UPDATE ${schema}.job SET state = 'active', started_on = now() WHERE name = $1 AND id = $2 RETURNING id`, [name, jobId(name, event.key)]);
    expect(taken.rowCount).toBe(1);
    expect((await queue.find(event.key))?.state).toBe('active');
    const attempts: number[] = [];
    const worker = await queue.work(async (_event, context) => void attempts.push(context.attempt), {
      concurrency: 1,
      retry: { attempts: 3, minDelayMs: 50, maxDelayMs: 400 },
    });
    const deadline = Date.now() + 15_000;
    while (attempts.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    await worker.close();
    await queue.close();
    expect(attempts).toEqual([2]);
    expect((await queue.find(event.key))?.state).toBe('completed');
  });

  it('dead-letters without running a job whose runs were all lost to crashed workers, and hands it to the processor\'s deadLettered', async () => {
    const name = `lost_${++sequence}`;
    const queue = open(name);
    const key = `lost:${run}`;
    await queue.enqueue({ key, namespace: 'lost', id: run, type: 'ping', alias: null, payload: {}, timestamp: null, headers: {}, acceptedAt: Date.now() });
    // Two runs lost (fetched, then expired by maintenance): the next fetch is attempt 3.
    await pool.query(`UPDATE ${schema}.job SET state = 'retry', started_on = now(), retry_count = 1 WHERE name = $1 AND id = $2`, [name, jobId(name, key)]);
    const runs: number[] = [];
    const reported: { key: string; attempt: number; reason: string }[] = [];
    const processor = Object.assign(async (_event: QueuedEvent, context: { attempt: number }) => void runs.push(context.attempt), {
      deadLettered: async (event: QueuedEvent, lost: { attempt: number; reason: string }) => void reported.push({ key: event.key, ...lost }),
    });
    const worker = await queue.work(processor, {
      concurrency: 1,
      retry: { attempts: 2, minDelayMs: 50, maxDelayMs: 400 },
    });
    const deadline = Date.now() + 15_000;
    while ((await queue.find(key))?.state !== 'dead' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    await worker.close();
    expect(runs).toEqual([]);
    // Before, nothing heard of it: the receiver's onDeadLetter, logs and delivery log hang on this call.
    expect(reported).toEqual([{ key, attempt: 3, reason: expect.stringContaining('ran out of attempts (2)') }]);
    expect(await queue.find(key)).toMatchObject({ state: 'dead', attempts: 3, lastError: expect.stringContaining('ran out of attempts') });
    await queue.close();
  });

  it('aborts the signal when another run took the job (its lock moved on)', async () => {
    const name = `lock_${++sequence}`;
    const queue = open(name, { expireInSeconds: 1 });
    const key = `lock:${run}`;
    await queue.enqueue({ key, namespace: 'lock', id: run, type: 'ping', alias: null, payload: {}, timestamp: null, headers: {}, acceptedAt: Date.now() });
    let signal: AbortSignal | undefined;
    const worker = await queue.work(
      (_event, context) =>
        new Promise<void>((resolve) => {
          signal = context.signal;
          context.signal.addEventListener('abort', () => resolve(), { once: true });
        }),
      { concurrency: 1, retry: { attempts: 3, minDelayMs: 50, maxDelayMs: 400 } },
    );
    const deadline = Date.now() + 15_000;
    while (signal === undefined && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    // What expiry and another worker's fetch leave behind: the job active under a newer start.
    const moved = await pool.query(`UPDATE ${schema}.job SET started_on = now() + interval '1 minute' WHERE name = $1 AND id = $2`, [name, jobId(name, key)]);
    expect(moved.rowCount).toBe(1);
    while (signal?.aborted !== true && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(signal?.aborted).toBe(true);
    await worker.close();
    // The aborted run's answer did not settle the other run's job.
    expect((await queue.find(key))?.state).toBe('active');
    await queue.close();
  });

  it('aborts a run cut off from PostgreSQL with ERR_HOOKGUARD_LEASE_LOST before its job can expire, warns, and the job completes once on another worker', async () => {
    const name = `partition_${++sequence}`;
    const target = new URL(databaseUrl);
    const proxy = await startCuttableProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const proxied = new URL(databaseUrl);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(proxy.port);
    const cutPool = new pg.Pool({ connectionString: proxied.toString(), max: 4 });
    // Idle clients lose their connection when the proxy is cut: pg.Pool emits that on the pool.
    cutPool.on('error', () => undefined);
    const lines: { level: 'warn' | 'error'; fields: LogFields; message: string }[] = [];
    const logger: Logger = {
      warn: (fields, message) => void lines.push({ level: 'warn', fields, message }),
      error: (fields, message) => void lines.push({ level: 'error', fields, message }),
    };
    const settings = { schema, name, pollIntervalMs: 50, expireInSeconds: 3, maintenanceIntervalSeconds: 1 };
    const cutOff = new PgBossQueue({ pool: cutPool, ...settings, logger });
    const direct = new PgBossQueue({ pool, ...settings });
    const event = sampleEvent('partition');
    await direct.enqueue(event);
    const retry = { attempts: 5, minDelayMs: 50, maxDelayMs: 400 };
    const held = heldUntilAborted();
    const runs: { attempt: number; at: number }[] = [];
    const first = await cutOff.work(held.processor, { concurrency: 1, retry });
    let second: Awaited<ReturnType<PgBossQueue['work']>> | undefined;
    try {
      await until(held.started);
      proxy.cut();
      // Another worker, with a connection of its own: pg-boss's maintenance (in its process) fails
      // the job once its lock expires, and it fetches it again.
      second = await direct.work(async (_event, context) => void runs.push({ attempt: context.attempt, at: performance.now() }), { concurrency: 1, retry });
      await until(async () => (await direct.find(event.key))?.state === 'completed');
      await until(() => lines.some((line) => line.level === 'error'), 5_000);
    } finally {
      held.giveUp();
      await proxy.restore();
      await second?.close();
      await first.close();
      await cutOff.close();
      await direct.close();
      await cutPool.end();
      await proxy.close();
    }
    expectAbortedBeforeHandover(held.aborted(), runs, 'pg-boss');
    expect(lines).toContainEqual(expect.objectContaining({ level: 'warn', fields: expect.objectContaining({ code: 'ERR_HOOKGUARD_LEASE_LOST', jobId: jobId(name, event.key) }) }));
    // The cut-off run could not record its failure, and says what that means.
    expect(lines).toContainEqual(expect.objectContaining({ level: 'error', message: expect.stringContaining('runs again') }));
    // Its queue's pg-boss maintenance failed meanwhile, which the queue says once per interval.
    expect(lines).toContainEqual(expect.objectContaining({ level: 'warn', message: expect.stringContaining("pg-boss's maintenance failed") }));
    // Its late answer, once PostgreSQL was reachable again, changed nothing.
    expect(await direct.find(event.key)).toMatchObject({ state: 'completed', attempts: 2 });
  });
});

function sampleEvent(label: string): QueuedEvent {
  const id = `evt_${run}_${label}`;
  return { key: `test:${id}`, namespace: 'test', id, type: 'ping', alias: null, payload: { label }, timestamp: null, headers: {}, acceptedAt: Date.now() };
}
