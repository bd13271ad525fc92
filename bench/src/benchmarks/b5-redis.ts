import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { pairedFigure, type Figure } from '../report/figures.js';
import { series } from '../report/statistics.js';
import type { BenchContext, BenchOutcome } from './benchmark.js';
import { interleavedPairs, type Pair } from './pair-throughput.js';

const LEASE_MS = 60_000;
const RETENTION_MS = 259_200_000;
const HOST = '127.0.0.1';
const PORT = 6379;

/** Connects to the Redis B5 measures; a sentence saying why not when it cannot. */
export async function connectBenchRedis(): Promise<Redis | string> {
  const client = new Redis({ host: HOST, port: PORT, lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 1, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
    return client;
  } catch (error) {
    client.disconnect();
    return `Redis is not reachable at ${HOST}:${PORT} (${error instanceof Error ? error.message : String(error)})`;
  }
}

/** The sides B5 compares, with the keys they are given: every pair claims a new key. */
export type RedisPairSides = { sides: { raw: Pair; 'owner-checked': Pair; store: Pair; 'store, no fingerprint': Pair }; nextKey: () => string };

/**
 * The least an owner-checked completion takes in Redis: a compare-and-set, which Redis 7.0 offers
 * only as a script. KEYS[1] record · ARGV token, retention ms.
 */
const OWNER_CHECKED_COMPLETE = `if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], 'c', 'PX', ARGV[2])
return 1`;

/**
 * B5's sides on `client`, under `prefix`: the store's claim+complete (with and without the body
 * fingerprint the receiver passes), the two plain commands a minimal dedup would send, and those
 * with the completion checked against the claim's token (`owner-checked`: what that guarantee
 * costs any Redis store, measured apart as issue 20 asks). Shared with
 * `diagnostics/store-pair-costs.ts`.
 */
export function redisPairSides(client: Redis, prefix: string, RedisStore: typeof import('@hookguard/redis').RedisStore): RedisPairSides {
  let serial = 0;
  const nextKey = (): string => `standard-webhooks:msg_${(serial++).toString(36).padStart(8, '0')}`;
  // What the receiver passes for an exact store: the body's SHA-256, base64url.
  const fingerprint = randomBytes(32).toString('base64url');
  const store = new RedisStore({ client, prefix });
  const storePair =
    (withFingerprint: boolean): Pair =>
    async (key) => {
      const claim = await store.claim(key, withFingerprint ? { leaseMs: LEASE_MS, retentionMs: RETENTION_MS, fingerprint } : { leaseMs: LEASE_MS, retentionMs: RETENTION_MS });
      if (claim.status !== 'claimed') throw new Error(`claim of a new key answered ${claim.status}`);
      if (!(await store.complete(key, claim.token, { retentionMs: RETENTION_MS }))) throw new Error('complete refused the owner');
    };
  const rawPair: Pair = async (key) => {
    await client.set(prefix + key, '1', 'PX', LEASE_MS, 'NX');
    await client.set(prefix + key, '1', 'PX', RETENTION_MS, 'XX');
  };
  client.defineCommand('hookguardBenchOwnerCheckedComplete', { numberOfKeys: 1, lua: OWNER_CHECKED_COMPLETE });
  const complete = (client as unknown as { hookguardBenchOwnerCheckedComplete: (key: string, token: string, retentionMs: number) => Promise<number> }).hookguardBenchOwnerCheckedComplete.bind(client);
  const ownerCheckedPair: Pair = async (key) => {
    const token = randomUUID();
    if ((await client.set(prefix + key, token, 'PX', LEASE_MS, 'NX')) !== 'OK') throw new Error('owner-checked claim of a new key set nothing');
    if ((await complete(prefix + key, token, RETENTION_MS)) !== 1) throw new Error('owner-checked complete refused the owner');
  };
  return { sides: { raw: rawPair, 'owner-checked': ownerCheckedPair, store: storePair(true), 'store, no fingerprint': storePair(false) }, nextKey };
}

/** Deletes the keys a run left under `prefix`. */
export async function deleteBenchKeys(client: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await client.unlink(...keys);
  } while (cursor !== '0');
}

