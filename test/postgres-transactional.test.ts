import { createReceiver, standardWebhooks, type Receiver } from '@hookguard/core';
import { signStandardWebhooks } from '@hookguard/core/testing';
import { PostgresStore } from '@hookguard/postgres';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { POSTGRES, describeWithPostgres } from './support/services.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const schema = `hookguard_tx_${process.pid}_${Date.now().toString(36)}`;
const NAMESPACE = 'standard-webhooks';
const silent = { warn: () => undefined, error: () => undefined };

async function delivery(id: string, text = 'hello') {
  const rawBody = JSON.stringify({ type: 'message.received', data: { text } });
  return { rawBody, headers: await signStandardWebhooks({ secret: SECRET, id, body: rawBody }) };
}

describeWithPostgres('transactional handlers through the receiver, on real PostgreSQL', () => {
  let admin: pg.Pool;

  beforeAll(async () => {
    admin = new pg.Pool({ ...POSTGRES, max: 2 });
    await admin.query(`CREATE SCHEMA "${schema}"`);
    await admin.query(`CREATE TABLE "${schema}".replies (message_id text NOT NULL, text text NOT NULL)`);
    await new PostgresStore({ pool: admin, schema }).migrate();
  });

  afterAll(async () => {
    await admin.query(`DROP SCHEMA "${schema}" CASCADE`);
    await admin.end();
  });

  function receiverOn(pool: pg.Pool, options: { failFirst?: boolean } = {}): Receiver {
    const receiver = createReceiver({ verifier: standardWebhooks({ secret: SECRET }), store: new PostgresStore({ pool, schema }), namespace: NAMESPACE, logger: silent });
    receiver.on(
      'message.received',
      async (event, ctx) => {
        const payload = event.payload as { data: { text: string } };
        await ctx.db.query(`INSERT INTO "${schema}".replies (message_id, text) VALUES ($1, $2)`, [event.id, payload.data.text]);
        if (options.failFirst === true && ctx.attempt === 1) throw new Error('mail server down after the insert');
      },
      { transaction: true },
    );
    return receiver;
  }

  const count = async (id: string) => Number((await admin.query(`SELECT count(*) FROM "${schema}".replies WHERE message_id = $1`, [id])).rows[0].count);
  const state = async (id: string) =>
    (await admin.query(`SELECT state FROM "${schema}".hookguard_events WHERE key = $1`, [`${NAMESPACE}:${id}`])).rows[0]?.state as string | undefined;

  it('rolls back the handler’s insert with a failed attempt, and the retry inserts it exactly once', async () => {
    const pool = new pg.Pool({ ...POSTGRES, max: 4 });
    const receiver = receiverOn(pool, { failFirst: true });
    const failed = await receiver.receive(await delivery('msg_tx_1'));
    expect(failed.status).toBe(500);
    expect(await count('msg_tx_1')).toBe(0);
    expect(await state('msg_tx_1')).not.toBe('completed');
    const retried = await receiver.receive(await delivery('msg_tx_1'));
    expect(retried.status).toBe(200);
    expect(await count('msg_tx_1')).toBe(1);
    expect(await state('msg_tx_1')).toBe('completed');
    expect((await receiver.receive(await delivery('msg_tx_1'))).outcome).toBe('duplicate');
    expect(await count('msg_tx_1')).toBe(1);
    await pool.end();
  });

  it('answers 500, not 503, when a handler swallows a failed statement and leaves the transaction aborted', async () => {
    const pool = new pg.Pool({ ...POSTGRES, max: 2 });
    const receiver = createReceiver({ verifier: standardWebhooks({ secret: SECRET }), store: new PostgresStore({ pool, schema }), namespace: NAMESPACE, logger: silent });
    receiver.on(
      'message.received',
      async (_event, ctx) => {
        await ctx.db.query('SELECT * FROM a_table_that_does_not_exist').catch(() => undefined);
      },
      { transaction: true },
    );
    const result = await receiver.receive(await delivery('msg_tx_swallowed'));
    expect(result.status).toBe(500);
    expect(JSON.parse(result.body)).toEqual({ error: 'ERR_HOOKGUARD_HANDLER_FAILED' });
    await pool.end();
  });

  it('finishes 10 concurrent transactional deliveries on a pool of 2 without deadlock or leaked clients', async () => {
    const pool = new pg.Pool({ ...POSTGRES, max: 2 });
    const receiver = receiverOn(pool);
    const ids = Array.from({ length: 10 }, (_, index) => `msg_tx_pool_${index}`);
    const results = await Promise.all(ids.map(async (id) => receiver.receive(await delivery(id))));
    expect(results.map((result) => result.status)).toEqual(ids.map(() => 200));
    for (const id of ids) expect(await count(id)).toBe(1);
    expect(pool.totalCount).toBeLessThanOrEqual(2);
    expect(pool.waitingCount).toBe(0);
    expect(pool.idleCount).toBe(pool.totalCount);
    await pool.end();
  });

  it('answers a concurrent redelivery 409 while the first holds the transaction, and runs the handler once', async () => {
    const pool = new pg.Pool({ ...POSTGRES, max: 4 });
    const receiver = createReceiver({ verifier: standardWebhooks({ secret: SECRET }), store: new PostgresStore({ pool, schema }), namespace: NAMESPACE, logger: silent });
    let release!: () => void;
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    receiver.on(
      'message.received',
      async (event, ctx) => {
        await ctx.db.query(`INSERT INTO "${schema}".replies (message_id, text) VALUES ($1, 'x')`, [event.id]);
        started();
        await new Promise<void>((resolve) => (release = resolve));
      },
      { transaction: true },
    );
    const first = receiver.receive(await delivery('msg_tx_race'));
    await running;
    const second = await receiver.receive(await delivery('msg_tx_race'));
    expect(second.status).toBe(409);
    expect(second.headers['retry-after']).toBeDefined();
    release();
    expect((await first).status).toBe(200);
    expect(await count('msg_tx_race')).toBe(1);
    await pool.end();
  });

  it('rolls a ctx.once record back with the handler’s transaction, so the retry runs the once work and its write again', async () => {
    const pool = new pg.Pool({ ...POSTGRES, max: 2 });
    const receiver = createReceiver({ verifier: standardWebhooks({ secret: SECRET }), store: new PostgresStore({ pool, schema }), namespace: NAMESPACE, logger: silent });
    const onceRuns: number[] = [];
    receiver.on(
      'message.received',
      async (event, ctx) => {
        await ctx.once(`reply:${event.id}`, async () => {
          onceRuns.push(ctx.attempt);
          await ctx.db.query(`INSERT INTO "${schema}".replies (message_id, text) VALUES ($1, 'reply')`, [event.id]);
        });
        if (ctx.attempt === 1) throw new Error('the next step fails after the once work');
      },
      { transaction: true },
    );
    expect((await receiver.receive(await delivery('msg_tx_once'))).status).toBe(500);
    expect(await count('msg_tx_once')).toBe(0);
    expect((await receiver.receive(await delivery('msg_tx_once'))).status).toBe(200);
    expect(onceRuns).toEqual([1, 2]);
    expect(await count('msg_tx_once')).toBe(1);
    await pool.end();
  });

  it('answers concurrent transactional deliveries that use ctx.once on a pool of 2 without connectionTimeoutMillis', async () => {
    // pg's default connectionTimeoutMillis (0): a wait for a second client would never end.
    const pool = new pg.Pool({ ...POSTGRES, max: 2 });
    const receiver = createReceiver({
      verifier: standardWebhooks({ secret: SECRET }),
      store: new PostgresStore({ pool, schema, statementTimeoutMs: 1_000 }),
      namespace: NAMESPACE,
      logger: silent,
    });
    let inside = 0;
    let allInside!: () => void;
    const together = new Promise<void>((resolve) => (allInside = resolve));
    receiver.on(
      'message.received',
      async (event, ctx) => {
        // Both deliveries hold their client before either calls ctx.once.
        if (++inside === 2) allInside();
        await together;
        await ctx.once(`reply:${event.id}`, async () => {
          await ctx.db.query(`INSERT INTO "${schema}".replies (message_id, text) VALUES ($1, 'reply')`, [event.id]);
        });
      },
      { transaction: true },
    );
    const ids = ['msg_tx_full_pool_1', 'msg_tx_full_pool_2'];
    const results = await Promise.all(ids.map(async (id) => receiver.receive(await delivery(id))));
    expect(results.map((result) => result.status)).toEqual([200, 200]);
    for (const id of ids) expect(await count(id)).toBe(1);
    expect(pool.waitingCount).toBe(0);
    await pool.end();
  });

  it('answers 503 without counting the attempt when ctx.once fails because the store did (a once key held past the lock wait)', async () => {
    const pool = new pg.Pool({ ...POSTGRES, max: 3 });
    const receiver = createReceiver({
      verifier: standardWebhooks({ secret: SECRET }),
      store: new PostgresStore({ pool, schema, statementTimeoutMs: 1_000 }),
      namespace: NAMESPACE,
      logger: silent,
      maxAttempts: 1,
    });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const holding = new Promise<void>((resolve) => (started = resolve));
    const attempts: Array<{ id: string; attempt: number }> = [];
    receiver.on(
      'message.received',
      async (event, ctx) => {
        attempts.push({ id: event.id, attempt: ctx.attempt });
        // Both deliveries send the one reply of a shared thread.
        await ctx.once('reply:thread-1', async () => {
          if (event.id === 'msg_tx_holder') {
            started();
            await held;
          }
        });
      },
      { transaction: true },
    );
    const holder = receiver.receive(await delivery('msg_tx_holder'));
    await holding;
    const blocked = await receiver.receive(await delivery('msg_tx_blocked'));
    expect(blocked.status).toBe(503);
    expect(JSON.parse(blocked.body)).toEqual({ error: 'ERR_HOOKGUARD_STORE_UNAVAILABLE' });
    release();
    expect((await holder).status).toBe(200);
    // With maxAttempts 1, a counted attempt would have dead-lettered the event instead.
    expect((await receiver.receive(await delivery('msg_tx_blocked'))).status).toBe(200);
    expect(attempts.filter((entry) => entry.id === 'msg_tx_blocked').map((entry) => entry.attempt)).toEqual([1, 1]);
    await pool.end();
  });
});
