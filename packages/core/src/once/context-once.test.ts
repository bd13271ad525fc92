import { describe, expect, it, vi } from 'vitest';
import { FlakyStore, captureLogs, signed, testReceiver, transactionalMemoryStore } from '../receiver/receiver.fixtures.js';
import type { WebhookHandler } from '../receiver/types.js';
import { MemoryStore } from '../store/memory-store.js';
import { contextOnce } from './context-once.js';

type Reply = { replyId: string };

/** The mail API's reply endpoint, as the handlers below call it: every call is a reply sent. */
function replyApi() {
  const sent: string[] = [];
  return {
    sent,
    reply: (messageId: string): Reply => {
      sent.push(messageId);
      return { replyId: `rpl_${sent.length}` };
    },
  };
}

describe('ctx.once', () => {
  it('does not repeat a reply sent before the handler failed when the provider redelivers', async () => {
    const { receiver, clock } = testReceiver();
    const api = replyApi();
    const seen: { attempt: number; reply: Reply }[] = [];
    receiver.on('message.received', async (event, ctx) => {
      const reply = await ctx.once(`reply:${event.id}`, () => api.reply(event.id));
      seen.push({ attempt: ctx.attempt, reply });
      if (ctx.attempt === 1) throw new Error('CRM update timed out');
    });
    const first = await receiver.receive(signed('msg_1', 'message.received', clock.now()));
    expect(first.status).toBe(500);
    clock.advance(5_000);
    const retry = await receiver.receive(signed('msg_1', 'message.received', clock.now()));
    expect(retry.outcome).toBe('processed');
    expect(api.sent).toEqual(['msg_1']);
    expect(seen).toEqual([
      { attempt: 1, reply: { replyId: 'rpl_1' } },
      { attempt: 2, reply: { replyId: 'rpl_1' } },
    ]);
  });

  it('runs the work again on the redelivery when the work itself failed', async () => {
    const { receiver, clock } = testReceiver();
    const api = replyApi();
    let calls = 0;
    receiver.on('message.received', async (event, ctx) => {
      await ctx.once(`reply:${event.id}`, () => {
        calls++;
        if (calls === 1) throw new Error('mail API answered 503');
        return api.reply(event.id);
      });
    });
    expect((await receiver.receive(signed('msg_1', 'message.received', clock.now()))).status).toBe(500);
    expect((await receiver.receive(signed('msg_1', 'message.received', clock.now()))).outcome).toBe('processed');
    expect(calls).toBe(2);
    expect(api.sent).toEqual(['msg_1']);
  });

  it('stores its keys as <namespace>:once:<key>, apart from the event ids', async () => {
    const { receiver, clock, store } = testReceiver({ namespace: 'mail' });
    receiver.on('message.received', async (event, ctx) => {
      await ctx.once(event.id, () => ({ replyId: 'rpl_1' }));
    });
    await receiver.receive(signed('msg_1', 'message.received', clock.now()));
    const onceRecord = await store.claim('mail:once:msg_1', { leaseMs: 1_000, retentionMs: 1_000 });
    expect(onceRecord).toMatchObject({ status: 'completed', result: { replyId: 'rpl_1' } });
    const eventRecord = await store.claim('mail:msg_1', { leaseMs: 1_000, retentionMs: 1_000 });
    expect(eventRecord.status).toBe('completed');
    expect(eventRecord).not.toHaveProperty('result');
  });

  it('digests keys a store could not keep apart, under <namespace>:once:, never equal to an event key', async () => {
    const inner = new MemoryStore();
    const claimed: string[] = [];
    const store = Object.assign(Object.create(inner) as MemoryStore, {
      claim: (key: string, options: Parameters<MemoryStore['claim']>[1]) => {
        claimed.push(key);
        return inner.claim(key, options);
      },
    });
    const { receiver, clock } = testReceiver({ store, namespace: 'mail' });
    const replies: unknown[] = [];
    const longId = 'x'.repeat(3_000);
    receiver.on('message.received', async (event, ctx) => {
      replies.push(await ctx.once(`reply:m\ud800`, () => 'first'));
      replies.push(await ctx.once(`reply:m\ud801`, () => 'second'));
      replies.push(await ctx.once(`reply:${event.id}`, () => 'long'));
      replies.push(await ctx.once('sha256:forged', () => 'forged'));
    });
    expect((await receiver.receive(signed(longId, 'message.received', clock.now()))).outcome).toBe('processed');
    expect(replies).toEqual(['first', 'second', 'long', 'forged']);
    const [eventKey, ...onceKeys] = claimed;
    expect(eventKey).toMatch(/^mail:sha256:[\w-]{43}$/);
    for (const key of onceKeys) expect(key).toMatch(/^mail:once:sha256:[\w-]{43}$/);
    expect(new Set(onceKeys).size).toBe(4);
  });

  it('uses the transaction’s view of the store when the delivery brings one', async () => {
    const receiverStore = new MemoryStore();
    const transactionView = new MemoryStore();
    const ctxOnce = contextOnce(
      { store: receiverStore, namespace: 'mail', leaseMs: 1_000, retentionMs: 60_000, logger: captureLogs().logger },
      { signal: new AbortController().signal, store: transactionView },
    );
    expect(await ctxOnce('reply:msg_1', () => 'rpl_1')).toBe('rpl_1');
    expect(await transactionView.claim('mail:once:reply:msg_1', { leaseMs: 1_000, retentionMs: 1_000 })).toMatchObject({ status: 'completed', result: 'rpl_1' });
    expect(receiverStore.size).toBe(0);
  });

  it('answers 503 and runs nothing when the store fails under ctx.once', async () => {
    const inner = new MemoryStore();
    const store = new FlakyStore(inner);
    const { receiver, clock } = testReceiver({ store, namespace: 'mail', maxAttempts: 1 });
    const work = vi.fn(() => 'sent');
    receiver.on('message.received', async (event, ctx) => {
      store.down = true;
      await ctx.once(`reply:${event.id}`, work);
    });
    const result = await receiver.receive(signed('msg_1', 'message.received', clock.now()));
    expect(result.status).toBe(503);
    expect(result.outcome).not.toBe('dead_lettered');
    expect(work).not.toHaveBeenCalled();
  });

  it('shares results between two receivers (two processes) on one store', async () => {
    const store = new MemoryStore();
    const api = replyApi();
    const { receiver: a, clock } = testReceiver({ store });
    const { receiver: b } = testReceiver({ store });
    const handler: WebhookHandler = async (event, ctx) => {
      await ctx.once(`reply:${event.id}`, () => api.reply(event.id));
    };
    a.on('message.received', async (event, ctx) => {
      await handler(event, ctx);
      throw new Error('crashed after replying');
    });
    b.on('message.received', handler);
    expect((await a.receive(signed('msg_1', 'message.received', clock.now()))).status).toBe(500);
    expect((await b.receive(signed('msg_1', 'message.received', clock.now()))).outcome).toBe('processed');
    expect(api.sent).toEqual(['msg_1']);
  });

  it('works inside { transaction: true } handlers, outside the transaction, so a rollback does not undo it', async () => {
    const { receiver, clock } = testReceiver({ store: transactionalMemoryStore() });
    const api = replyApi();
    const dbs: unknown[] = [];
    receiver.on(
      'message.received',
      async (event, ctx) => {
        dbs.push(ctx.db);
        await ctx.once(`reply:${event.id}`, () => api.reply(event.id));
        if (ctx.attempt === 1) throw new Error('insert failed; rolled back');
      },
      { transaction: true },
    );
    expect((await receiver.receive(signed('msg_1', 'message.received', clock.now()))).status).toBe(500);
    expect((await receiver.receive(signed('msg_1', 'message.received', clock.now()))).outcome).toBe('processed');
    expect(api.sent).toEqual(['msg_1']);
    expect(dbs).toEqual(['tx-client', 'tx-client']);
  });

  it("runs the work directly, with a warning, when the store failed and onStoreError is 'process'", async () => {
    const store = new FlakyStore();
    const { receiver, clock, logs } = testReceiver({ store, onStoreError: 'process' });
    const api = replyApi();
    const replies: Reply[] = [];
    receiver.on('message.received', async (event, ctx) => {
      replies.push(await ctx.once(`reply:${event.id}`, () => api.reply(event.id)));
    });
    store.down = true;
    expect((await receiver.receive(signed('msg_1', 'message.received', clock.now()))).outcome).toBe('processed');
    expect(replies).toEqual([{ replyId: 'rpl_1' }]);
    const warning = logs.lines.find((line) => line.level === 'warn' && line.message.startsWith('ctx.once() ran fn without dedup'));
    expect(warning?.fields).toMatchObject({ code: 'ERR_HOOKGUARD_STORE_UNAVAILABLE', once: 'reply:msg_1' });
  });

  it('rejects an empty key with ERR_HOOKGUARD_INVALID_OPTIONS, failing the handler', async () => {
    const { receiver, clock } = testReceiver();
    const errors: unknown[] = [];
    receiver.onError((error) => void errors.push(error));
    const work = vi.fn();
    receiver.on('message.received', async (_event, ctx) => {
      await ctx.once('', work);
    });
    expect((await receiver.receive(signed('msg_1', 'message.received', clock.now()))).status).toBe(500);
    expect(errors).toMatchObject([{ code: 'ERR_HOOKGUARD_INVALID_OPTIONS' }]);
    expect(work).not.toHaveBeenCalled();
  });
});
