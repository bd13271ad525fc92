import { describeQueueContract } from '@hookguard/core/testing/contracts';
import type { JobContext, LogFields, Logger, QueuedEvent, QueueWorker } from '@hookguard/core';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { BullMQQueue } from './bullmq-queue.js';
import { expectAbortedBeforeHandover, heldUntilAborted, startCuttableProxy } from '../../../test/support/cuttable-proxy.js';
import { deleteRedisKeys } from '../../../test/support/redis-keys.js';
import { expectStartSaysItWaits, startSilentServer, warningsKept } from '../../../test/support/stalled-start.js';
import { until } from '../../../test/support/until.js';
import { jobId } from './job-id.js';

const client = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });
const run = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
let sequence = 0;

afterAll(async () => {
  // Anything a closing worker wrote after its test dropped its prefix.
  await deleteRedisKeys(client, `hg-test-${run}-*`);
  await client.quit();
});

/** Deletes every key under a test's own prefix (never the whole database: Redis is shared). */
async function dropPrefix(prefix: string): Promise<void> {
  await deleteRedisKeys(client, `${prefix}:*`);
}

describeQueueContract('BullMQQueue', {
  setup: () => {
    const prefix = `hg-test-${run}-${++sequence}`;
    return {
      open: () => new BullMQQueue({ connection: client, prefix, name: 'contract', lockDurationMs: 5_000, stalledIntervalMs: 1_000 }),
      teardown: () => dropPrefix(prefix),
    };
  },
});

