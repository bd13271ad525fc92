import { isWebhookError } from '@hookguard/core';
import { Redis, type RedisOptions } from 'ioredis';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RedisStore } from './redis-store.js';
import { commandStats, redisAnswers, redisServerInstalled, startRedisServer, waitFor, type RedisServer } from './testing/redis-server.js';

const PORT = 7110;
const TIMEOUT_MS = 300;
// Generous on purpose: the test proves that nothing hangs, not how fast a rejection comes.
const REJECTION_BOUND_MS = TIMEOUT_MS + 3000;
const options = { leaseMs: 60_000, retentionMs: 60_000 };

const installed = redisServerInstalled();
if (!installed && process.env.CI !== 'true') {
  console.warn('Skipping the RedisStore outage tests: redis-server is not installed (with CI=true they fail instead).');
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startServer(extra: { unixSocket?: string; args?: string[]; port?: number } = {}): Promise<RedisServer> {
  const server = await startRedisServer({ port: extra.port ?? PORT, ...extra });
  cleanups.push(() => server.stop({ abrupt: true }));
  return server;
}

// ioredis 6 types the constructor's replyMapping without `| undefined`, which RedisOptions has.
function connect(redisOptions: Omit<RedisOptions, 'replyMapping'> = {}): { client: Redis; store: RedisStore } {
  const client = new Redis({ host: '127.0.0.1', port: PORT, ...redisOptions });
  // The client is the application's; its connection errors are expected here.
  client.on('error', () => {});
  cleanups.push(() => client.disconnect());
  return { client, store: new RedisStore({ client, commandTimeoutMs: TIMEOUT_MS }) };
}

async function rejection(operation: () => Promise<unknown>): Promise<{ error: unknown; elapsedMs: number }> {
  const started = performance.now();
  const outcome = await operation().then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (!('error' in outcome)) throw new Error(`expected a rejection, got ${JSON.stringify(outcome.value)}`);
  return { error: outcome.error, elapsedMs: performance.now() - started };
}

async function expectUnavailable(operation: () => Promise<unknown>): Promise<unknown> {
  const { error, elapsedMs } = await rejection(operation);
  expect(isWebhookError(error) && error.code).toBe('ERR_HOOKGUARD_STORE_UNAVAILABLE');
  expect(elapsedMs).toBeLessThan(REJECTION_BOUND_MS);
  return error;
}

async function expectEveryOperationUnavailable(store: RedisStore, key: string): Promise<void> {
  await Promise.all([
    expectUnavailable(() => store.claim(key, options)),
    expectUnavailable(() => store.complete(key, 'token', { retentionMs: 60_000 })),
    expectUnavailable(() => store.release(key, 'token')),
    expectUnavailable(() => store.extend(key, 'token', 60_000)),
  ]);
}

async function commandCalls(client: Redis): Promise<{ set: number; evalsha: number; eval: number }> {
  const count = await commandStats(client);
  return { set: count('set'), evalsha: count('evalsha'), eval: count('eval') };
}

/** Claims (as `attempt`) and completes `key`, retrying while the client reconnects. */
async function completesOnceBack(store: RedisStore, key: string, attempt = 1): Promise<void> {
  let claim: Awaited<ReturnType<RedisStore['claim']>> | undefined;
  await waitFor(
    async () => {
      claim = await store.claim(key, options).catch(() => undefined);
      return claim !== undefined;
    },
    15_000,
    () => `the store did not recover within 15 s after Redis returned`,
  );
  if (claim?.status !== 'claimed') throw new Error(`expected ${key} to be claimed, got ${claim?.status}`);
  expect(claim.attempt).toBe(attempt);
  expect(await store.complete(key, claim.token, { retentionMs: 60_000 })).toBe(true);
  expect((await store.claim(key, options)).status).toBe('completed');
}

describe.skipIf(!installed && process.env.CI !== 'true')('RedisStore when Redis fails', () => {
  it('rejects within commandTimeoutMs while nothing listens, despite endless client retries, and recovers once Redis starts', async () => {
    // The claims that timed out are still in the client's offline queue and land once Redis is up;
    // each is withdrawn right after, so the key is claimed afresh as attempt 1.
    expect(await redisAnswers({ port: PORT }), `port ${PORT} must be free for this test`).toBe(false);
    const { store } = connect({ maxRetriesPerRequest: null, enableOfflineQueue: true });
    const error = await expectUnavailable(() => store.claim('refused', options));
    expect((error as Error).message).toContain('commandTimeoutMs');
    await expectEveryOperationUnavailable(store, 'refused');
    await startServer();
    await completesOnceBack(store, 'refused');
  });

  it('rejects at once with the cause attached when the client keeps no offline queue', async () => {
    const { store } = connect({ enableOfflineQueue: false, lazyConnect: true });
    const error = await expectUnavailable(() => store.claim('no-queue', options));
    expect((error as Error).cause).toBeInstanceOf(Error);
  });

  it('rejects while Redis is down and works again after it restarts empty, reloading its scripts', async () => {
    const server = await startServer();
    const { store } = connect();
    await completesOnceBack(store, 'before-crash');
    await server.stop({ abrupt: true });
    await expectEveryOperationUnavailable(store, 'during-crash');
    await startServer();
    // The restarted server has no scripts and no records: a forgotten key runs again (a duplicate).
    await completesOnceBack(store, 'before-crash');
  });

  it('rejects while Redis is stalled and withdraws the claims that land late, so redeliveries claim at once', async () => {
    const server = await startServer();
    const { client, store } = connect();
    await completesOnceBack(store, 'warm-up');
    const failed = await store.claim('stalled-retry', options);
    expect(failed.status === 'claimed' && (await store.release('stalled-retry', failed.token))).toBe(true);
    const before = await commandCalls(client);
    server.pause();
    let paused = true;
    cleanups.push(() => {
      if (paused) server.resume();
    });
    await Promise.all([expectUnavailable(() => store.claim('stalled-new', options)), expectUnavailable(() => store.claim('stalled-retry', options))]);
    server.resume();
    paused = false;
    // Each stalled claim ran once Redis resumed (a SET that set the new key and left the released
    // one as it was), then its withdrawal (EVAL), which deleted the new key's record.
    await waitFor(async () => (await commandCalls(client)).eval - before.eval === 2, 5_000, () => 'the two withdrawals did not run');
    const after = await commandCalls(client);
    expect(after.set - before.set).toBe(2);
    expect(after.evalsha - before.evalsha).toBe(0);
    // Neither stalled claim ran a handler: the new key is claimed afresh, and the released one as
    // attempt 2 (attempt 1 ran and failed).
    expect(await store.claim('stalled-new', options)).toMatchObject({ status: 'claimed', attempt: 1 });
    expect(await store.claim('stalled-retry', options)).toMatchObject({ status: 'claimed', attempt: 2 });
  });

  it('reloads its scripts transparently after SCRIPT FLUSH (NOSCRIPT)', async () => {
    await startServer();
    const { client, store } = connect();
    await completesOnceBack(store, 'flush-1');
    await client.script('FLUSH');
    const claim = await store.claim('flush-2', options);
    expect(claim.status).toBe('claimed');
    await client.script('FLUSH');
    expect(claim.status === 'claimed' && (await store.complete('flush-2', claim.token, { retentionMs: 60_000 }))).toBe(true);
  });

  it('rejects new claims with OOM at maxmemory while still answering duplicates', async () => {
    await startServer({ args: ['--maxmemory-policy', 'noeviction'] });
    const { client, store } = connect();
    await completesOnceBack(store, 'done-before-oom');
    await client.config('SET', 'maxmemory', '1');
    const error = await expectUnavailable(() => store.claim('new-during-oom', options));
    expect(String(((error as Error).cause as Error).message)).toContain('OOM');
    expect((await store.claim('done-before-oom', options)).status).toBe('completed');
    await client.config('SET', 'maxmemory', '0');
    await completesOnceBack(store, 'new-during-oom');
  });

  it('rejects writes on a read-only replica with READONLY in the cause', async () => {
    await startServer();
    const dir = await mkdtemp(join(tmpdir(), 'hookguard-replica-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const socket = join(dir, 'replica.sock');
    await startServer({ port: 0, unixSocket: socket, args: ['--replicaof', '127.0.0.1', String(PORT)] });
    const { store } = connect({ path: socket });
    const error = await expectUnavailable(() => store.claim('on-replica', options));
    expect(String(((error as Error).cause as Error).message)).toContain('READONLY');
  });
});
