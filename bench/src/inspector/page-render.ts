/**
 * Server time of the inspector's pages with 10 000 logged deliveries (issue 19: under 300 ms): the
 * first page (50 rows and the counts of the last hour over all 10 000), a filter that matches one
 * record in a hundred, the last page reached through the cursor, a delivery's detail and the live
 * refresh fragment. Each median of 30 requests after 5 warm-up ones, straight through the handler
 * (no HTTP), for the memory, Redis and PostgreSQL logs.
 *
 *   node_modules/.bin/tsx --conditions=@hookguard/source bench/src/inspector/page-render.ts [--stores memory,redis,postgres]
 */
import { MemoryDeliveryLog, createReceiver, silentLogger, standardWebhooks, type DeliveryLog, type DeliveryLogEntry, type DeliveryLogOutcome } from '@hookguard/core';
import { PostgresDeliveryLog } from '@hookguard/postgres';
import { RedisDeliveryLog } from '@hookguard/redis';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createInspector } from '../../../packages/inspector/src/index.js';
import { median } from '../report/statistics.js';

const RECORDS = 10_000;
const index = process.argv.indexOf('--stores');
const stores = (index === -1 ? 'memory,redis,postgres' : (process.argv[index + 1] ?? '')).split(',');
const run = Date.now().toString(36);

function entry(n: number, now: number): DeliveryLogEntry {
  const outcome: DeliveryLogOutcome = n % 100 === 0 ? 'failed' : n % 10 === 0 ? 'duplicate' : 'processed';
  return {
    at: now - (RECORDS - n) * 300, // 10 000 records over the last 50 minutes
    namespace: 'bench',
    source: 'receive',
    id: `evt_${n}`,
    type: n % 2 === 0 ? 'message.received' : 'invoice.paid',
    key: `bench:evt_${n}`,
    outcome,
    status: outcome === 'failed' ? 500 : 200,
    attempt: 1,
    durationMs: 1.5,
    errorCode: outcome === 'failed' ? 'ERR_HOOKGUARD_HANDLER_FAILED' : null,
    errorMessage: outcome === 'failed' ? 'Error: mail API answered 503 <Service Unavailable>' : null,
    duplicate: outcome === 'duplicate',
    payload: { type: 'message.received', data: { messageId: `m_${n}`, from: 'ada@example.com', subject: 'Invoice' } },
  };
}

async function time(inspector: (request: Request) => Promise<Response>, path: string, headers: Record<string, string> = {}): Promise<number> {
  const runs: number[] = [];
  for (let index = 0; index < 35; index++) {
    const started = performance.now();
    const response = await inspector(new Request(`http://bench.test${path}`, { headers: { authorization: 'Bearer t', ...headers } }));
    await response.text();
    if (response.status !== 200) throw new Error(`${path}: ${response.status}`);
    if (index >= 5) runs.push(performance.now() - started);
  }
  return median(runs);
}

async function open(name: string): Promise<{ log: DeliveryLog; close: () => Promise<void> }> {
  if (name === 'memory') return { log: new MemoryDeliveryLog({ capacity: RECORDS, payloads: true }), close: async () => undefined };
  if (name === 'redis') {
    const client = new Redis({ host: '127.0.0.1', port: 6379 });
    const prefix = `hg-bench-page-${run}:`;
    return {
      log: new RedisDeliveryLog({ client, prefix, maxLength: RECORDS, payloads: true, logger: silentLogger }),
      close: async () => {
        await client.del(`${prefix}{deliveries}`, `${prefix}{deliveries}:counts:bench`);
        await client.quit();
      },
    };
  }
  const pool = new pg.Pool({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test', max: 4 });
  const schema = `hookguard_bench_page_${run}`;
  const log = new PostgresDeliveryLog({ pool, schema, payloads: true, pruneIntervalMs: 0, logger: silentLogger });
  await log.migrate();
  return {
    log,
    close: async () => {
      log.close();
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await pool.end();
    },
  };
}

console.log(`inspector server time, ${RECORDS} logged deliveries, median of 30 requests (ms), node ${process.version}`);
console.log('| log | first page + counts | filter (outcome=failed) | page 200 (cursor) | detail | live fragment |');
console.log('|---|---|---|---|---|---|');
for (const name of stores) {
  const { log, close } = await open(name);
  const now = Date.now();
  for (let n = 1; n <= RECORDS; n++) {
    log.record(entry(n, now));
    // Within the logs' bounded write buffers, which drop the oldest records past 1 000 waiting.
    if (n % 500 === 0) await log.flush();
  }
  await log.flush();
  const kept = Object.values(await log.counts(0, { namespace: 'bench' })).reduce((sum, count) => sum + (count ?? 0), 0);
  if (kept !== RECORDS) throw new Error(`the ${name} log holds ${kept} records, not ${RECORDS}`);
  const receiver = createReceiver({ verifier: standardWebhooks({ secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }), namespace: 'bench', deliveryLog: log, logger: silentLogger });
  const inspector = createInspector({ receiver, authorize: (request) => request.headers.get('authorization') === 'Bearer t' });
  let before: string | undefined;
  for (let page = 1; page < 200; page++) before = (await log.list({ namespace: 'bench', limit: 50, ...(before === undefined ? {} : { before }) })).next;
  const [newest] = (await log.list({ limit: 1 })).records;
  const figures = [
    await time(inspector, '/hookguard/'),
    await time(inspector, '/hookguard/?outcome=failed'),
    await time(inspector, `/hookguard/?before=${encodeURIComponent(before ?? '')}`),
    await time(inspector, `/hookguard/deliveries/${encodeURIComponent(newest!.seq)}`),
    await time(inspector, '/hookguard/', { 'x-hookguard-fragment': 'live' }),
  ];
  console.log(`| ${name} | ${figures.map((ms) => ms.toFixed(1)).join(' | ')} |`);
  await close();
}
