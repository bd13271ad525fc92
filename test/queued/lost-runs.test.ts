// A job whose every run is lost (its worker SIGKILLed, or its lock lost, each time) is dead-lettered
// by the queue without a run of the handlers failing: pg-boss's worker finds it out of attempts at
// its next fetch, BullMQ fails a job that stalled more than maxStalledCount times at its next fetch.
// Nothing ran, but the event is dead all the same: onDeadLetter, the error log and the delivery log
// must say so as they do for a handler's last failure, or the alerting hung on them never hears of it.
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { createReceiver, MemoryDeliveryLog, standardWebhooks, type LogFields, type WebhookEvent } from '@hookguard/core';
import { describeWithPostgres, describeWithRedis } from '../support/services.js';
import { eventually, queuedBackend, SECRET, signedDelivery, type QueueKind } from './queued-fixtures.js';

const KINDS: QueueKind[] = ['bullmq', 'pg-boss'];

for (const kind of KINDS) {
  (kind === 'bullmq' ? describeWithRedis : describeWithPostgres)(`a ${kind} job whose runs were all lost`, () => {
    it('is reported as dead-lettered like a last failure: onDeadLetter, an error log line and a dead_lettered record', { timeout: 60_000 }, async () => {
      const run = randomUUID().slice(0, 8);
      // pg-boss: 3 attempts, each run lost, so the 4th fetch finds the job out of attempts. BullMQ:
      // its own limit comes first, a job stalled more than maxStalledCount (1) times is failed.
      const backend = await queuedBackend(kind, run, undefined, { lockSeconds: 1, maxStalledCount: 1 });
      const lostRuns = kind === 'bullmq' ? 2 : 3;
      const deliveryLog = new MemoryDeliveryLog();
      const deadLetters: { id: string; error: unknown }[] = [];
      const errors: { fields: LogFields; message: string }[] = [];
      const ran: number[] = [];
      const receiver = createReceiver({
        verifier: standardWebhooks({ secret: SECRET }),
        store: backend.store,
        queue: backend.queue,
        namespace: `app-${run}`,
        deliveryLog,
        retry: { attempts: 3, minDelayMs: 20, maxDelayMs: 50 },
        onDeadLetter: (event, error) => void deadLetters.push({ id: event.id, error }),
        logger: { warn: () => undefined, error: (fields, message) => void errors.push({ fields, message }) },
      });
      receiver.on('order.created', (_event: WebhookEvent, ctx) => void ran.push(ctx.attempt));
      const key = `app-${run}:evt_lost`;
      let worker: { close(): Promise<void> } | undefined;
      try {
        const { body, headers } = signedDelivery('evt_lost', 'order.created', { sku: 'a-1' });
        expect((await receiver.receive({ rawBody: Buffer.from(body), headers })).body).toBe('{"received":true,"queued":true}');
        // A worker takes the job and is killed, as many times as the engine allows; each time the
        // engine takes the job back once its lock lapses (pg-boss's expiry, BullMQ's stalled check).
        for (let lost = 0; lost < lostRuns; lost++) {
          await eventually(async () => (await backend.takeAndDie()) === key, 20_000, () => `run ${lost + 1} was never taken`);
        }
        await eventually(async () => ['waiting', 'delayed'].includes((await backend.queue.find(key))?.state ?? ''), 20_000, () => 'the last lost run was never taken back');

        worker = await receiver.work();
        await eventually(async () => (await backend.queue.find(key))?.state === 'dead', 20_000, () => 'the job was never dead-lettered');
        // Before the fix, this timed out: the queue kept the job dead and told nobody.
        await eventually(() => deadLetters.length === 1, 5_000, () => `onDeadLetter ran ${deadLetters.length} times; errors logged: ${JSON.stringify(errors)}`);
        expect(ran).toEqual([]);
        expect(deadLetters[0]).toMatchObject({ id: 'evt_lost', error: { code: 'ERR_HOOKGUARD_LEASE_LOST' } });
        expect(errors).toContainEqual({
          fields: expect.objectContaining({ code: 'ERR_HOOKGUARD_LEASE_LOST', key }),
          message: expect.stringMatching(/dead-lettered.*receiver\.replay\(\)/),
        });
        const { records } = await deliveryLog.list({ namespace: `app-${run}`, limit: 10 });
        expect(records.filter((record) => record.key === key).map((record) => [record.outcome, record.errorCode])).toEqual([
          ['dead_lettered', 'ERR_HOOKGUARD_LEASE_LOST'],
          ['queued', null],
        ]);
        // The queue's own record says what the engine saw.
        expect((await backend.queue.find(key))?.lastError).toMatch(kind === 'bullmq' ? /stalled more than allowable limit/ : /ran out of attempts/);
      } finally {
        await worker?.close();
        await backend.queue.close?.();
        await backend.store.close?.();
        await backend.close();
      }
    });
  });
}
