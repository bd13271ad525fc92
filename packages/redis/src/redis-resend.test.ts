import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { RedisStore } from './redis-store.js';
import { startRedisLossyProxy, type RedisLossyProxy } from './testing/redis-lossy-proxy.js';
import { redisAnswers } from './testing/redis-server.js';

// ioredis re-sends the commands whose replies a dropped connection lost (its default
// `autoResendUnfulfilledCommands`): each operation must answer its own re-send as it answered the
// first send, never as someone else's (issue 14, item 7).
const run = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
const prefix = `hookguard-test:resend:${run}:`;
const options = { leaseMs: 60_000, retentionMs: 60_000 };

const reachable = await redisAnswers({ port: 6379 });
const required = process.env.CI === 'true';
if (!reachable && !required) {
  console.warn('Skipping the RedisStore re-send tests: no Redis answers PING at 127.0.0.1:6379 (with CI=true they fail instead).');
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(async () => {
  if (!reachable) return;
  const direct = new Redis({ host: '127.0.0.1', port: 6379 });
  const keys = await direct.keys(`${prefix}*`);
  if (keys.length > 0) await direct.del(...keys);
  direct.disconnect();
});

async function throughLossyProxy(): Promise<{ proxy: RedisLossyProxy; client: Redis; store: RedisStore }> {
  const proxy = await startRedisLossyProxy(6379);
  cleanups.push(() => proxy.close());
  const client = new Redis({ host: '127.0.0.1', port: proxy.port });
  client.on('error', () => {});
  cleanups.push(() => client.disconnect());
  // Long enough for ioredis to reconnect and re-send: the test is about the answer, not the time.
  const store = new RedisStore({ client, prefix, commandTimeoutMs: 10_000, warnings: { WARN_HOOKGUARD_REDIS_EVICTION: false } });
  // Scripts loaded, so each operation below is one EVALSHA and its reply the next bytes back.
  const warm = await store.claim('warm-up', options);
  if (warm.status !== 'claimed') throw new Error(`expected a claim, got ${warm.status}`);
  await store.release('warm-up', warm.token);
  await store.complete('warm-up', warm.token, { retentionMs: 60_000 });
  return { proxy, client, store };
}

/** Runs `operation` so that Redis executes it, its reply is lost and ioredis re-sends it. */
async function withLostReply<T>(proxy: RedisLossyProxy, operation: () => Promise<T>): Promise<T> {
  const lost = proxy.loseNextReply();
  const before = proxy.connections;
  const pending = operation();
  await lost;
  const answer = await pending;
  expect(proxy.connections).toBe(before + 1);
  return answer;
}

describe.skipIf(!reachable && !required)('RedisStore when ioredis re-sends a command whose reply was lost', () => {
  it('answers a re-sent claim as claimed, with the same attempt, instead of processing against itself', async () => {
    const { proxy, client, store } = await throughLossyProxy();
    const claim = await withLostReply(proxy, () => store.claim('claim', options));
    expect(claim).toMatchObject({ status: 'claimed', attempt: 1 });
    if (claim.status !== 'claimed') return;
    expect(await client.get(`${prefix}claim`)).toMatch(new RegExp(`^p1:.*:${claim.token}$`));
    expect(await store.claim('claim', options)).toMatchObject({ status: 'processing' });
    expect(await store.complete('claim', claim.token, { retentionMs: 60_000 })).toBe(true);
  });

  it('answers a re-sent claim of a released key with the attempt it counted once, and its last error', async () => {
    const { proxy, store } = await throughLossyProxy();
    const first = await store.claim('retry', options);
    if (first.status !== 'claimed') throw new Error(`expected a claim, got ${first.status}`);
    expect(await store.release('retry', first.token, { lastError: 'Error: boom' })).toBe(true);
    const second = await withLostReply(proxy, () => store.claim('retry', options));
    expect(second).toMatchObject({ status: 'claimed', attempt: 2, lastError: 'Error: boom' });
  });

  it('answers a re-sent complete true, not as a lost lease', async () => {
    const { proxy, store } = await throughLossyProxy();
    const claim = await store.claim('complete', options);
    if (claim.status !== 'claimed') throw new Error(`expected a claim, got ${claim.status}`);
    expect(await withLostReply(proxy, () => store.complete('complete', claim.token, { retentionMs: 60_000, result: { ok: 1 } }))).toBe(true);
    expect(await store.claim('complete', options)).toMatchObject({ status: 'completed', result: { ok: 1 } });
  });

  it('answers a re-sent release true and counts the attempt once', async () => {
    const { proxy, store } = await throughLossyProxy();
    const claim = await store.claim('release', options);
    if (claim.status !== 'claimed') throw new Error(`expected a claim, got ${claim.status}`);
    expect(await withLostReply(proxy, () => store.release('release', claim.token, { uncounted: true }))).toBe(true);
    expect(await store.claim('release', options)).toMatchObject({ status: 'claimed', attempt: 1 });
  });
});
