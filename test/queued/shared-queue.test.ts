// Two receivers, each with its own namespace, whose queues share one name on one server: what two
// `new BullMQQueue({ connection })` (or `new PgBossQueue(…)`) left at the default name make. A
// worker of one must never complete the other's job for want of a handler: that event would be
// answered 200 queued to its provider and never run (a loss).
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { createReceiver, MemoryDeliveryLog, standardWebhooks, type LogFields, type Receiver, type ReceiverOptions, type WebhookEvent, type WebhookQueue } from '@hookguard/core';
import { describeWithPostgres, describeWithRedis } from '../support/services.js';
import { eventually, queuedBackend, SECRET, signedDelivery, type QueueKind, type QueuedBackend } from './queued-fixtures.js';

const KINDS: QueueKind[] = ['bullmq', 'pg-boss'];
const EVENTS = 12;

type App = 'billing' | 'mail';

/**
 * Billing's and mail's receivers, each with its own namespace and its own queue object of one shared
 * queue name (`queues[0]` billing's, `queues[1]` mail's); `options(app)` adds each test's own, and
 * `ran` hears of every event a handler ran.
 */
function sharingReceivers(
  backend: QueuedBackend,
  run: string,
  options: (app: App) => Partial<ReceiverOptions>,
  ran: (app: App, id: string) => void,
): { billing: Receiver; mail: Receiver; queues: readonly [WebhookQueue, WebhookQueue] } {
  const queues = [backend.queue, backend.sameQueue()] as const;
  const receiverOf = (app: App, index: 0 | 1): Receiver => {
    const receiver = createReceiver({
      verifier: standardWebhooks({ secret: SECRET }),
      store: backend.store,
      queue: queues[index],
      namespace: `${app}-${run}`,
      ...options(app),
    });
    receiver.on(`${app}.event`, (event: WebhookEvent) => ran(app, event.id));
    return receiver;
  };
  return { billing: receiverOf('billing', 0), mail: receiverOf('mail', 1), queues };
}

