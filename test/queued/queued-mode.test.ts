import { afterEach, expect, it } from 'vitest';
import type { WebhookEvent } from '@hookguard/core';
import { describeWithPostgres, describeWithRedis } from '../support/services.js';
import { eventually, inParallel, queuedReceiver, sendOnce, signedDelivery, type QueuedSetup, type QueueKind } from './queued-fixtures.js';

const KINDS: QueueKind[] = ['bullmq', 'pg-boss'];
const open: QueuedSetup[] = [];
afterEach(async () => {
  for (const setup of open.splice(0)) await setup.close();
});

async function setUp(kind: QueueKind, options: Parameters<typeof queuedReceiver>[1] = {}): Promise<QueuedSetup> {
  const setup = await queuedReceiver(kind, options);
  open.push(setup);
  return setup;
}

for (const kind of KINDS) {
  (kind === 'bullmq' ? describeWithRedis : describeWithPostgres)(`queued mode on ${kind}, over HTTP`, () => {
    it('loses nothing from a sender that never retries, with handlers that fail twice or take 4 s', { timeout: 120_000 }, async () => {
      const { receiver, url } = await setUp(kind);
      const attempts = new Map<string, number>();
      const succeeded = new Map<string, number>();
      receiver.on('order.*', async (event: WebhookEvent) => {
        const n = Number(event.id.slice(4));
        const attempt = (attempts.get(event.id) ?? 0) + 1;
        attempts.set(event.id, attempt);
        if (n % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 4_000));
        if (n % 3 === 0 && attempt <= 2) throw new Error(`attempt ${attempt} of ${event.id} fails`);
        succeeded.set(event.id, (succeeded.get(event.id) ?? 0) + 1);
      });
      const worker = await receiver.work({ concurrency: 64 });
      try {
        const ids = Array.from({ length: 500 }, (_, n) => `evt_${n}`);
        const answers = await inParallel(ids, 32, (id) => sendOnce(url, id, 'order.created', { id }, 10_000));
        expect(answers.filter((answer) => answer.status !== 200)).toEqual([]);
        await eventually(() => succeeded.size === ids.length, 60_000, () => `${succeeded.size} of ${ids.length} handled`);
        expect([...succeeded].filter(([, count]) => count !== 1)).toEqual([]);
        // Every failing event ran exactly three times: two failures, then the success.
        for (const id of ids.filter((_, n) => n % 3 === 0)) expect(attempts.get(id)).toBe(3);
      } finally {
        await worker.close();
      }
    });

    it('answers within a 3 s deadline while 10 s handlers run, so a Slack-like sender never retries', { timeout: 60_000 }, async () => {
      const { receiver, url } = await setUp(kind);
      const handled: string[] = [];
      receiver.on('message.posted', async (event: WebhookEvent) => {
        await new Promise((resolve) => setTimeout(resolve, 10_000));
        handled.push(event.id);
      });
      const worker = await receiver.work({ concurrency: 20 });
      try {
        const ids = Array.from({ length: 20 }, (_, n) => `msg_${n}`);
        const answers = await inParallel(ids, 20, (id) => sendOnce(url, id, 'message.posted', { id }, 3_000));
        expect(answers.map((answer) => answer.status)).toEqual(ids.map(() => 200));
        await eventually(() => handled.length === ids.length, 30_000, () => `${handled.length} handled`);
        expect(new Set(handled).size).toBe(ids.length);
      } finally {
        await worker.close();
      }
    });

    it('answers a redelivery of an accepted event as a duplicate and queues it once', { timeout: 30_000 }, async () => {
      const { receiver, url } = await setUp(kind);
      const handled: string[] = [];
      receiver.on('order.created', (event: WebhookEvent) => void handled.push(event.id));
      const first = await fetchBody(url, 'evt_dup');
      expect(first).toEqual({ status: 200, body: { received: true, queued: true } });
      const again = await fetchBody(url, 'evt_dup');
      expect(again).toEqual({ status: 200, body: { received: true, duplicate: true } });
      const worker = await receiver.work();
      try {
        await eventually(() => handled.length === 1, 10_000, () => `${handled.length} handled`);
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(handled).toEqual(['evt_dup']);
      } finally {
        await worker.close();
      }
    });

    it('dead-letters a poison event after its attempts with its payload, and replays it once the handler is fixed', { timeout: 30_000 }, async () => {
      const deadLetters: { id: string; error: unknown }[] = [];
      const { receiver, url, queue } = await setUp(kind, {
        retry: { attempts: 3, minDelayMs: 20, maxDelayMs: 50 },
        onDeadLetter: (event, error) => void deadLetters.push({ id: event.id, error }),
      });
      let fixed = false;
      const runs: number[] = [];
      receiver.on('order.created', (_event: WebhookEvent, ctx) => {
        runs.push(ctx.attempt);
        if (!fixed) throw new TypeError('cannot parse the order');
      });
      const worker = await receiver.work();
      try {
        expect((await fetchBody(url, 'evt_poison', { sku: 'ü-1' })).status).toBe(200);
        await eventually(() => deadLetters.length === 1, 10_000, () => `runs ${runs.join(',')}`);
        expect(runs).toEqual([1, 2, 3]);
        expect(deadLetters[0]?.error).toBeInstanceOf(TypeError);
        // onDeadLetter runs before the queue keeps the job as dead-lettered (docs/queued-mode.md):
        // the queue's record follows once the worker has handed the failure back to the engine.
        let dead: Awaited<ReturnType<typeof queue.deadLetters>>[number] | undefined;
        await eventually(async () => ([dead] = await queue.deadLetters()).length === 1, 10_000, () => 'the queue lists no dead letter');
        expect(dead).toMatchObject({ state: 'dead', attempts: 3, event: { id: 'evt_poison', type: 'order.created', payload: { data: { sku: 'ü-1' } } } });
        expect(dead?.lastError).toContain('cannot parse the order');
        fixed = true;
        expect(await receiver.replay('evt_poison')).toBe(true);
        await eventually(() => runs.length === 4, 10_000, () => `runs ${runs.join(',')}`);
        await eventually(async () => (await queue.find(dead!.event.key))?.state === 'completed', 10_000, () => 'not completed');
        expect(await queue.deadLetters()).toEqual([]);
        expect(await receiver.replay('evt_never_seen')).toBe(false);
      } finally {
        await worker.close();
      }
    });
  });
}

async function fetchBody(url: string, id: string, data: unknown = { id }): Promise<{ status: number; body: unknown }> {
  const { body, headers } = signedDelivery(id, 'order.created', data);
  const response = await fetch(url, { method: 'POST', body, headers });
  return { status: response.status, body: await response.json() };
}
