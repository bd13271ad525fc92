/**
 * Measures the Redis store against raw ioredis commands and its memory per tracked event.
 *
 *   node_modules/.bin/tsx --conditions=@hookguard/source packages/redis/bench/measure.ts [speed] [memory]
 *
 * Speed: claim + complete against `SET key 1 NX PX lease` + `SET key 1 XX PX retention`, the least
 * a dedup store can send, through one ioredis client to REDIS_PORT (default 6379), one at a time
 * and 64 at once, in many short alternating rounds so load from other processes hits all sides
 * alike; the ratio is the median of the per-round ratios. Memory: a private
 * redis-server on a Unix socket, so nothing else moves `used_memory`.
 */
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RedisStore } from '../src/index.js';
import { startRedisServer } from '../src/testing/redis-server.js';

const LEASE_MS = 60_000;
const RETENTION_MS = 259_200_000;
const ROUNDS = 21;
const SEQUENTIAL_PAIRS = 1_000;
const CONCURRENT_PAIRS = 5_000;
const MEMORY_EVENTS = 100_000;
const run = `${Date.now().toString(36)}`;
let sequence = 0;

const fingerprint = (): string => randomBytes(32).toString('base64url');
const eventId = (): string => `evt_${randomBytes(18).toString('base64url')}`;

type Pair = (key: string, fingerprint: string) => Promise<void>;

function rawPair(client: Redis): Pair {
  return async (key) => {
    await client.set(key, '1', 'PX', LEASE_MS, 'NX');
    await client.set(key, '1', 'PX', RETENTION_MS, 'XX');
  };
}

function storePair(store: RedisStore, withFingerprint: boolean): Pair {
  return async (key, digest) => {
    const claim = await store.claim(key, withFingerprint ? { leaseMs: LEASE_MS, retentionMs: RETENTION_MS, fingerprint: digest } : { leaseMs: LEASE_MS, retentionMs: RETENTION_MS });
    if (claim.status !== 'claimed') throw new Error(`unexpected ${claim.status}`);
    await store.complete(key, claim.token, { retentionMs: RETENTION_MS });
  };
}

type Sample = { rate: number; cpuMicros: number };

/** Pairs per second, and client CPU per pair, for `total` pairs run by `concurrency` loops. */
async function throughput(pair: Pair, total: number, concurrency: number): Promise<Sample> {
  const keys = Array.from({ length: total }, () => `bench:${run}:${++sequence}`);
  const digest = fingerprint();
  let next = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await pair(keys[next++]!, digest);
    }),
  );
  const elapsedMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return { rate: total / (elapsedMs / 1000), cpuMicros: (used.user + used.system) / total };
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function compare(client: Redis, label: string, pairs: number, concurrency: number): Promise<void> {
  const store = new RedisStore({ client, prefix: `bench:${run}:` });
  const sides: Record<string, Pair> = {
    raw: rawPair(client),
    store: storePair(store, false),
    'store+fp': storePair(store, true),
  };
  const rates: Record<string, number[]> = { raw: [], store: [], 'store+fp': [] };
  const cpu: Record<string, number[]> = { raw: [], store: [], 'store+fp': [] };
  for (const pair of Object.values(sides)) await throughput(pair, Math.min(pairs, 2000), concurrency);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, pair] of Object.entries(sides)) {
      const sample = await throughput(pair, pairs, concurrency);
      rates[name]!.push(sample.rate);
      cpu[name]!.push(sample.cpuMicros);
    }
  }
  const ratio = (name: string): string =>
    median(rates[name]!.map((rate, round) => rate / rates.raw![round]!)).toFixed(3);
  const line = Object.keys(sides)
    .map((name) => `${name} ${median(rates[name]!).toFixed(0)} pairs/s (client CPU ${median(cpu[name]!).toFixed(1)} µs/pair)`)
    .join(', ');
  console.log(`${label}: ${line}`);
  console.log(`${label}: ratio store/raw ${ratio('store')}, store+fingerprint/raw ${ratio('store+fp')} (medians of ${ROUNDS} rounds)`);
}

type CommandStats = Record<string, { calls: number; usec: number }>;

async function commandStats(client: Redis): Promise<CommandStats> {
  const stats: CommandStats = {};
  for (const [, name, calls, usec] of (await client.info('commandstats')).matchAll(/cmdstat_(\w+):calls=(\d+),usec=(\d+)/g)) {
    stats[name!] = { calls: Number(calls), usec: Number(usec) };
  }
  return stats;
}

