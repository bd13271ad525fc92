/**
 * The delivery log's cost: receiver throughput (receive() calls per second, in process, a no-op
 * handler, 32 deliveries in flight) with the store's delivery log on ÷ off, for each store, in
 * interleaved rounds (off, on, on, off, …) so drift hits both sides alike. Each "on" round ends
 * with `deliveryLog.flush()` inside the timed window: the background writes are paid for.
 *
 *   node_modules/.bin/tsx --conditions=@hookguard/source bench/src/inspector/delivery-log-overhead.ts [--deliveries N] [--rounds R] [--stores memory,redis,postgres]
 *
 * Goals (issue 19): ≥ 0.9 memory, ≥ 0.8 Redis and PostgreSQL. Needs Redis on 127.0.0.1:6379 and
 * PostgreSQL on 127.0.0.1:5432 for those stores.
 */
import { MemoryDeliveryLog, MemoryStore, createReceiver, silentLogger, standardWebhooks, type DedupStore, type DeliveryLog } from '@hookguard/core';
import { PostgresDeliveryLog, PostgresStore } from '@hookguard/postgres';
import { RedisDeliveryLog, RedisStore } from '@hookguard/redis';
import { Redis } from 'ioredis';
import pg from 'pg';
import { Webhook } from 'standardwebhooks';
import { deleteBenchKeys } from '../benchmarks/b5-redis.js';
import { median, pairedRatios } from '../report/statistics.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const IN_FLIGHT = 32;

type Side = { store: DedupStore; log: DeliveryLog | undefined; namespace: string };
type Backend = { name: string; goal: number; sides(round: number): Promise<{ off: Side; on: Side }>; close(): Promise<void> };

function argument(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : (process.argv[index + 1] ?? fallback);
}

const deliveries = Number(argument('deliveries', '4000'));
const rounds = Number(argument('rounds', '6'));
const stores = argument('stores', 'memory,redis,postgres').split(',');
const run = `${Date.now().toString(36)}`;
const sdk = new Webhook(SECRET);

/** Signs `count` distinct deliveries now (within the 5-minute tolerance for the whole run). */
function signAll(prefix: string, count: number): { rawBody: string; headers: Record<string, string> }[] {
  const now = new Date();
  return Array.from({ length: count }, (_, index) => {
    const id = `${prefix}_${index}`;
    const rawBody = JSON.stringify({ type: 'message.received', timestamp: now.toISOString(), data: { messageId: id, subject: 'Invoice' } });
    return { rawBody, headers: { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': sdk.sign(id, now, rawBody) } };
  });
}

/** receive() calls per second through one side, `IN_FLIGHT` at a time, log flushed before the clock stops. */
async function measure(side: Side, label: string): Promise<number> {
  const receiver = createReceiver({ verifier: standardWebhooks({ secret: SECRET }), store: side.store, namespace: side.namespace, logger: silentLogger, ...(side.log === undefined ? {} : { deliveryLog: side.log }), warnings: { WARN_HOOKGUARD_STORE_NOT_SHARED: false } });
  receiver.on('message.received', () => undefined);
  const batch = signAll(label, deliveries);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < batch.length) {
        const result = await receiver.receive(batch[next++]!);
        if (result.status !== 200) throw new Error(`unexpected ${result.status} ${result.body}`);
      }
    }),
  );
  await side.log?.flush();
  const perSecond = deliveries / ((performance.now() - started) / 1000);
  if (side.log !== undefined) {
    // No figure from a log that dropped records to keep up.
    const counts = await side.log.counts(0, { namespace: side.namespace });
    const kept = Object.values(counts).reduce((sum, count) => sum + (count ?? 0), 0);
    if (kept !== deliveries) throw new Error(`the ${side.log.name} log recorded ${kept} of ${deliveries} deliveries`);
  }
  return perSecond;
}

const backends: Record<string, () => Promise<Backend>> = {
  memory: async () => ({
    name: 'memory',
    goal: 0.9,
    sides: async (round) => ({
      off: { store: new MemoryStore(), log: undefined, namespace: `off${round}` },
      on: { store: new MemoryStore(), log: new MemoryDeliveryLog({ capacity: 10_000 }), namespace: `on${round}` },
    }),
    close: async () => undefined,
  }),
  redis: async () => {
    const client = new Redis({ host: '127.0.0.1', port: 6379 });
    const prefix = `hg-bench-log-${run}:`;
    return {
      name: 'redis',
      goal: 0.8,
      sides: async (round) => ({
        off: { store: new RedisStore({ client, prefix, logger: silentLogger }), log: undefined, namespace: `off${round}` },
        on: { store: new RedisStore({ client, prefix, logger: silentLogger }), log: new RedisDeliveryLog({ client, prefix, logger: silentLogger }), namespace: `on${round}` },
      }),
      close: async () => {
        await deleteBenchKeys(client, prefix);
        await client.quit();
      },
    };
  },
  postgres: async () => {
    const pool = new pg.Pool({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test', max: 10 });
    const schema = `hookguard_bench_log_${run}`;
    const store = new PostgresStore({ pool, schema });
    await store.migrate();
    const log = new PostgresDeliveryLog({ pool, schema, logger: silentLogger, pruneIntervalMs: 0 });
    await log.migrate();
    return {
      name: 'postgres',
      goal: 0.8,
      sides: async (round) => ({ off: { store, log: undefined, namespace: `off${round}` }, on: { store, log, namespace: `on${round}` } }),
      close: async () => {
        await store.close();
        log.close();
        await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await pool.end();
      },
    };
  },
};

console.log(`delivery log on ÷ off: ${deliveries} deliveries per round and side, ${rounds} rounds, ${IN_FLIGHT} in flight, node ${process.version}`);
console.log('| store | log off (deliveries/s, median) | log on (deliveries/s, median) | on ÷ off (median of paired rounds) | goal |');
console.log('|---|---|---|---|---|');
for (const name of stores) {
  const backend = await backends[name]!();
  const off: number[] = [];
  const on: number[] = [];
  // A warm-up round per side, not counted.
  const warm = await backend.sides(-1);
  await measure(warm.off, `${name}-warm-off`);
  await measure(warm.on, `${name}-warm-on`);
  for (let round = 0; round < rounds; round++) {
    const sides = await backend.sides(round);
    const order = round % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const);
    for (const which of order) (which === 'off' ? off : on).push(await measure(sides[which], `${name}-${round}-${which}`));
  }
  const ratio = median(pairedRatios(on, off));
  console.log(`| ${name} | ${Math.round(median(off))} | ${Math.round(median(on))} | ${ratio.toFixed(2)} | ≥ ${backend.goal} ${ratio >= backend.goal ? '✓' : '✗'} |`);
  await backend.close();
}