for (const kind of KINDS) {
  (kind === 'bullmq' ? describeWithRedis : describeWithPostgres)(`two receivers on one ${kind} queue`, () => {
    it("never completes the other receiver's jobs: they are refused, then run by their own receiver's worker", { timeout: 60_000 }, async () => {
      const run = randomUUID().slice(0, 8);
      const backend = await queuedBackend(kind, run);
      const refusals: { code?: unknown; namespace?: unknown; jobNamespace?: unknown }[] = [];
      const ran = { billing: [] as string[], mail: [] as string[] };
      const { billing, mail, queues } = sharingReceivers(
        backend,
        run,
        () => ({
          // Enough attempts that no refused job runs out of them before its own worker starts. The
          // exponential step would reach a minute: a refused job must come back after minDelayMs.
          retry: { attempts: 1_000, minDelayMs: 20, maxDelayMs: 60_000 },
          logger: { warn: () => undefined, error: (fields) => void refusals.push(fields as (typeof refusals)[number]) },
        }),
        (app, id) => void ran[app].push(id),
      );
      const workers: { close(): Promise<void> }[] = [];
      try {
        for (let n = 0; n < EVENTS; n++) {
          const { body, headers } = signedDelivery(`mail_${n}`, 'mail.event', { n });
          const accepted = await mail.receive({ rawBody: Buffer.from(body), headers });
          expect(accepted.body).toBe('{"received":true,"queued":true}');
        }
        // Only billing's worker runs: every job it takes is mail's, and it refuses each one again and
        // again, minDelayMs apart. (With the exponential step instead, the jobs refused most often
        // waited so long that some had still not run 40 s after their own worker started.)
        workers.push(await billing.work({ concurrency: 2 }));
        const refused = (): typeof refusals => refusals.filter((fields) => fields.code === 'ERR_HOOKGUARD_QUEUE_SHARED');
        await eventually(() => refused().length >= 10 * EVENTS, 30_000, () => `${refused().length} refusals; errors logged: ${JSON.stringify(refusals.slice(0, 3))}`);
        expect(new Set(refused().map(({ namespace, jobNamespace }) => `${String(namespace)} took ${String(jobNamespace)}`))).toEqual(new Set([`billing-${run} took mail-${run}`]));
        expect(ran).toEqual({ billing: [], mail: [] });
        // Each refused job is still in the queue, neither completed nor dead.
        for (let n = 0; n < EVENTS; n++) {
          const job = await queues[1].find(`mail-${run}:mail_${n}`);
          expect(['waiting', 'delayed', 'active']).toContain(job?.state);
        }

        // Mail's own worker starts, and billing's events arrive too: each runs once, in its own receiver.
        workers.push(await mail.work({ concurrency: 2 }));
        for (let n = 0; n < EVENTS; n++) {
          const { body, headers } = signedDelivery(`billing_${n}`, 'billing.event', { n });
          await billing.receive({ rawBody: Buffer.from(body), headers });
        }
        await eventually(() => ran.mail.length === EVENTS && ran.billing.length === EVENTS, 40_000, () => `mail ${ran.mail.length}, billing ${ran.billing.length}`);
        expect(new Set(ran.mail).size).toBe(EVENTS);
        expect(new Set(ran.billing).size).toBe(EVENTS);
      } finally {
        for (const worker of workers) await worker.close();
        for (const queue of queues) await queue.close?.();
        await backend.store.close?.();
        await backend.close();
      }
    });

    it("reports the other receiver's job dead-lettered here when all its attempts land here: an error log line that says how to replay it, and a dead_lettered record under the job's namespace", { timeout: 60_000 }, async () => {
      const run = randomUUID().slice(0, 8);
      const backend = await queuedBackend(kind, run);
      // One delivery log for both, as one PostgresDeliveryLog table on their database would be.
      const deliveryLog = new MemoryDeliveryLog();
      const errors: { app: string; fields: LogFields; message: string }[] = [];
      const deadLetters: string[] = [];
      const ran: string[] = [];
      const { billing, mail, queues } = sharingReceivers(
        backend,
        run,
        (app) => ({
          deliveryLog,
          retry: { attempts: 3, minDelayMs: 20, maxDelayMs: 50 },
          onDeadLetter: (event) => void deadLetters.push(`${app} heard of ${event.id}`),
          logger: { warn: () => undefined, error: (fields, message) => void errors.push({ app, fields, message }) },
        }),
        (_app, id) => void ran.push(id),
      );
      const key = `mail-${run}:mail_dead`;
      const workers: { close(): Promise<void> }[] = [];
      try {
        const { body, headers } = signedDelivery('mail_dead', 'mail.event', {});
        expect((await mail.receive({ rawBody: Buffer.from(body), headers })).body).toBe('{"received":true,"queued":true}');
        // Only billing's worker runs: it refuses the job on each of its 3 attempts, then the queue keeps it dead.
        workers.push(await billing.work());
        await eventually(async () => (await queues[1].find(key))?.state === 'dead', 20_000, () => `the job is ${JSON.stringify(errors)}`);
        await workers.pop()?.close();
        // Neither receiver's onDeadLetter: billing's is for billing's events, and mail's runs where mail's workers do.
        expect(deadLetters).toEqual([]);
        expect(ran).toEqual([]);
        // Before the fix there was no such line: three refusals, each saying the job goes back for a retry.
        const dead = errors.filter(({ fields }) => fields.deadLettered === true);
        expect(dead).toEqual([
          {
            app: 'billing',
            fields: expect.objectContaining({ code: 'ERR_HOOKGUARD_QUEUE_SHARED', key, namespace: `billing-${run}`, jobNamespace: `mail-${run}`, attempts: 3 }),
            message: expect.stringMatching(new RegExp(`dead-lettered.*replay\\('${key}'\\)`)),
          },
        ]);
        // Recorded as its own receiver's, so mail's inspector shows it dead-lettered, and billing's shows nothing.
        const outcomes = async (namespace: string): Promise<unknown[]> =>
          (await deliveryLog.list({ namespace, limit: 10 })).records.filter((record) => record.key === key).map((record) => [record.outcome, record.errorCode]);
        expect(await outcomes(`mail-${run}`)).toEqual([
          ['dead_lettered', 'ERR_HOOKGUARD_QUEUE_SHARED'],
          ['queued', null],
        ]);
        expect(await outcomes(`billing-${run}`)).toEqual([]);

        // What the line says to do works: mail's receiver replays it, and its own worker runs it.
        expect(await mail.replay(key)).toBe(true);
        workers.push(await mail.work());
        await eventually(() => ran.length === 1, 10_000, () => `ran ${JSON.stringify(ran)}`);
        expect(ran).toEqual(['mail_dead']);
      } finally {
        for (const worker of workers) await worker.close();
        for (const queue of queues) await queue.close?.();
        await backend.store.close?.();
        await backend.close();
      }
    });
  });
}
