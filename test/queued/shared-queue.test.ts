// Two receivers, each with its own namespace, whose queues share one name on one server: what two
// `new BullMQQueue({ connection })` (or `new PgBossQueue(…)`) left at the default name make. A
// worker of one must never complete the other's job for want of a handler: that event would be
// answered 200 queued to its provider and never run (a loss).
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { createReceiver, standardWebhooks, type Receiver, type WebhookEvent } from '@hookguard/core';
import { describeWithPostgres, describeWithRedis } from '../support/services.js';
import { eventually, queuedBackend, SECRET, signedDelivery, type QueueKind } from './queued-fixtures.js';

const KINDS: QueueKind[] = ['bullmq', 'pg-boss'];
const EVENTS = 12;

for (const kind of KINDS) {
  (kind === 'bullmq' ? describeWithRedis : describeWithPostgres)(`two receivers on one ${kind} queue`, () => {
    it("never completes the other receiver's jobs: they are refused, then run by their own receiver's worker", { timeout: 60_000 }, async () => {
      const run = randomUUID().slice(0, 8);
      const backend = await queuedBackend(kind, run);
      const queues = [backend.queue, backend.sameQueue()] as const;
      const refusals: { code?: unknown; namespace?: unknown; jobNamespace?: unknown }[] = [];
      const ran = { billing: [] as string[], mail: [] as string[] };
      const receiverOf = (app: 'billing' | 'mail', index: 0 | 1): Receiver => {
        const receiver = createReceiver({
          verifier: standardWebhooks({ secret: SECRET }),
          store: backend.store,
          queue: queues[index],
          namespace: `${app}-${run}`,
          // Enough attempts that no refused job runs out of them before its own worker starts. The
          // exponential step would reach a minute: a refused job must come back after minDelayMs.
          retry: { attempts: 1_000, minDelayMs: 20, maxDelayMs: 60_000 },
          logger: { warn: () => undefined, error: (fields) => void refusals.push(fields as (typeof refusals)[number]) },
        });
        receiver.on(`${app}.event`, (event: WebhookEvent) => void ran[app].push(event.id));
        return receiver;
      };
      const billing = receiverOf('billing', 0);
      const mail = receiverOf('mail', 1);
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
  });
}
