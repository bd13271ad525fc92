import { isWebhookError, silentLogger } from '@hookguard/core';
import { describeStoreContract } from '@hookguard/core/testing/contracts';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RedisStore } from './redis-store.js';
import { redisAnswers } from './testing/redis-server.js';

const LEASE_MS = 250;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const run = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
const prefix = `hookguard-test:${run}:`;

const reachable = await redisAnswers({ port: 6379 });
const required = process.env.CI === 'true';
if (!reachable && !required) {
  console.warn('Skipping the RedisStore tests: no Redis answers PING at 127.0.0.1:6379 (with CI=true they fail instead).');
}
const describeWithRedis = reachable || required ? describe : describe.skip;

let client: Redis;
beforeAll(() => {
  client = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: !(reachable || required) });
  client.on('error', () => {});
});
afterAll(async () => {
  if (reachable || required) {
    const keys = await client.keys(`${prefix}*`);
    if (keys.length > 0) await client.del(...keys);
  }
  client.disconnect();
});

if (reachable || required) {
  describeStoreContract('RedisStore', {
    // The contract writes to keys it never claimed, which the store reports as vanished records.
    setup: () => ({ store: new RedisStore({ client, prefix, logger: silentLogger }), advance: sleep }),
    leaseMs: LEASE_MS,
  });
}

async function serverTimeMs(): Promise<number> {
  const [seconds, micros] = await client.time();
  // Microsecond precision, like the deadline the store records: flooring to milliseconds here made
  // the remaining lease look up to 1 ms longer than it is.
  return Number(seconds) * 1000 + Number(micros) / 1000;
}

/** What is left of the lease on `key`'s processing record, by the Redis clock. */
async function leaseLeftMs(key: string): Promise<number> {
  const record = await client.get(key);
  // A first claim: the lease started when the key was set with its TTL, which counts down since.
  const [, ttlMs, leaseMs] = /^n(\d+):(\d+):/.exec(record ?? '') ?? [];
  if (leaseMs !== undefined) return Number(leaseMs) - (Number(ttlMs) - (await client.pttl(key)));
  const [, seconds, micros, ms] = /^p\d+:(\d+):(\d+):(\d+):/.exec(record ?? '') ?? [];
  if (ms === undefined) throw new Error(`not a processing record: ${String(record)}`);
  return Number(seconds) * 1000 + Number(micros) / 1000 + Number(ms) - (await serverTimeMs());
}

