/**
 * Figures for docs/queues/*.md: jobs processed per second by one worker through hookguard's queue
 * layers against their engines' own throughput, side by side in one run (a no-op processor, jobs
 * enqueued before the worker starts, rounds alternating between the sides):
 *
 * - BullMQ: BullMQQueue ÷ a plain BullMQ Queue.add + Worker (goal ≥ 0.8).
 * - pg-boss: PgBossQueue ÷ a tight pg-boss fetch + complete loop (the engine's ceiling; goal ≥ 0.8),
 *   and ÷ pg-boss's own work() (which waits its polling interval, at least 0.5 s, between batches).
 *
 *   node_modules/.bin/tsx --conditions=@hookguard/source bench/src/queue-figures.ts [--quick] [--jobs N] [--concurrency C] [--rounds R] [--json]
 *
 * Needs Redis on 127.0.0.1:6379 and PostgreSQL on 127.0.0.1:5432 (REDIS_URL, DATABASE_URL).
 */
import { pathToFileURL } from 'node:url';
import { measureBullMQ } from '../../packages/bullmq/bench/throughput.js';
import { measurePgBoss } from '../../packages/pg-boss/bench/throughput.js';
import { median, pairedRatios, series, type Series } from './report/statistics.js';

/** Options for {@link measureQueueFigures}. */
export type QueueFiguresOptions = {
  /**
   * Jobs per round and side.
   * @default 5_000 (1_000 with `quick`)
   */
  jobs?: number;
  /**
   * Jobs one worker runs at once (pg-boss: the fetch batch size of its own sides).
   * @default 8
   */
  concurrency?: number;
  /**
   * Rounds per side.
   * @default 5 (3 with `quick`)
   */
  rounds?: number;
  quick?: boolean;
};

/** One queue's figures. */
export type QueueFigure = { engine: string; queue: Series; bare: Series; ratio: number; goal: number; against: string };

/** Measures both queues against their engines. */
export async function measureQueueFigures(options: QueueFiguresOptions = {}): Promise<QueueFigure[]> {
  const jobs = options.jobs ?? (options.quick ? 1_000 : 5_000);
  const rounds = options.rounds ?? (options.quick ? 3 : 5);
  const concurrency = options.concurrency ?? 8;
  const common = { jobs, concurrency, rounds };
  const bull = await measureBullMQ({ ...common, ...(process.env.REDIS_URL === undefined ? {} : { redisUrl: process.env.REDIS_URL }) });
  const boss = await measurePgBoss({ ...common, ...(process.env.DATABASE_URL === undefined ? {} : { databaseUrl: process.env.DATABASE_URL }) });
  return [
    { engine: 'BullMQ', queue: series('BullMQQueue', 'jobs/s', bull.queue), bare: series('Queue.add + Worker', 'jobs/s', bull.bare), ratio: median(pairedRatios(bull.queue, bull.bare)), goal: 0.8, against: 'Queue.add + Worker' },
    { engine: 'pg-boss', queue: series('PgBossQueue', 'jobs/s', boss.queue), bare: series('fetch + complete loop', 'jobs/s', boss.loop), ratio: median(pairedRatios(boss.queue, boss.loop)), goal: 0.8, against: 'fetch + complete loop' },
    { engine: 'pg-boss', queue: series('PgBossQueue', 'jobs/s', boss.queue), bare: series('send + work()', 'jobs/s', boss.work), ratio: median(pairedRatios(boss.queue, boss.work)), goal: 0.8, against: 'send + work()' },
  ];
}

/** The figures as a Markdown table. */
export function formatQueueFigures(figures: readonly QueueFigure[]): string {
  const rate = (value: number): string => Math.round(value).toLocaleString('en-US');
  const lines = [
    '| engine | hookguard queue, jobs/s (median, min–max) | engine alone | engine, jobs/s (median, min–max) | ratio (median of rounds) | goal |',
    '|---|---|---|---|---|---|',
    ...figures.map(
      (figure) =>
        `| ${figure.engine} | ${rate(figure.queue.median)} (${rate(figure.queue.min)}–${rate(figure.queue.max)}) | ${figure.against} | ${rate(figure.bare.median)} (${rate(figure.bare.min)}–${rate(figure.bare.max)}) | ${figure.ratio.toFixed(2)} | ≥ ${figure.goal} ${figure.ratio >= figure.goal ? 'pass' : 'miss'} |`,
    ),
  ];
  return lines.join('\n');
}

function numberArgument(flag: string): number | undefined {
  const index = process.argv.indexOf(flag);
  if (index === -1) return undefined;
  const value = Number(process.argv[index + 1]);
  if (!(value > 0)) throw new Error(`${flag} needs a positive number; received '${process.argv[index + 1]}'`);
  return value;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const options: QueueFiguresOptions = { quick: process.argv.includes('--quick') };
  const jobs = numberArgument('--jobs');
  const concurrency = numberArgument('--concurrency');
  const rounds = numberArgument('--rounds');
  if (jobs !== undefined) options.jobs = jobs;
  if (concurrency !== undefined) options.concurrency = concurrency;
  if (rounds !== undefined) options.rounds = rounds;
  const figures = await measureQueueFigures(options);
  console.log(process.argv.includes('--json') ? JSON.stringify(figures, null, 2) : formatQueueFigures(figures));
}
