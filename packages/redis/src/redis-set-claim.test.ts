import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { RedisStore } from './redis-store.js';
import { startRedisLossyProxy } from './testing/redis-lossy-proxy.js';
import { commandStats, redisServerInstalled, startRedisServer } from './testing/redis-server.js';

// A server of this file's own, so the command counts below are this file's alone.
const PORT = 7140;
const options = { leaseMs: 60_000, retentionMs: 60_000 };

const installed = redisServerInstalled();
if (!installed && process.env.CI !== 'true') {
  console.warn('Skipping the RedisStore SET claim tests: redis-server is not installed (with CI=true they fail instead).');
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startServer(): Promise<void> {
  const server = await startRedisServer({ port: PORT });
  cleanups.push(() => server.stop({ abrupt: true }));
}

function connect(port: number): Redis {
  const client = new Redis({ host: '127.0.0.1', port });
  client.on('error', () => {});
  cleanups.push(() => client.disconnect());
  return client;
}

/** Calls of SET (scripts' own included) and EVALSHA since the server started, and the SETs that failed. */
async function commandCalls(client: Redis): Promise<{ set: number; setFailed: number; evalsha: number }> {
  const count = await commandStats(client);
  return { set: count('set'), setFailed: count('set', 'failed_calls'), evalsha: count('evalsha') };
}

async function countedDuring(client: Redis, operation: () => Promise<unknown>): Promise<{ set: number; setFailed: number; evalsha: number }> {
  const before = await commandCalls(client);
  await operation();
  const after = await commandCalls(client);
  return { set: after.set - before.set, setFailed: after.setFailed - before.setFailed, evalsha: after.evalsha - before.evalsha };
}

describe.skipIf(!installed && process.env.CI !== 'true')('RedisStore claims with a plain SET … NX GET', () => {
  it('claims a new key and answers a duplicate with one SET each, running no script', async () => {
    await startServer();
    const client = connect(PORT);
    const store = new RedisStore({ client, warnings: { WARN_HOOKGUARD_REDIS_EVICTION: false } });
    let token = '';
    expect(
      await countedDuring(client, async () => {
        const claim = await store.claim('new', { ...options, fingerprint: 'body-a' });
        expect(claim).toMatchObject({ status: 'claimed', attempt: 1 });
        if (claim.status === 'claimed') token = claim.token;
      }),
    ).toEqual({ set: 1, setFailed: 0, evalsha: 0 });
    expect(await store.complete('new', token, { retentionMs: 60_000, result: { replied: true } })).toBe(true);
    expect(
      await countedDuring(client, async () => {
        expect(await store.claim('new', { ...options, fingerprint: 'body-a' })).toEqual({ status: 'completed', fingerprintMatches: true, result: { replied: true } });
        expect(await store.claim('new', { ...options, fingerprint: 'body-b' })).toMatchObject({ status: 'completed', fingerprintMatches: false });
        expect(await store.claim('new', options)).toMatchObject({ status: 'completed', fingerprintMatches: undefined });
      }),
    ).toEqual({ set: 3, setFailed: 0, evalsha: 0 });
    // A claim in flight takes the script as well: it answers by the lease the key's TTL times.
    expect(
      await countedDuring(client, async () => {
        await store.claim('in-flight', options);
        const second = await store.claim('in-flight', options);
        expect(second.status === 'processing' && second.retryAfterMs).toBeGreaterThan(59_000);
      }),
    ).toEqual({ set: 2, setFailed: 0, evalsha: 1 });
  });

  it('claims by script alone, for good, where Redis refuses SET … NX GET as unknown syntax (before 7.0)', async () => {
    await startServer();
    // The `GET` after `NX` in every SET becomes `BAD`: Redis then answers `ERR syntax error`, as
    // Redis 6.2 answers `SET … NX GET` and 6.0 any `SET … GET`.
    const proxy = await startRedisLossyProxy(PORT, { rewriteCommands: (chunk) => Buffer.from(chunk.toString('latin1').replaceAll('$2\r\nNX\r\n$3\r\nGET\r\n', '$2\r\nNX\r\n$3\r\nBAD\r\n'), 'latin1') });
    cleanups.push(() => proxy.close());
    const direct = connect(PORT);
    const store = new RedisStore({ client: connect(proxy.port), warnings: { WARN_HOOKGUARD_REDIS_EVICTION: false } });
    let token = '';
    expect(
      await countedDuring(direct, async () => {
        const claim = await store.claim('old-server', options);
        expect(claim).toMatchObject({ status: 'claimed', attempt: 1 });
        if (claim.status === 'claimed') token = claim.token;
      }),
      // The refused SET, then the script's own SET.
    ).toEqual({ set: 2, setFailed: 1, evalsha: 1 });
    expect(await direct.get('hookguard:old-server')).toMatch(new RegExp(`^p1:\\d+:\\d+:60000:0:${token}$`));
    expect(
      await countedDuring(direct, async () => {
        expect(await store.claim('old-server', options)).toMatchObject({ status: 'processing' });
        expect(await store.complete('old-server', token, { retentionMs: 60_000 })).toBe(true);
        expect(await store.claim('old-server', options)).toMatchObject({ status: 'completed' });
        expect(await store.claim('another', options)).toMatchObject({ status: 'claimed', attempt: 1 });
      }),
      // Only the scripts' own SETs: the complete's and the new claim's.
    ).toEqual({ set: 2, setFailed: 0, evalsha: 4 });
  });
});
