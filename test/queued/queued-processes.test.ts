import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, afterEach, expect, it } from 'vitest';
import { spawnTs } from '../cross-process/app-process.js';
import { deleteRedisKeys } from '../support/redis-keys.js';
import { REDIS, describeWithRedis } from '../support/services.js';
import { SECRET, eventually, inParallel, sendOnce } from './queued-fixtures.js';
import type { QueuedProcessConfig, QueuedProcessMessage } from './queued-process.js';

const ENTRY = fileURLToPath(new URL('./queued-process.ts', import.meta.url));
const redis = new Redis(REDIS);
const children: ChildProcess[] = [];
/** The runs of this file, whose keys (dedup records, effects, BullMQ's queue) go once the children are gone. */
const runs: string[] = [];
const newRun = (): string => {
  const run = `hgqp-${randomUUID().slice(0, 8)}`;
  runs.push(run);
  return run;
};
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});
afterAll(async () => {
  try {
    await deleteRedisKeys(redis, ...runs.flatMap((run) => [`${run}:*`, `bull:${run}-q:*`]));
  } finally {
    redis.disconnect();
  }
});

type Started = { child: ChildProcess; port: number; messages: QueuedProcessMessage[] };

async function start(config: QueuedProcessConfig): Promise<Started> {
  const child = spawnTs(ENTRY, { env: { QUEUED_PROCESS_CONFIG: JSON.stringify(config) } });
  children.push(child);
  const messages: QueuedProcessMessage[] = [];
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    child.on('message', (message: QueuedProcessMessage) => {
      messages.push(message);
      if (message.type === 'ready') resolve(message.port);
    });
    child.once('exit', () => reject(new Error(`a ${config.role} process exited during startup:\n${output}`)));
  });
  return { child, port, messages };
}

function config(run: string, role: QueuedProcessConfig['role'], overrides: Partial<QueuedProcessConfig> = {}): QueuedProcessConfig {
  return { role, run, secret: SECRET, concurrency: 8, lockDurationMs: 15_000, stalledIntervalMs: 5_000, ...overrides };
}

describeWithRedis('queued mode across processes', () => {
  it('runs a job again after its worker is SIGKILLed mid-job, and its ctx.once effect happens once', { timeout: 90_000 }, async () => {
    const run = newRun();
    // Short locks, so stalled-job recovery notices the dead worker within seconds.
    const fast = { lockDurationMs: 2_000, stalledIntervalMs: 1_000 };
    const acceptor = await start(config(run, 'accept'));
    const victim = await start(config(run, 'work', fast));
    const answer = await sendOnce(`http://127.0.0.1:${acceptor.port}/webhooks`, 'evt_kill', 'order.created', { holdMs: 30_000 }, 10_000);
    expect(answer.status).toBe(200);
    await eventually(() => victim.messages.some((m) => m.type === 'started'), 20_000, () => 'the victim never started the job');
    // The effect is recorded before the handler holds; then the worker dies mid-job.
    await eventually(async () => (await redis.llen(`${run}:effects`)) === 1, 10_000, () => 'no effect recorded');
    victim.child.kill('SIGKILL');
    const rescuer = await start(config(run, 'work', { ...fast }));
    await eventually(() => rescuer.messages.some((m) => m.type === 'started'), 30_000, () => 'the job was never picked up again');
    const restarted = rescuer.messages.find((m): m is Extract<QueuedProcessMessage, { type: 'started' }> => m.type === 'started');
    expect(restarted?.attempt).toBeGreaterThanOrEqual(2);
    expect(await redis.lrange(`${run}:effects`, 0, -1)).toEqual(['evt_kill']);
  });

  it('handles each event once with 4 worker and 2 accepting processes, every event sent to both acceptors', { timeout: 120_000 }, async () => {
    const run = newRun();
    const acceptors = await Promise.all([start(config(run, 'accept')), start(config(run, 'accept'))]);
    await Promise.all(Array.from({ length: 4 }, () => start(config(run, 'work', { concurrency: 16 }))));
    const ids = Array.from({ length: 300 }, (_, n) => `evt_${n}`);
    const sends = ids.flatMap((id) => acceptors.map((acceptor) => ({ id, url: `http://127.0.0.1:${acceptor.port}/webhooks` })));
    const answers = await inParallel(sends, 32, ({ id, url }) => sendOnce(url, id, 'order.created', { holdMs: 20 }, 10_000));
    // Each event: one acceptor queued it, the other answered duplicate (200) or in progress (409).
    expect(answers.filter((answer) => answer.status !== 200 && answer.status !== 409)).toEqual([]);
    await eventually(async () => (await redis.llen(`${run}:finished`)) >= ids.length, 60_000, () => 'not every event finished');
    const effects = await redis.lrange(`${run}:effects`, 0, -1);
    expect(effects.length).toBe(ids.length);
    expect(new Set(effects).size).toBe(ids.length);
    const finished = (await redis.lrange(`${run}:finished`, 0, -1)).map((entry) => entry.split(':')[0]);
    expect(finished.length).toBe(ids.length);
    expect(new Set(finished).size).toBe(ids.length);
    // Work was spread over the worker processes.
    const pids = new Set((await redis.lrange(`${run}:finished`, 0, -1)).map((entry) => entry.split(':')[1]));
    expect(pids.size).toBeGreaterThan(1);
  });
});
