import type { EnqueueOptions, QueuedEvent, WebhookEvent, WebhookQueue } from '@hookguard/core';
import type { PoolClient } from 'pg';
import { afterEach, expect, it } from 'vitest';
import { describeWithPostgres } from '../support/services.js';
import { eventually, queuedReceiver, sendOnce, type QueuedSetup } from './queued-fixtures.js';

declare module '@hookguard/core' {
  interface TransactionClients {
    db: PoolClient;
  }
}

const open: QueuedSetup[] = [];
afterEach(async () => {
  for (const setup of open.splice(0)) await setup.close();
});

/** Forwards to `queue`, but fails the first `failures` enqueues after the job was written. */
function failingAfterWrite(queue: WebhookQueue, failures: number): WebhookQueue {
  let left = failures;
  return {
    name: queue.name,
    async enqueue(event: QueuedEvent, options?: EnqueueOptions) {
      await queue.enqueue(event, options);
      if (left-- > 0) throw new Error('the connection dropped after the job was written');
    },
    joinsTransactionsOf: (store) => queue.joinsTransactionsOf?.(store) ?? false,
    work: (processor, options) => queue.work(processor, options),
    find: (key) => queue.find(key),
    deadLetters: (options) => queue.deadLetters(options),
    replay: (key) => queue.replay(key),
  };
}

describeWithPostgres('queued mode on PostgreSQL: acceptance in one transaction', () => {
  it('rolls the dedup record back with the job when acceptance fails midway, so the retry is accepted and handled once', { timeout: 60_000 }, async () => {
    const probe = await queuedReceiver('pg-boss');
    open.push(probe);
    const setup = await queuedReceiver('pg-boss', { queue: failingAfterWrite(probe.queue, 1), store: probe.store, namespace: probe.receiver.options.namespace });
    open.push(setup);
    const handled: string[] = [];
    setup.receiver.on('order.created', (event: WebhookEvent) => void handled.push(event.id));
    const refused = await sendOnce(setup.url, 'evt_tx', 'order.created', {}, 10_000);
    expect(refused.status).toBe(503);
    // Neither the job nor the dedup record survived the failed transaction.
    const key = `${setup.receiver.options.namespace}:evt_tx`;
    expect(await setup.queue.find(key)).toBeUndefined();
    const retried = await sendOnce(setup.url, 'evt_tx', 'order.created', {}, 10_000);
    expect(retried.status).toBe(200);
    const worker = await setup.receiver.work();
    try {
      await eventually(() => handled.length === 1, 20_000, () => 'not handled');
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(handled).toEqual(['evt_tx']);
    } finally {
      await worker.close();
    }
  });

  it('commits a { transaction: true } handler of a queued event with its processing record: a failed attempt leaves no write, the retry writes once', { timeout: 60_000 }, async () => {
    const setup = await queuedReceiver('pg-boss');
    open.push(setup);
    const pool = setup.pool!;
    const table = `"hgq_orders_${setup.receiver.options.namespace.replace(/[^a-z0-9]/g, '_')}"`;
    await pool.query(`CREATE TABLE ${table} (id text, attempt int)`);
    try {
      let attempts = 0;
      setup.receiver.on(
        'order.created',
        async (event, ctx) => {
          attempts++;
          await ctx.db.query(`INSERT INTO ${table} VALUES ($1, $2)`, [event.id, ctx.attempt]);
          if (ctx.attempt === 1) throw new Error('fails after writing');
        },
        { transaction: true },
      );
      expect((await sendOnce(setup.url, 'evt_db', 'order.created', {}, 10_000)).status).toBe(200);
      const worker = await setup.receiver.work();
      try {
        await eventually(async () => (await pool.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n === 1, 20_000, () => `attempts ${attempts}`);
        await new Promise((resolve) => setTimeout(resolve, 500));
        const rows = (await pool.query(`SELECT id, attempt FROM ${table}`)).rows;
        expect(rows).toEqual([{ id: 'evt_db', attempt: 2 }]);
        expect(attempts).toBe(2);
      } finally {
        await worker.close();
      }
    } finally {
      await pool.query(`DROP TABLE IF EXISTS ${table}`);
    }
  });
});