describeWithRedis('RedisStore', () => {
  it('describes itself as an exact, shared store named redis', () => {
    const store = new RedisStore({ client });
    expect({ name: store.name, exact: store.exact, shared: store.shared }).toEqual({ name: 'redis', exact: true, shared: true });
  });

  it('times leases by the Redis clock, so a skewed client clock changes nothing', async () => {
    const store = new RedisStore({ client, prefix });
    // @ts-expect-error the store takes no clock: every deadline is computed by Redis TIME
    expect(() => new RedisStore({ client, prefix, now: () => 0 })).toThrow(/unknown option 'now'/);
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      for (const skewMs of [6 * 3_600_000, -6 * 3_600_000]) {
        vi.setSystemTime(Date.now() + skewMs);
        const key = `skew:${skewMs}`;
        const first = await store.claim(key, { leaseMs: LEASE_MS, retentionMs: LEASE_MS * 4 });
        expect(first).toMatchObject({ status: 'claimed', attempt: 1 });
        const remaining = await leaseLeftMs(prefix + key);
        expect(remaining).toBeGreaterThan(0);
        expect(remaining).toBeLessThanOrEqual(LEASE_MS);
        const second = await store.claim(key, { leaseMs: LEASE_MS, retentionMs: LEASE_MS * 4 });
        expect(second.status === 'processing' && second.retryAfterMs).toBeLessThanOrEqual(LEASE_MS);
        vi.setSystemTime(Date.now() - skewMs);
        await sleep(LEASE_MS * 1.5);
        expect(await store.claim(key, { leaseMs: LEASE_MS, retentionMs: LEASE_MS * 4 })).toMatchObject({ status: 'claimed', attempt: 2 });
      }
    } finally {
      vi.useRealTimers();
    }
  });

  it('stores a record as one string key under the prefix, a first claim timed by its TTL, a completed one as an integer that starts with the token tag', async () => {
    const store = new RedisStore({ client, prefix });
    for (const [key, fingerprint] of [['layout-fingerprint', 'body-digest'], ['layout-plain', undefined]] as const) {
      const claim = await store.claim(key, { leaseMs: 60_000, retentionMs: 3_600_000, ...(fingerprint ? { fingerprint } : {}) });
      if (claim.status !== 'claimed') throw new Error(`expected a claim, got ${claim.status}`);
      expect(await client.type(prefix + key)).toBe('string');
      expect(claim.token).toMatch(/^[1-8]\d{8}-[0-9a-f]{16}-[0-9a-z]+$/);
      expect(await client.get(prefix + key)).toMatch(new RegExp(`^n3600000:60000:${fingerprint ? '\\d+' : '0'}:${claim.token}$`));
      expect(await client.pttl(prefix + key)).toBeGreaterThan(3_500_000);
      await store.complete(key, claim.token, { retentionMs: 86_400_000 });
      expect(await client.call('OBJECT', 'ENCODING', prefix + key)).toBe('int');
      expect(await client.pttl(prefix + key)).toBeGreaterThan(86_000_000);
      if (fingerprint === undefined) expect(await client.get(prefix + key)).toBe(`${claim.token.slice(0, 9)}0`);
    }
  });

  it('keeps the TTL of a released record, so released keys still expire', async () => {
    const store = new RedisStore({ client, prefix });
    const claim = await store.claim('released-ttl', { leaseMs: 60_000, retentionMs: 3_600_000 });
    if (claim.status !== 'claimed') throw new Error(`expected a claim, got ${claim.status}`);
    expect(await store.release('released-ttl', claim.token)).toBe(true);
    expect(await client.get(`${prefix}released-ttl`)).toBe(`r1:${claim.token}`);
    expect(await client.pttl(`${prefix}released-ttl`)).toBeGreaterThan(3_500_000);
  });

  it('reads records written in the layout before token tags and last errors', async () => {
    const store = new RedisStore({ client, prefix });
    const old = { leaseMs: LEASE_MS, retentionMs: 60_000 };
    await client.set(`${prefix}old-completed`, '0', 'PX', 60_000);
    await client.set(`${prefix}old-completed-digest`, '3203514695229', 'PX', 60_000);
    await client.set(`${prefix}old-released`, 'r2', 'PX', 60_000);
    await client.set(`${prefix}old-processing`, 'p1:1700000000:0:1:0:550e8400-e29b-41d4-a716-446655440000', 'PX', 60_000);
    expect(await store.claim('old-completed', old)).toEqual({ status: 'completed', fingerprintMatches: undefined });
    expect((await store.claim('old-completed-digest', old)).status).toBe('completed');
    expect(await store.claim('old-released', old)).toMatchObject({ status: 'claimed', attempt: 3 });
    expect(await store.claim('old-processing', old)).toMatchObject({ status: 'claimed', attempt: 2 });
    // A claim taken before an upgrade, with an untagged token, completes as an integer record.
    await client.set(`${prefix}old-owner`, 'p1:1700000000:0:60000:0:550e8400-e29b-41d4-a716-446655440000', 'PX', 60_000);
    expect(await store.complete('old-owner', '550e8400-e29b-41d4-a716-446655440000', { retentionMs: 60_000 })).toBe(true);
    expect(await client.get(`${prefix}old-owner`)).toBe('9000000000');
    expect(await store.complete('old-owner', '550e8400-e29b-41d4-a716-446655440000', { retentionMs: 60_000 })).toBe(false);
    expect((await store.claim('old-owner', old)).status).toBe('completed');
  });

  it('rejects with ERR_HOOKGUARD_STORE_UNAVAILABLE when a key under the prefix holds foreign data', async () => {
    const store = new RedisStore({ client, prefix });
    await client.set(`${prefix}foreign-string`, 'not a record');
    await client.hset(`${prefix}foreign-hash`, 'field', 'value');
    for (const key of ['foreign-string', 'foreign-hash']) {
      const error = await store.claim(key, { leaseMs: LEASE_MS, retentionMs: LEASE_MS }).catch((caught: unknown) => caught);
      expect(isWebhookError(error) && error.code).toBe('ERR_HOOKGUARD_STORE_UNAVAILABLE');
      expect((error as Error).cause).toBeInstanceOf(Error);
    }
  });

  it('rejects a result that JSON cannot encode with ERR_HOOKGUARD_UNSUPPORTED and keeps the claim', async () => {
    const store = new RedisStore({ client, prefix });
    const claim = await store.claim('bigint-result', { leaseMs: 60_000, retentionMs: 60_000 });
    if (claim.status !== 'claimed') throw new Error(`expected a claim, got ${claim.status}`);
    const error = await store
      .complete('bigint-result', claim.token, { retentionMs: 60_000, result: 1n })
      .catch((caught: unknown) => caught);
    expect(isWebhookError(error) && error.code).toBe('ERR_HOOKGUARD_UNSUPPORTED');
    expect((await store.claim('bigint-result', { leaseMs: 60_000, retentionMs: 60_000 })).status).toBe('processing');
  });

  it('shares a client between stores and leaves it open', async () => {
    const shared = new Redis({ host: '127.0.0.1', port: 6379 });
    try {
      const stores = [new RedisStore({ client: shared, prefix }), new RedisStore({ client: shared, prefix })];
      const claim = await stores[0]!.claim('shared-client', { leaseMs: 60_000, retentionMs: 60_000 });
      if (claim.status !== 'claimed') throw new Error(`expected a claim, got ${claim.status}`);
      expect(await stores[1]!.complete('shared-client', claim.token, { retentionMs: 60_000 })).toBe(true);
      await Promise.all(stores.map((store) => store.close()));
      expect(await shared.ping()).toBe('PONG');
    } finally {
      shared.disconnect();
    }
  });

  it("honours the client's keyPrefix and automatic pipelining", async () => {
    const pipelined = new Redis({ host: '127.0.0.1', port: 6379, keyPrefix: `${prefix}client:`, enableAutoPipelining: true });
    try {
      const store = new RedisStore({ client: pipelined, prefix: 'store:' });
      const claims = await Promise.all(['a', 'b', 'a'].map((key) => store.claim(key, { leaseMs: 60_000, retentionMs: 60_000 })));
      expect(claims.map((claim) => claim.status)).toEqual(['claimed', 'claimed', 'processing']);
      expect(await client.get(`${prefix}client:store:a`)).toMatch(/^n60000:/);
      const first = claims[0]!;
      if (first.status !== 'claimed') throw new Error('unreachable');
      expect(await store.complete('a', first.token, { retentionMs: 60_000, result: 'ok' })).toBe(true);
      expect(await store.claim('a', { leaseMs: 60_000, retentionMs: 60_000 })).toMatchObject({ status: 'completed', result: 'ok' });
    } finally {
      pipelined.disconnect();
    }
  });

  it('rejects at once with ERR_HOOKGUARD_STORE_UNAVAILABLE once the client was closed', async () => {
    const closed = new Redis({ host: '127.0.0.1', port: 6379 });
    await closed.quit();
    const store = new RedisStore({ client: closed, prefix, commandTimeoutMs: 60_000 });
    const error = await store.claim('closed-client', { leaseMs: 60_000, retentionMs: 60_000 }).catch((caught: unknown) => caught);
    expect(isWebhookError(error) && error.code).toBe('ERR_HOOKGUARD_STORE_UNAVAILABLE');
    expect(((error as Error).cause as Error).message).toContain('Connection is closed');
    // One period between the cause and the advice, not two (issue 14, item 20).
    expect((error as Error).message).toContain('Redis failed a hookguard claim: Connection is closed. Check that Redis is reachable');
    expect((error as Error).message).not.toContain('..');
  });

  it('throws ERR_HOOKGUARD_INVALID_OPTIONS at construction for a missing client or a bad timeout', () => {
    const invalid = (options: unknown): unknown => {
      try {
        new RedisStore(options as ConstructorParameters<typeof RedisStore>[0]);
      } catch (error) {
        return isWebhookError(error) && error.code;
      }
      return 'constructed';
    };
    expect(invalid({})).toBe('ERR_HOOKGUARD_INVALID_OPTIONS');
    expect(invalid({ client: {} })).toBe('ERR_HOOKGUARD_INVALID_OPTIONS');
    expect(invalid({ client, commandTimeoutMs: 0 })).toBe('ERR_HOOKGUARD_INVALID_OPTIONS');
    expect(invalid({ client, commandTimeoutMs: Number.NaN })).toBe('ERR_HOOKGUARD_INVALID_OPTIONS');
    expect(invalid({ client, prefix: 1 })).toBe('ERR_HOOKGUARD_INVALID_OPTIONS');
    expect(invalid({ client })).toBe('constructed');
  });
});
