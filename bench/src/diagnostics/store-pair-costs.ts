/**
 * Where B5's and B6's pairs spend their time: the CPU a claim+complete of a new key costs the
 * client process (ioredis or pg, and the store) and the server (Redis or PostgreSQL), per pair,
 * for the store and for the raw commands B5 and B6 compare it with (for PostgreSQL also B6's
 * `locked` side, the raw pair with the claim's lock and an answer row). On these two cores the client,
 * the server and the kernel share the machine, so a ratio of pairs per second is a ratio of their
 * sum; this tells which side a difference is on.
 *
 *   npm run build && node_modules/.bin/tsx bench/src/diagnostics/store-pair-costs.ts redis [--concurrency 64] [--rounds 7]
 *   … postgres
 *
 * The server's CPU is read from Redis's `INFO cpu`, and for PostgreSQL from /proc (every process
 * named `postgres…`, in clock ticks): Linux only.
 *
 * `--instructions 2000,6000` instead counts the client's instructions per pair under valgrind's
 * callgrind (with callgrind.ts's flags, as instruction-counts.ts does for servers): each side runs
 * alone in a child process, once per count, and the difference over the extra pairs is one pair's
 * cost once warm. Unlike CPU time it repeats to about a percent, so it shows a change to the
 * store's JavaScript.
 * `--keep dir` keeps callgrind's files (`<store>-<side>-<count>.callgrind`) for callgrind_annotate.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Redis } from 'ioredis';
import { connectBenchRedis, deleteBenchKeys, redisPairSides } from '../benchmarks/b5-redis.js';
import { connectBenchPostgres, dropBenchTables, postgresPairSides } from '../benchmarks/b6-postgres.js';
import { pairThroughput, type Pair } from '../benchmarks/pair-throughput.js';
import { median } from '../report/statistics.js';
import { callgrindArgs, collectedInstructions } from './callgrind.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    concurrency: { type: 'string', default: '64' },
    rounds: { type: 'string', default: '7' },
    pairs: { type: 'string' },
    instructions: { type: 'string' },
    keep: { type: 'string' },
    // Internal: the child process of --instructions runs this many pairs of one side.
    side: { type: 'string' },
    count: { type: 'string' },
  },
});
const kind = positionals[0];
if (kind !== 'redis' && kind !== 'postgres') {
  console.error('usage: store-pair-costs.ts redis|postgres [--concurrency 64] [--rounds 7] [--pairs n] [--instructions 2000,6000]');
  process.exit(2);
}
const concurrency = Number(values.concurrency);
const pairsPerRound = Number(values.pairs ?? (kind === 'redis' ? (concurrency === 1 ? 3000 : 15000) : 3000));

/** A connected client with the sides, how to read the server's CPU, and how to clean up. */
type Setup = { sides: Record<string, Pair>; nextKey: () => string; serverCpuMicros: () => Promise<number>; close: () => Promise<void> };

async function setUp(): Promise<Setup> {
  if (kind === 'redis') {
    const client = await connectBenchRedis();
    if (typeof client === 'string') throw new Error(client);
    const { RedisStore } = await import('@hookguard/redis');
    const prefix = `hookguard-bench:costs-${process.pid}:`;
    const { sides, nextKey } = redisPairSides(client, prefix, RedisStore);
    return {
      sides: { raw: sides.raw, store: sides.store },
      nextKey,
      serverCpuMicros: () => redisCpuMicros(client),
      close: async () => {
        await deleteBenchKeys(client, prefix);
        client.disconnect();
      },
    };
  }
  const pool = await connectBenchPostgres();
  if (typeof pool === 'string') throw new Error(pool);
  const { PostgresStore } = await import('@hookguard/postgres');
  const { sides, nextKey } = await postgresPairSides(pool, PostgresStore);
  return {
    sides,
    nextKey,
    serverCpuMicros: () => Promise.resolve(postgresCpuMicros()),
    close: async () => {
      await dropBenchTables(pool);
      await pool.end();
    },
  };
}

async function redisCpuMicros(client: Redis): Promise<number> {
  const info = await client.info('cpu');
  const seconds = (name: string): number => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? Number.NaN);
  return (seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1e6;
}

/** User and system time of every PostgreSQL process, from /proc; the kernel counts in ticks of 10 ms. */
function postgresCpuMicros(): number {
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!readFileSync(`/proc/${entry}/comm`, 'utf8').startsWith('postgres')) continue;
      // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
      const fields = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return ticks * 10_000;
}