describe('BullMQQueue', () => {
  it('encodes dedup keys into job ids BullMQ accepts, one to one', () => {
    const keys = ['github:abc', 'a%3Ab', 'a:b', '12345', '-5', '1e3', 'plain', '%31'];
    const ids = keys.map(jobId);
    expect(ids).toEqual(['github%3Aabc', 'a%253Ab', 'a%3Ab', '%312345', '%2D5', '1e3', 'plain', '%2531']);
    expect(new Set(ids).size).toBe(keys.length);
    for (const id of ids) {
      expect(id.includes(':')).toBe(false);
      expect(`${Number.parseInt(id, 10)}`).not.toBe(id);
    }
  });

  it('refuses a connection that is not an ioredis client', () => {
    expect(() => new BullMQQueue({} as never)).toThrow(/ioredis client/);
  });

  it('rejects an enqueue with ERR_HOOKGUARD_QUEUE_UNAVAILABLE when Redis does not answer within enqueueTimeoutMs', async () => {
    // Nothing listens on port 1: ioredis keeps the command queued while it reconnects.
    const unreachable = new Redis({ host: '127.0.0.1', port: 1, retryStrategy: () => 50 });
    unreachable.on('error', () => undefined);
    const queue = new BullMQQueue({ connection: unreachable, prefix: `hg-test-${run}-down`, enqueueTimeoutMs: 200 });
    await expect(queue.enqueue(sampleEvent('down'))).rejects.toMatchObject({ code: 'ERR_HOOKGUARD_QUEUE_UNAVAILABLE' });
    unreachable.disconnect();
  });

  it('never closes the client it was given', async () => {
    const prefix = `hg-test-${run}-own`;
    const queue = new BullMQQueue({ connection: client, prefix });
    const worker = await queue.work(async () => undefined, { concurrency: 1, retry: { attempts: 1, minDelayMs: 50, maxDelayMs: 100 } });
    await worker.close();
    await queue.close();
    expect(await client.ping()).toBe('PONG');
    await dropPrefix(prefix);
  });

  it("runs a dead worker's job again after its lock lapses (stalled-job recovery), as the next attempt", async () => {
    const prefix = `hg-test-${run}-stalled`;
    const queue = new BullMQQueue({ connection: client, prefix, name: 'stalled', lockDurationMs: 1_000, stalledIntervalMs: 300 });
    const sent = sampleEvent('stalled');
    await queue.enqueue(sent);
    // A worker that takes the job and dies: BullMQ's own getNextJob, then no lock renewal, no answer.
    const connection = client.duplicate({ maxRetriesPerRequest: null });
    const dead = new Worker('stalled', null, { connection, prefix, lockDuration: 1_000, skipLockRenewal: true });
    const taken = await dead.getNextJob('dead-worker-token');
    expect(taken?.data.key).toBe(sent.key);
    expect((await queue.find(sent.key))?.state).toBe('active');
    const attempts: number[] = [];
    const worker = await queue.work(async (_event, context) => void attempts.push(context.attempt), {
      concurrency: 1,
      retry: { attempts: 3, minDelayMs: 50, maxDelayMs: 400 },
    });
    await until(() => attempts.length > 0);
    await worker.close();
    await dead.close(true);
    await connection.quit();
    await queue.close();
    expect(attempts).toEqual([2]);
    await dropPrefix(prefix);
  });

  it('aborts the signal when the worker loses the job lock, and says the run\'s outcome was not recorded', async () => {
    const prefix = `hg-test-${run}-lock`;
    const lines: { level: 'warn' | 'error'; fields: LogFields; message: string }[] = [];
    const logger: Logger = {
      warn: (fields, message) => void lines.push({ level: 'warn', fields, message }),
      error: (fields, message) => void lines.push({ level: 'error', fields, message }),
    };
    const queue = new BullMQQueue({ connection: client, prefix, name: 'lock', lockDurationMs: 400, logger });
    const sent = sampleEvent('lock');
    await queue.enqueue(sent);
    let seen: JobContext | undefined;
    const worker = await queue.work(
      (_event, context) =>
        new Promise<void>((resolve) => {
          seen = context;
          context.signal.addEventListener('abort', () => resolve(), { once: true });
        }),
      { concurrency: 1, retry: { attempts: 3, minDelayMs: 50, maxDelayMs: 400 } },
    );
    await until(() => seen !== undefined);
    // Another worker's stalled check or a failover took the lock: the renewal finds it gone.
    expect(await client.del(`${prefix}:lock:${jobId(sent.key)}:lock`)).toBe(1);
    await until(() => seen?.signal.aborted === true);
    expect(seen?.signal.reason).toMatchObject({ code: 'ERR_HOOKGUARD_LEASE_LOST' });
    // The run resolved, but BullMQ refuses to complete a job whose lock the worker no longer holds.
    await until(() => lines.some((line) => line.level === 'error'));
    await worker.close();
    await queue.close();
    await dropPrefix(prefix);
    expect(lines).toContainEqual(expect.objectContaining({ level: 'warn', fields: expect.objectContaining({ code: 'ERR_HOOKGUARD_LEASE_LOST', jobId: jobId(sent.key) }) }));
    expect(lines).toContainEqual(expect.objectContaining({ level: 'error', message: expect.stringContaining('runs again') }));
  });

  it('aborts a run cut off from Redis with ERR_HOOKGUARD_LEASE_LOST before its lock lapses, warns, the job completes once on another worker, and the worker closes right after Redis is back', async () => {
    const prefix = `hg-test-${run}-partition`;
    const proxy = await startCuttableProxy({ host: '127.0.0.1', port: 6379 });
    const cutClient = new Redis({ host: '127.0.0.1', port: proxy.port, retryStrategy: () => 100 });
    cutClient.on('error', () => undefined);
    const lines: { level: 'warn' | 'error'; fields: LogFields; message: string }[] = [];
    const logger: Logger = {
      warn: (fields, message) => void lines.push({ level: 'warn', fields, message }),
      error: (fields, message) => void lines.push({ level: 'error', fields, message }),
    };
    const settings = { prefix, name: 'partition', lockDurationMs: 3_000, stalledIntervalMs: 500 };
    const cutOff = new BullMQQueue({ connection: cutClient, ...settings, logger });
    const direct = new BullMQQueue({ connection: client, ...settings });
    const sent = sampleEvent('partition');
    await direct.enqueue(sent);
    const retry = { attempts: 5, minDelayMs: 50, maxDelayMs: 400 };
    const held = heldUntilAborted();
    const runs: { attempt: number; at: number }[] = [];
    const first = await cutOff.work(held.processor, { concurrency: 1, retry });
    let second: Awaited<ReturnType<BullMQQueue['work']>> | undefined;
    let closedFirst: string | undefined;
    try {
      await until(held.started);
      proxy.cut();
      // Another worker, with a connection of its own: its stalled-job check takes the job back
      // once the lock lapses, and it runs it.
      second = await direct.work(async (_event, context) => void runs.push({ attempt: context.attempt, at: performance.now() }), { concurrency: 1, retry });
      await until(async () => (await direct.find(sent.key))?.state === 'completed');
      await proxy.restore();
      // Closed at once, while it reconnects: the aborted run is handed back to BullMQ only once
      // Redis answers again, so its refused failure is recorded over a live connection (sent
      // during the outage and answered after it, it left BullMQ's close() waiting forever).
      closedFirst = await Promise.race([first.close().then(() => 'closed'), new Promise<string>((resolve) => setTimeout(() => resolve('still waiting after 10 s'), 10_000))]);
      // The cut-off run's late answer changed nothing.
      expect(await direct.find(sent.key)).toMatchObject({ state: 'completed', attempts: 2 });
    } finally {
      held.giveUp();
      await proxy.restore();
      await second?.close();
      if (closedFirst === undefined) await first.close();
      await cutOff.close();
      await direct.close();
      cutClient.disconnect();
      await proxy.close();
      await dropPrefix(prefix);
    }
    expectAbortedBeforeHandover(held.aborted(), runs, 'bullmq');
    // Closed while its blocking connection was still reconnecting: on ioredis 5, BullMQ's own close
    // never returns then, and the worker says it closed without it. Whether the aborted run's
    // outcome is refused (logged 'runs again') or dropped by BullMQ as it closes depends on the
    // client and the timing; either way the job ran to completion once, on the other worker.
    expect(closedFirst).toBe('closed');
    expect(lines).toContainEqual(expect.objectContaining({ level: 'warn', fields: expect.objectContaining({ code: 'ERR_HOOKGUARD_LEASE_LOST', jobId: jobId(sent.key) }) }));
  });
  it('says every lockDurationMs that a starting worker still waits for a Redis that takes connections and never answers', async () => {
    // Before, receiver.work() stayed pending without a word: BullMQ waits for Redis as long as it takes.
    const silent = await startSilentServer();
    const connection = new Redis({ host: '127.0.0.1', port: silent.port, retryStrategy: () => null });
    connection.on('error', () => undefined);
    const { logger, warnings } = warningsKept();
    const queue = new BullMQQueue({ connection, name: 'frozen-start', lockDurationMs: 400, logger });
    let working: Promise<QueueWorker> | undefined;
    try {
      const retry = { attempts: 1, minDelayMs: 50, maxDelayMs: 100 };
      ({ working } = await expectStartSaysItWaits(() => queue.work(async () => undefined, { concurrency: 1, retry }), warnings, { queue: 'bullmq', backend: 'Redis' }));
    } finally {
      await silent.close();
      connection.disconnect();
    }
    // Redis gone for good (this client never reconnects): BullMQ stops waiting, and the worker closes.
    const worker = await working?.catch(() => undefined);
    await worker?.close();
    await queue.close();
  });
});

function sampleEvent(label: string): QueuedEvent {
  const id = `evt_${run}_${label}`;
  return { key: `test:${id}`, namespace: 'test', id, type: 'ping', alias: null, payload: { label }, timestamp: null, headers: {}, acceptedAt: Date.now() };
}
