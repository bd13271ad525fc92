import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RedisStore } from '@hookguard/redis';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { redisServerInstalled, startRedisServer, type RedisServer } from '../../packages/redis/src/testing/redis-server.js';
import { deliver, eventBody, pause, type Attempt } from '../cross-process/delivery.js';
import { Redeliverer, forEachConcurrently, type SentAttempt } from '../cross-process/redelivery.js';
import { notCompleted } from '../cross-process/store-fixture.js';
import { NAMESPACE, type Framework } from '../cross-process/app-config.js';
import { observedReceiver, serveExample } from './serve-example.js';

// Each test runs its own redis-server on its own port (7120–7129), never the shared one on 6379.
const COMMAND_TIMEOUT_MS = 500;
// What a loaded 2-core machine may add to the timeout; the point is that nothing waits much longer.
const MARGIN_MS = 1_000;
const LEASE_MS = 2_000;

const installed = redisServerInstalled();
const required = process.env['CI'] === 'true';
if (!installed && !required) console.warn('Skipping the Redis outage tests: redis-server is not installed (with CI=true they fail instead).');

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const tag = (): string => `${process.pid.toString(36)}${Date.now().toString(36)}`;

async function redisServer(port: number, dir?: string): Promise<RedisServer> {
  // Persistent when given a directory: every acknowledged write is on disk before the answer.
  const args = dir === undefined ? [] : ['--appendonly', 'yes', '--appendfsync', 'always'];
  const server = await startRedisServer({ port, args, ...(dir === undefined ? {} : { dir }) });
  cleanups.push(() => server.stop({ abrupt: true }));
  return server;
}

/** A receiver on a RedisStore whose client (ioredis defaults: reconnect forever, offline queue) points at `port`. */
async function appOn(port: number, framework: Framework, options: { onStoreError?: 'reject' | 'process'; handlerMs?: number } = {}) {
  const client = new Redis({ host: '127.0.0.1', port });
  client.on('error', () => undefined);
  cleanups.push(() => client.disconnect());
  const store = new RedisStore({ client, prefix: `hookguard-outage-${tag()}:`, commandTimeoutMs: COMMAND_TIMEOUT_MS });
  const { handlerMs, ...receiverOptions } = options;
  const observed = observedReceiver({ store, leaseMs: LEASE_MS, ...receiverOptions }, () => (handlerMs === undefined ? undefined : pause(handlerMs)));
  const app = await serveExample(framework, observed.receiver);
  cleanups.push(() => app.close());
  return { ...observed, client, store, url: app.url };
}

function answer(attempt: Attempt): { status: number; retryAfter: string | undefined; body: string } {
  if (attempt.kind !== 'answer') throw new Error(`expected an answer, got ${attempt.kind}`);
  return { status: attempt.status, retryAfter: attempt.retryAfter, body: attempt.body };
}

/** Every 503 said when to retry, named the store, and came within commandTimeoutMs + margin. */
function expectQuick503s(sent: readonly SentAttempt[]): void {
  for (const { attempt } of sent) {
    if (attempt.kind !== 'answer' || attempt.status !== 503) continue;
    expect(attempt.retryAfter).toBe('5');
    expect(attempt.body).toBe('{"error":"ERR_HOOKGUARD_STORE_UNAVAILABLE"}');
    expect(attempt.elapsedMs).toBeLessThan(COMMAND_TIMEOUT_MS + MARGIN_MS);
  }
}