/**
 * B5: the Redis store's claim+complete of a new event against the two plain commands a minimal
 * dedup would send through the same ioredis client (`SET key 1 NX PX lease`, then
 * `SET key 1 XX PX retention`), one at a time and 64 in flight.
 */
export async function runB5(context: BenchContext): Promise<BenchOutcome> {
  let RedisStore: typeof import('@hookguard/redis').RedisStore;
  try {
    ({ RedisStore } = await import('@hookguard/redis'));
  } catch (error) {
    return { figures: [], skipped: [{ id: 'B5', reason: `@hookguard/redis could not be loaded: ${error instanceof Error ? error.message : String(error)}` }] };
  }
  const client = await connectBenchRedis();
  if (typeof client === 'string') return { figures: [], skipped: [{ id: 'B5', reason: client }] };
  const run = randomBytes(4).toString('hex');
  const prefix = `hookguard-bench:${run}:`;
  const { sides, nextKey } = redisPairSides(client, prefix, RedisStore);
  const figures: Figure[] = [];
  try {
    for (const [concurrency, pairs] of [
      [1, context.quick ? 1000 : 3000],
      [64, context.quick ? 4000 : 15000],
    ] as const) {
      const label = concurrency === 1 ? 'sequential' : `${concurrency} concurrent`;
      const results = await interleavedPairs(sides, { rounds: context.quick ? 3 : 5, pairsPerRound: pairs, concurrency, nextKey, log: context.log, label: `B5 ${label}`, beforeRun: () => deleteBenchKeys(client, prefix) });
      const raw = series('raw SET NX PX + SET XX PX', 'pairs/s', results.get('raw')!);
      const ownerChecked = series('SET NX PX + owner-checked completion', 'pairs/s', results.get('owner-checked')!);
      figures.push(
        pairedFigure({
          id: 'B5',
          key: `B5.${concurrency === 1 ? 'sequential' : `c${concurrency}`}`,
          title: `Redis, ${label}: RedisStore claim+complete ÷ raw SET NX PX + SET XX PX through ioredis`,
          numerator: series('RedisStore (with fingerprint)', 'pairs/s', results.get('store')!),
          denominator: raw,
          goal: { op: '>=', value: 0.9 },
          notes: concurrency === 1 ? ['the store is given the body fingerprint the receiver passes to exact stores'] : [],
        }),
        pairedFigure({
          id: 'B5',
          key: `B5.${concurrency === 1 ? 'sequential' : `c${concurrency}`}.no-fingerprint`,
          title: `Redis, ${label}: RedisStore claim+complete without fingerprint ÷ raw`,
          numerator: series('RedisStore (no fingerprint)', 'pairs/s', results.get('store, no fingerprint')!),
          denominator: raw,
        }),
        pairedFigure({
          id: 'B5',
          key: `B5.${concurrency === 1 ? 'sequential' : `c${concurrency}`}.owner-checked`,
          title: `Redis, ${label}: SET NX PX + a completion checked against the claim's token (a Lua compare-and-set) ÷ raw: what an owner-checked completion costs any Redis store`,
          numerator: ownerChecked,
          denominator: raw,
        }),
        pairedFigure({
          id: 'B5',
          key: `B5.${concurrency === 1 ? 'sequential' : `c${concurrency}`}.vs-owner-checked`,
          title: `Redis, ${label}: RedisStore claim+complete ÷ SET NX PX + the owner-checked completion: the store's cost beyond that guarantee`,
          numerator: series('RedisStore (with fingerprint)', 'pairs/s', results.get('store')!),
          denominator: ownerChecked,
        }),
      );
    }
  } finally {
    await deleteBenchKeys(client, prefix).catch(() => {});
    client.disconnect();
  }
  return { figures, skipped: [] };
}
