// once() and ctx.once over the shared stores: two stores on two connections stand for two processes.
import { createReceiver, once, silentLogger, standardWebhooks, type DedupStore } from '@hookguard/core';
import { PostgresStore } from '@hookguard/postgres';
import { RedisStore } from '@hookguard/redis';
import { Redis } from 'ioredis';
import pg from 'pg';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { postgresAnswers, redisAnswers } from './support/services.js';


const run = `${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
const required = process.env.CI === 'true';


/** Two stores over two connections to one backend: two processes sharing it. */
type Backend = { stores: [DedupStore, DedupStore]; close: () => Promise<void> };

async function redisBackend(): Promise<Backend> {
  const prefix = `hookguard-once-test:${run}:`;
  const clients = [new Redis({ host: '127.0.0.1', port: 6379 }), new Redis({ host: '127.0.0.1', port: 6379 })] as const;
  return {
    stores: [new RedisStore({ client: clients[0], prefix }), new RedisStore({ client: clients[1], prefix })],
    async close() {
      const keys = await clients[0].keys(`${prefix}*`);
      if (keys.length > 0) await clients[0].del(...keys);
      for (const client of clients) client.disconnect();
    },
  };
}

async function postgresBackend(): Promise<Backend> {
  const schema = `hookguard_once_test_${run}`;
  const connection = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' };
  const pools = [new pg.Pool(connection), new pg.Pool(connection)] as const;
  const stores: [PostgresStore, PostgresStore] = [new PostgresStore({ pool: pools[0], schema }), new PostgresStore({ pool: pools[1], schema })];
  await stores[0].migrate();
  return {
    stores,
    async close() {
      await pools[0].query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      for (const pool of pools) await pool.end();
    },
  };
}

const backends = [
  { name: 'RedisStore', reachable: await redisAnswers(), where: 'no Redis answers PING at 127.0.0.1:6379', open: redisBackend },
  { name: 'PostgresStore', reachable: await postgresAnswers(), where: 'no PostgreSQL answers at 127.0.0.1:5432 (database test, user postgres)', open: postgresBackend },
];

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const sdk = new Webhook(SECRET);

function signedDelivery(id: string, data: unknown): { rawBody: string; headers: Record<string, string> } {
  const now = new Date();
  const rawBody = JSON.stringify({ type: 'message.received', timestamp: now.toISOString(), data });
  return {
    rawBody,
    headers: { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': sdk.sign(id, now, rawBody) },
  };
}

for (const backend of backends) {
  if (!backend.reachable && !required) {
    console.warn(`Skipping the once() tests on ${backend.name}: ${backend.where} (with CI=true they fail instead).`);
  }
  const describeOn = backend.reachable || required ? describe : describe.skip;

  describeOn(`once() on ${backend.name}`, () => {
    let opened: Backend;
    let a: DedupStore;
    let b: DedupStore;
    beforeAll(async () => {
      opened = await backend.open();
      [a, b] = opened.stores;
    });
    afterAll(async () => {
      await opened?.close();
    });

    it('runs fn once across two processes and returns the stored result, nested JSON intact, to the other', async () => {
      const created = { inboxId: 'inb_1', address: 'support@example.com', limits: { daily: 500, burst: null }, tags: ['new', 'eu'], active: true };
      const fn = vi.fn(() => created);
      expect(await once(a, 'inbox:client_1', fn)).toEqual(created);
      const other = vi.fn(() => ({ inboxId: 'inb_2' }));
      expect(await once(b, 'inbox:client_1', other)).toEqual(created);
      expect(await once(a, 'inbox:client_1', other)).toEqual(created);
      expect(fn).toHaveBeenCalledTimes(1);
      expect(other).not.toHaveBeenCalled();
    });

    it('stores no result for undefined and returns undefined to later calls', async () => {
      const fn = vi.fn(() => undefined);
      expect(await once(a, 'step:charge', fn)).toBeUndefined();
      expect(await once(b, 'step:charge', fn)).toBeUndefined();
      expect(fn).toHaveBeenCalledTimes(1);
    });

    it('returns a stored null as null, not as undefined', async () => {
      expect(await once(a, 'lookup:none', () => null)).toBeNull();
      expect(await once(b, 'lookup:none', () => 'other')).toBeNull();
    });

    it('releases the key when fn fails, so the other process runs it again as attempt 2', async () => {
      const attempts: number[] = [];
      await expect(
        once(a, 'reply:msg_fail', ({ attempt }) => {
          attempts.push(attempt);
          throw new Error('mail API answered 503');
        }),
      ).rejects.toThrow('503');
      expect(
        await once(b, 'reply:msg_fail', ({ attempt }) => {
          attempts.push(attempt);
          return 'rpl_1';
        }),
      ).toBe('rpl_1');
      expect(attempts).toEqual([1, 2]);
    });

    it('runs fn once for 10 concurrent calls split over two processes, and all get its result', async () => {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const fn = vi.fn(async () => {
        await gate;
        return { replyId: 'rpl_concurrent' };
      });
      const calls = Array.from({ length: 10 }, (_, index) => once(index % 2 === 0 ? a : b, 'reply:msg_concurrent', fn));
      await vi.waitFor(() => expect(fn).toHaveBeenCalledTimes(1));
      release();
      expect(await Promise.all(calls)).toEqual(Array.from({ length: 10 }, () => ({ replyId: 'rpl_concurrent' })));
      expect(fn).toHaveBeenCalledTimes(1);
    });

    it('rejects with ERR_HOOKGUARD_ONCE_IN_PROGRESS when the other process holds the key for the whole wait', async () => {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const slow = vi.fn(() => gate.then(() => 'rpl_slow'));
      const holder = once(a, 'reply:msg_slow', slow);
      await vi.waitFor(() => expect(slow).toHaveBeenCalledTimes(1));
      await expect(once(b, 'reply:msg_slow', () => 'never', { waitMs: 150 })).rejects.toMatchObject({ code: 'ERR_HOOKGUARD_ONCE_IN_PROGRESS' });
      release();
      expect(await holder).toBe('rpl_slow');
    });

    it('keeps once keys that differ only in a lone surrogate apart', async () => {
      expect(await once(a, 'reply:m\ud800', () => 'first')).toBe('first');
      expect(await once(b, 'reply:m\ud801', () => 'second')).toBe('second');
      expect(await once(b, 'reply:m\ud800', () => 'again')).toBe('first');
    });

    it('runs and remembers once keys holding NUL or longer than a B-tree entry', async () => {
      const nul = vi.fn(() => 'nul');
      expect(await once(a, 'reply:m\u0000', nul)).toBe('nul');
      expect(await once(b, 'reply:m\u0000', nul)).toBe('nul');
      expect(nul).toHaveBeenCalledTimes(1);
      const long = vi.fn(() => 'long');
      const key = `reply:${'m'.repeat(3_000)}`;
      expect(await once(a, key, long)).toBe('long');
      expect(await once(b, key, long)).toBe('long');
      expect(long).toHaveBeenCalledTimes(1);
    });

    it('keeps ctx.once work done for an event with a 3 000-character webhook-id when the handler fails after it', async () => {
      const sent: string[] = [];
      const namespace = `long_${run}`;
      const id = `msg_${'x'.repeat(3_000)}`;
      const receivers = [a, b].map((store, index) => {
        const receiver = createReceiver({ verifier: standardWebhooks({ secret: SECRET }), store, namespace, logger: silentLogger });
        receiver.on('message.received', async (event, ctx) => {
          await ctx.once(`reply:${event.id}`, () => {
            sent.push(event.id);
            return { replyId: 'rpl_long' };
          });
          if (index === 0) throw new Error('process A crashed after replying');
        });
        return receiver;
      });
      expect((await receivers[0]!.receive(signedDelivery(id, { to: 'a@example.com' }))).status).toBe(500);
      expect((await receivers[1]!.receive(signedDelivery(id, { to: 'a@example.com' }))).outcome).toBe('processed');
      expect(sent).toHaveLength(1);
    });

    it('refuses a result holding U+0000 or a lone surrogate up front, and the next call runs fn at once', async () => {
      await expect(once(a, 'reply:nul_result', () => ({ text: 'a\u0000b' }))).rejects.toMatchObject({ code: 'ERR_HOOKGUARD_ONCE_RESULT_NOT_JSON' });
      await expect(once(a, 'reply:nul_result', () => ['\udc00'])).rejects.toMatchObject({ code: 'ERR_HOOKGUARD_ONCE_RESULT_NOT_JSON' });
      expect(await once(b, 'reply:nul_result', () => ({ text: 'ab' }), { waitMs: 0 })).toEqual({ text: 'ab' });
    });

    it('lets two endpoints with their own namespaces each run an event id both received, and refuses to default the namespace', async () => {
      const verifier = standardWebhooks({ secret: SECRET });
      expect(() => createReceiver({ verifier, store: a, logger: silentLogger })).toThrow(/namespace: 'standard-webhooks'/);
      const ran: string[] = [];
      for (const [store, name] of [[a, 'billing'], [b, 'analytics']] as const) {
        const receiver = createReceiver({ verifier, store, namespace: `${name}_${run}`, logger: silentLogger });
        receiver.on('message.received', () => void ran.push(name));
        expect((await receiver.receive(signedDelivery('msg_both_endpoints', {}))).outcome).toBe('processed');
      }
      expect(ran).toEqual(['billing', 'analytics']);
    });

    it('does not repeat ctx.once work when a redelivery reaches the other process after a handler failure', async () => {
      const sent: string[] = [];
      const namespace = `mail_${run}`;
      const receivers = [a, b].map((store, index) => {
        const receiver = createReceiver({ verifier: standardWebhooks({ secret: SECRET }), store, namespace, logger: silentLogger });
        receiver.on('message.received', async (event, ctx) => {
          await ctx.once(`reply:${event.id}`, () => {
            sent.push(event.id);
            return { replyId: `rpl_${sent.length}` };
          });
          if (index === 0) throw new Error('process A crashed after replying');
        });
        return receiver;
      });
      const [first, second] = receivers as [(typeof receivers)[number], (typeof receivers)[number]];
      expect((await first.receive(signedDelivery('msg_redelivered', { to: 'a@example.com' }))).status).toBe(500);
      expect((await second.receive(signedDelivery('msg_redelivered', { to: 'a@example.com' }))).outcome).toBe('processed');
      expect(sent).toEqual(['msg_redelivered']);
      const record = await a.claim(`${namespace}:once:reply:msg_redelivered`, { leaseMs: 1_000, retentionMs: 60_000 });
      expect(record).toMatchObject({ status: 'completed', result: { replyId: 'rpl_1' } });
    });
  });
}