describe.skipIf(!installed && !required)('Redis outages, through HTTP', () => {
  it('answers 503 with Retry-After within commandTimeoutMs while Redis is down at start, and completes every redelivery once it starts', async () => {
    const port = 7120;
    const { url, runs, reports, store } = await appOn(port, 'express');
    const ids = Array.from({ length: 30 }, (_, index) => `evt_${tag()}_${index}`);
    const refused = await Promise.all(ids.map((id) => deliver(url, id, eventBody(id), { timeoutMs: 10_000 })));
    for (const attempt of refused) {
      expect(answer(attempt)).toEqual({ status: 503, retryAfter: '5', body: '{"error":"ERR_HOOKGUARD_STORE_UNAVAILABLE"}' });
      expect(attempt.elapsedMs).toBeGreaterThanOrEqual(COMMAND_TIMEOUT_MS - 50);
      expect(attempt.elapsedMs).toBeLessThan(COMMAND_TIMEOUT_MS + MARGIN_MS);
    }
    expect(runs.size).toBe(0);
    await redisServer(port);
    const sender = new Redeliverer({ timeoutMs: 10_000, deadline: performance.now() + 20_000 });
    await Promise.all(ids.map((id) => sender.untilSuccess(id, eventBody(id), () => ({ name: 'app', url }))));
    expect(sender.unfinished).toEqual([]);
    expectQuick503s(sender.sent);
    expect(await notCompleted(store, ids)).toEqual([]);
    expect(ids.map((id) => runs.get(id))).toEqual(ids.map(() => 1));
    // The claims that timed out while Redis was down landed once it came back and were withdrawn
    // at once, so each event ran as attempt 1.
    expect(reports.filter((report) => report.outcome === 'processed').map((report) => report.attempt)).toEqual(ids.map(() => 1));
  }, 60_000);

  for (const [outage, framework, port] of [
    ['crashes (SIGKILL) and restarts from its append-only file', 'express', 7121],
    ['stalls (SIGSTOP) past the command timeout and resumes', 'hono', 7122],
  ] as const) {
    it(`answers 503 quickly while Redis ${outage} mid-run, and completes every event afterwards, each run once unless its completion was lost`, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'hookguard-outage-'));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      let server = await redisServer(port, dir);
      // Handlers take a moment, so that some are running when Redis goes away and cannot record completion.
      const { url, runs, logs, store } = await appOn(port, framework, { handlerMs: 20 });
      const ids = Array.from({ length: 150 }, (_, index) => `evt_${tag()}_${index}`);
      const sender = new Redeliverer({ timeoutMs: 10_000, deadline: performance.now() + 45_000 });
      let delivered = 0;
      let window: { from: number; to: number } | undefined;
      const outageRun = (async () => {
        while (delivered < 40) await pause(10);
        const from = performance.now();
        if (framework === 'express') await server.stop({ abrupt: true });
        else server.pause();
        await pause(2_000);
        const to = performance.now();
        window = { from, to };
        if (framework === 'express') server = await redisServer(port, dir);
        else server.resume();
      })();
      // Each event is sent twice, one copy after the other, as a provider that redelivers after a timeout.
      await forEachConcurrently(ids, 12, async (id) => {
        for (let copy = 0; copy < 2; copy++) await sender.untilSuccess(id, eventBody(id), () => ({ name: 'app', url }));
        delivered++;
      });
      await outageRun;
      expect(sender.unfinished).toEqual([]);
      expect(sender.where('timeout')).toEqual([]);
      expect(sender.where('connection-error')).toEqual([]);
      // Attempts made while Redis was gone were answered 503 quickly; none waited much beyond the timeout.
      const during = sender.sent.filter((sent) => window !== undefined && sent.startedAt > window.from + 50 && sent.startedAt + sent.attempt.elapsedMs < window.to);
      expect(during.length).toBeGreaterThan(0);
      for (const sent of during) expect(sent.attempt.kind === 'answer' && sent.attempt.status).toBe(503);
      expectQuick503s(sender.sent);
      for (const sent of sender.sent) expect(sent.attempt.elapsedMs).toBeLessThan(2 * COMMAND_TIMEOUT_MS + MARGIN_MS);
      // Nothing lost: every event completed and ran. Runs twice only where a handler succeeded but its
      // completion could not be recorded during the outage (a duplicate, never a loss).
      expect(await notCompleted(store, ids)).toEqual([]);
      const lostCompletions = new Set(
        logs.filter((log) => log.message === 'could not record a handled event as completed').map((log) => String(log.fields['key']).slice(NAMESPACE.length + 1)),
      );
      for (const id of ids) expect(runs.get(id), id).toBeGreaterThanOrEqual(1);
      const twice = ids.filter((id) => runs.get(id)! > 1);
      for (const id of twice) expect(lostCompletions.has(id) && runs.get(id), `${id} ran ${runs.get(id)} times`).toBe(2);
      console.log(`Redis ${framework === 'express' ? 'crash' : 'stall'} mid-run:`, { answers: sender.statuses(), completionsLost: lostCompletions.size, ranTwice: twice.length });
    }, 90_000);
  }

  it("runs handlers without dedup while Redis is down under onStoreError: 'process', says so in the logs and reports, and deduplicates again once it is back", async () => {
    const port = 7123;
    const { url, runs, logs, reports, client } = await appOn(port, 'fastify', { onStoreError: 'process' });
    const id = `evt_${tag()}_fail_open`;
    for (let copy = 0; copy < 2; copy++) {
      const attempt = await deliver(url, id, eventBody(id), { timeoutMs: 10_000 });
      expect(answer(attempt)).toMatchObject({ status: 200, body: '{"received":true}' });
      expect(attempt.elapsedMs).toBeLessThan(COMMAND_TIMEOUT_MS + MARGIN_MS);
    }
    // Both copies ran: without the store nothing can tell them apart (a duplicate, never a loss).
    expect(runs.get(id)).toBe(2);
    expect(reports.map((report) => [report.outcome, report.dedupSkipped])).toEqual([
      ['processed', true],
      ['processed', true],
    ]);
    const warnings = logs.filter((log) => log.level === 'warn' && log.fields['code'] === 'ERR_HOOKGUARD_STORE_UNAVAILABLE');
    expect(warnings.map((log) => log.message)).toEqual(Array(2).fill("processing without dedup because the store failed and onStoreError is 'process': this event may run more than once"));
    expect(logs.filter((log) => log.level === 'error').every((log) => log.fields['code'] === 'ERR_HOOKGUARD_STORE_UNAVAILABLE')).toBe(true);

    await redisServer(port);
    // Every copy is answered 200 under 'process', so only the client's reconnection says the store
    // is back (ioredis 6 backs off exponentially, with jitter, between attempts: seconds, not 50 ms).
    if (client.status !== 'ready') await once(client, 'ready');
    const sender = new Redeliverer({ timeoutMs: 10_000, deadline: performance.now() + 20_000 });
    reports.length = 0;
    // Back: the next copy is processed with dedup (the store never heard of the event), the one after is a duplicate.
    await sender.untilSuccess(id, eventBody(id), () => ({ name: 'app', url }));
    const after = await deliver(url, id, eventBody(id), { timeoutMs: 10_000 });
    expect(answer(after)).toMatchObject({ status: 200, body: '{"received":true,"duplicate":true}' });
    expect(runs.get(id)).toBe(3);
    expect(reports.filter((report) => report.status === 200).map((report) => [report.outcome, report.dedupSkipped])).toEqual([
      ['processed', false],
      ['duplicate', false],
    ]);
  }, 60_000);
});
