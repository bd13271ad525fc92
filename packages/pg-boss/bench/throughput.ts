/**
 * Jobs processed per second by one worker: PgBossQueue (hookguard's layer) against pg-boss itself on
 * the same database and pool: its own `work()` (send + work, polling at its smallest interval,
 * 0.5 s, measured over 6 polls as it runs one batch per poll) and a tight `fetch` + `complete` loop (the engine's ceiling), a no-op processor on all
 * three, in alternating rounds. Used by bench/src/queue-figures.ts.
 */
import type { QueuedEvent } from '@hookguard/core';
import pg from 'pg';
import PgBoss from 'pg-boss';
import { PgBossQueue } from '../src/index.js';

/** Options for {@link measurePgBoss}. */
export type ThroughputOptions = { jobs: number; concurrency: number; rounds: number; databaseUrl?: string };
/** Jobs per second, one entry per round, for each side. */
export type PgBossRounds = { work: number[]; loop: number[]; queue: number[] };

const run = `${Date.now().toString(36)}`;
const schema = `hg_bench_pgboss_${run}`;
let sequence = 0;

function sampleEvent(index: number): QueuedEvent {
  const id = `evt_${run}_${index}`;
  return {
    key: `bench:${id}`,
    namespace: 'bench',
    id,
    type: 'issues.opened',
    alias: 'issues',
    payload: { action: 'opened', issue: { number: index, title: 'x'.repeat(900) } },
    timestamp: Date.now(),
    headers: { 'content-type': 'application/json', 'x-github-event': 'issues' },
    acceptedAt: Date.now(),
  };
}

async function inBatches(count: number, add: (index: number) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < count; start += 100) {
    await Promise.all(Array.from({ length: Math.min(100, count - start) }, (_, offset) => add(start + offset)));
  }
}

function counter(target: number): { hit(n?: number): void; done: Promise<void> } {
  let count = 0;
  let resolve!: () => void;
  const done = new Promise<void>((ok) => (resolve = ok));
  return {
    hit: (n = 1) => {
      count += n;
      if (count >= target) resolve();
    },
    done,
  };
}

function boss(pool: pg.Pool): PgBoss {
  const engine = new PgBoss({ db: { executeSql: (text: string, values?: unknown[]) => pool.query(text, values) }, schema, schedule: false, supervise: false });
  engine.on('error', () => undefined);
  return engine;
}

async function sendAll(engine: PgBoss, name: string, jobs: number): Promise<void> {
  await engine.createQueue(name);
  await inBatches(jobs, (index) => engine.send(name, sampleEvent(index)));
}

/** pg-boss's work() runs `batchSize` jobs per polling interval: a few intervals measure it. */
const WORK_POLLS = 6;

async function workRound(pool: pg.Pool, options: ThroughputOptions): Promise<number> {
  const engine = boss(pool);
  await engine.start();
  const name = `work_${++sequence}`;
  const jobs = Math.min(options.jobs, options.concurrency * WORK_POLLS);
  await sendAll(engine, name, jobs);
  const count = counter(jobs);
  const started = performance.now();
  await engine.work(name, { batchSize: options.concurrency, pollingIntervalSeconds: 0.5 }, async (jobs) => count.hit(jobs.length));
  await count.done;
  const seconds = (performance.now() - started) / 1000;
  await engine.stop({ graceful: true, close: false, wait: true });
  return jobs / seconds;
}

async function loopRound(pool: pg.Pool, options: ThroughputOptions): Promise<number> {
  const engine = boss(pool);
  await engine.start();
  const name = `loop_${++sequence}`;
  await sendAll(engine, name, options.jobs);
  let done = 0;
  const started = performance.now();
  while (done < options.jobs) {
    const jobs = await engine.fetch(name, { batchSize: options.concurrency });
    if (jobs === null || jobs.length === 0) continue;
    await engine.complete(name, jobs.map((job) => job.id));
    done += jobs.length;
  }
  const seconds = (performance.now() - started) / 1000;
  await engine.stop({ graceful: false, close: false, wait: true });
  return options.jobs / seconds;
}

async function queueRound(pool: pg.Pool, options: ThroughputOptions): Promise<number> {
  const queue = new PgBossQueue({ pool, schema, name: `queue_${++sequence}` });
  await inBatches(options.jobs, (index) => queue.enqueue(sampleEvent(index)));
  const count = counter(options.jobs);
  const started = performance.now();
  const worker = await queue.work(async () => count.hit(), {
    concurrency: options.concurrency,
    retry: { attempts: 3, minDelayMs: 1_000, maxDelayMs: 60_000 },
  });
  await count.done;
  const seconds = (performance.now() - started) / 1000;
  await worker.close();
  await queue.close();
  return options.jobs / seconds;
}

/** Runs the three sides in rotating order each round; drops its schema at the end. */
export async function measurePgBoss(options: ThroughputOptions): Promise<PgBossRounds> {
  const pool = new pg.Pool({ connectionString: options.databaseUrl ?? 'postgres://postgres@127.0.0.1:5432/test', max: 10 });
  const result: PgBossRounds = { work: [], loop: [], queue: [] };
  const sides = [
    async () => void result.work.push(await workRound(pool, options)),
    async () => void result.loop.push(await loopRound(pool, options)),
    async () => void result.queue.push(await queueRound(pool, options)),
  ];
  try {
    for (let round = 0; round < options.rounds; round++) {
      for (let index = 0; index < sides.length; index++) await sides[(index + round) % sides.length]!();
    }
  } finally {
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pool.end();
  }
  return result;
}