const keysFor = (setup: Setup, count: number): string[] => Array.from({ length: count }, setup.nextKey);

async function measureCpu(): Promise<void> {
  const setup = await setUp();
  const rounds = Number(values.rounds);
  const measured = new Map<string, { client: number[]; server: number[]; rate: number[] }>();
  try {
    const names = Object.keys(setup.sides);
    // Round 0 warms each side up and is not kept; the order rotates from round to round.
    for (let round = 0; round <= rounds; round++) {
      for (let offset = 0; offset < names.length; offset++) {
        const name = names[(round + offset) % names.length]!;
        const keys = keysFor(setup, round === 0 ? Math.ceil(pairsPerRound / 4) : pairsPerRound);
        const clientBefore = process.cpuUsage();
        const serverBefore = await setup.serverCpuMicros();
        const rate = await pairThroughput(setup.sides[name]!, keys, concurrency);
        const client = process.cpuUsage(clientBefore);
        const server = (await setup.serverCpuMicros()) - serverBefore;
        if (round === 0) continue;
        const side = measured.get(name) ?? { client: [], server: [], rate: [] };
        measured.set(name, side);
        side.client.push((client.user + client.system) / keys.length);
        side.server.push(server / keys.length);
        side.rate.push(rate);
      }
    }
  } finally {
    await setup.close();
  }
  console.log(`${kind}, ${concurrency} in flight, ${pairsPerRound} pairs per round, medians of ${rounds} rounds:`);
  console.log('side    client CPU µs/pair   server CPU µs/pair   pairs/s');
  for (const [name, side] of measured) {
    console.log(`${name.padEnd(8)}${median(side.client).toFixed(1).padStart(18)}${median(side.server).toFixed(1).padStart(21)}${Math.round(median(side.rate)).toString().padStart(10)}`);
  }
  const raw = measured.get('raw')!;
  const store = measured.get('store')!;
  const ratio = (of: (side: typeof raw) => number[]): string => (median(of(store)) / median(of(raw))).toFixed(2);
  console.log(`store ÷ raw: client CPU ${ratio((side) => side.client)}, server CPU ${ratio((side) => side.server)}, pairs/s ${ratio((side) => side.rate)}`);
}

/** The child of --instructions: `count` pairs of one side, after the same set-up in every child. */
async function runSide(side: string, count: number): Promise<void> {
  const setup = await setUp();
  try {
    await pairThroughput(setup.sides[side]!, keysFor(setup, count), concurrency);
  } finally {
    await setup.close();
  }
}

function countInstructions(side: string, count: number): Promise<number> {
  const self = fileURLToPath(import.meta.url);
  const out = values.keep === undefined ? '/dev/null' : join(values.keep, `${kind}-${side}-${count}.callgrind`);
  const args = callgrindArgs(out, self, [kind!, '--side', side, '--count', String(count), '--concurrency', String(concurrency)]);
  const child = spawn('valgrind', args, { stdio: ['ignore', 'inherit', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      const collected = collectedInstructions(stderr);
      if (code === 0 && collected !== undefined) resolve(collected);
      else reject(new Error(`the ${side} side under callgrind ended with ${code}:\n${stderr}`));
    });
  });
}

async function measureInstructions(counts: string): Promise<void> {
  const [fewer, more] = counts.split(',').map(Number) as [number, number];
  if (!(fewer > 0 && more > fewer)) throw new Error('--instructions takes two counts, the smaller first: 2000,6000');
  if (values.keep !== undefined) mkdirSync(values.keep, { recursive: true });
  const perPair = new Map<string, number>();
  for (const side of ['raw', 'store']) {
    const small = await countInstructions(side, fewer);
    const large = await countInstructions(side, more);
    perPair.set(side, (large - small) / (more - fewer));
    console.log(`${side.padEnd(6)} ${Math.round(perPair.get(side)!).toLocaleString('en-US').padStart(9)} client instructions per pair   (${small.toLocaleString('en-US')} for ${fewer}, ${large.toLocaleString('en-US')} for ${more})`);
  }
  console.log(`store ÷ raw: ${(perPair.get('store')! / perPair.get('raw')!).toFixed(3)}`);
}

if (values.side !== undefined) await runSide(values.side, Number(values.count));
else if (values.instructions !== undefined) await measureInstructions(values.instructions);
else await measureCpu();