/** Server time per call between two snapshots (cumulative counters, so nothing is reset). */
function serverCost(before: CommandStats, after: CommandStats, name: string): string {
  const calls = (after[name]?.calls ?? 0) - (before[name]?.calls ?? 0);
  const usec = (after[name]?.usec ?? 0) - (before[name]?.usec ?? 0);
  return calls === 0 ? 'n/a' : `${(usec / calls).toFixed(2)} µs`;
}

async function deleteBenchKeys(client: Redis): Promise<void> {
  let cursor = '0';
  do {
    const [nextCursor, keys] = await client.scan(cursor, 'MATCH', `bench:${run}:*`, 'COUNT', 1000);
    cursor = nextCursor;
    if (keys.length > 0) await client.unlink(...keys);
  } while (cursor !== '0');
}

async function usedMemory(client: Redis): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await client.info('memory'))?.[1]);
}

async function memory(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'hookguard-memory-'));
  const server = await startRedisServer({ port: 0, unixSocket: join(dir, 'redis.sock') });
  const client = new Redis({ path: join(dir, 'redis.sock') });
  try {
    const store = new RedisStore({ client });
    const variants = [
      { name: 'completed, fingerprint', fingerprint: true, result: undefined },
      { name: 'completed, no fingerprint', fingerprint: false, result: undefined },
      { name: 'completed, fingerprint, result {"id":"inbox_1"}', fingerprint: true, result: { id: 'inbox_1' } },
      { name: 'raw SET key 1 PX (reference)', fingerprint: false, result: undefined, raw: true },
    ];
    const sampleKey = `hookguard:stripe:${eventId()}`;
    console.log(`keys look like ${sampleKey} (${sampleKey.length} bytes)`);
    for (const variant of variants) {
      await client.flushall();
      const before = await usedMemory(client);
      const keys: string[] = [];
      let next = 0;
      await Promise.all(
        Array.from({ length: 64 }, async () => {
          while (next < MEMORY_EVENTS) {
            next++;
            const key = `stripe:${eventId()}`;
            keys.push(key);
            if ('raw' in variant) {
              await client.set(`hookguard:${key}`, '1', 'PX', RETENTION_MS);
              continue;
            }
            const claim = await store.claim(key, { leaseMs: LEASE_MS, retentionMs: RETENTION_MS, ...(variant.fingerprint ? { fingerprint: fingerprint() } : {}) });
            if (claim.status !== 'claimed') throw new Error(`unexpected ${claim.status}`);
            await store.complete(key, claim.token, { retentionMs: RETENTION_MS, ...(variant.result === undefined ? {} : { result: variant.result }) });
          }
        }),
      );
      const after = await usedMemory(client);
      let usage = 0;
      for (const key of keys.slice(0, 1000)) usage += Number(await client.memory('USAGE', `hookguard:${key}`));
      console.log(
        `${variant.name}: used_memory delta ${((after - before) / MEMORY_EVENTS).toFixed(1)} B/event, ` +
          `MEMORY USAGE ${(usage / 1000).toFixed(1)} B/key (sample of 1000)`,
      );
    }
    await client.flushall();
    const claim = await store.claim('stripe:evt_in_flight_example_0123456789', { leaseMs: LEASE_MS, retentionMs: RETENTION_MS, fingerprint: fingerprint() });
    if (claim.status === 'claimed') {
      console.log(`in flight (processing) record: MEMORY USAGE ${await client.memory('USAGE', 'hookguard:stripe:evt_in_flight_example_0123456789')} B`);
    }
  } finally {
    client.disconnect();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

const parts = process.argv.slice(2);
if (parts.length === 0 || parts.includes('speed')) {
  const port = Number(process.env.REDIS_PORT ?? 6379);
  const client = new Redis({ host: '127.0.0.1', port });
  try {
    console.log(`Redis ${/redis_version:(\S+)/.exec(await client.info('server'))?.[1]} at 127.0.0.1:${port}, Node ${process.version}`);
    const before = await commandStats(client);
    await compare(client, 'sequential', SEQUENTIAL_PAIRS, 1);
    await compare(client, '64 concurrent', CONCURRENT_PAIRS, 64);
    const after = await commandStats(client);
    // Commands a script runs are counted under their own names too, so `set` includes the scripts' SETs.
    console.log(`Redis CPU per call: evalsha ${serverCost(before, after, 'evalsha')}, set ${serverCost(before, after, 'set')}`);
  } finally {
    await deleteBenchKeys(client);
    client.disconnect();
  }
}
if (parts.length === 0 || parts.includes('memory')) await memory();
