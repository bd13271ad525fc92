/**
 * Jobs processed per second by one worker: BullMQQueue (hookguard's layer) against a plain BullMQ
 * Queue.add + Worker on the same Redis, a no-op processor on both, in alternating rounds. Used by
 * bench/src/queue-figures.ts.
 */
import type { QueuedEvent } from '@hookguard/core';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { BullMQQueue } from '../src/index.js';

/** Options for {@link measureBullMQ}. */
export type ThroughputOptions = { jobs: number; concurrency: number; rounds: number; redisUrl?: string };
/** Jobs per second, one entry per round, for each side. */
export type ThroughputRounds = { bare: number[]; queue: number[] };

const run = Date.now().toString(36);
let sequence = 0;

/** A queued event as acceptance writes it, about 1 KB of payload. */
export function sampleEvent(index: number): QueuedEvent {
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
  for (let start = 0; start < count; start += 200) {
    await Promise.all(Array.from({ length: Math.min(200, count - start) }, (_, offset) => add(start + offset)));
  }
}

function counter(target: number): { hit(): void; done: Promise<void> } {
  let count = 0;
  let resolve!: () => void;
  const done = new Promise<void>((ok) => (resolve = ok));
  return { hit: () => void (++count === target && resolve()), done };
}

async function dropPrefix(client: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await client.del(...keys);
  } while (cursor !== '0');
}

async function bareRound(client: Redis, options: ThroughputOptions): Promise<number> {
  const prefix = `hg-bench-${run}-${++sequence}`;
  const queue = new Queue('bench', { connection: client, prefix });
  await inBatches(options.jobs, (index) => queue.add('issues.opened', sampleEvent(index)));
  const count = counter(options.jobs);
  const connection = client.duplicate({ maxRetriesPerRequest: null });
  const started = performance.now();
  const worker = new Worker('bench', async () => count.hit(), { connection, prefix, concurrency: options.concurrency });
  await count.done;
  const seconds = (performance.now() - started) / 1000;
  await worker.close();
  await connection.quit();
  await queue.close();
  await dropPrefix(client, prefix);
  return options.jobs / seconds;
}

async function queueRound(client: Redis, options: ThroughputOptions): Promise<number> {
  const prefix = `hg-bench-${run}-${++sequence}`;
  const queue = new BullMQQueue({ connection: client, prefix, name: 'bench' });
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
  await dropPrefix(client, prefix);
  return options.jobs / seconds;
}

/** Alternates bare and queue rounds (bare first in odd rounds, queue first in even ones). */
export async function measureBullMQ(options: ThroughputOptions): Promise<ThroughputRounds> {
  const client = new Redis(options.redisUrl ?? 'redis://127.0.0.1:6379');
  const result: ThroughputRounds = { bare: [], queue: [] };
  try {
    for (let round = 0; round < options.rounds; round++) {
      if (round % 2 === 0) {
        result.bare.push(await bareRound(client, options));
        result.queue.push(await queueRound(client, options));
      } else {
        result.queue.push(await queueRound(client, options));
        result.bare.push(await bareRound(client, options));
      }
    }
  } finally {
    await client.quit();
  }
  return result;
}
