import { describe, expect, it, vi } from 'vitest';
import type { DedupStore } from '../store/dedup-store.js';
import { MemoryStore } from '../store/memory-store.js';
import { FlakyStore, json, signed, testReceiver } from './receiver.fixtures.js';

/** A store whose `ctx.once` records (`<namespace>:once:…`) fail while the event's own key works. */
class OnceKeysDownStore extends FlakyStore {
  override claim: DedupStore['claim'] = (key, options) => {
    this.calls.push(`claim ${key}`);
    return key.includes(':once:') ? Promise.reject(new Error('CLUSTERDOWN the shard of the once key is down')) : this.inner.claim(key, options);
  };
}

describe('handler deadline (handlerTimeoutMs)', () => {
  it('aborts ctx.signal, releases the claim and answers 500 when a handler never settles, so the retry runs it', async () => {
    vi.useFakeTimers();
    try {
      const { receiver, clock } = testReceiver({ handlerTimeoutMs: 5_000, leaseMs: 60_000 });
      const signals: AbortSignal[] = [];
      let calls = 0;
      receiver.on('message.received', (_event, ctx) => {
        calls++;
        signals.push(ctx.signal);
        // The first run hangs forever; the retry succeeds.
        return calls === 1 ? new Promise(() => undefined) : undefined;
      });
      const first = receiver.receive(signed('msg_1', 'message.received', clock.now()));
      await vi.advanceTimersByTimeAsync(5_001);
      const result = await first;
      expect(result).toMatchObject({ outcome: 'failed', status: 500, body: '{"error":"ERR_HOOKGUARD_HANDLER_TIMEOUT"}' });
      expect(result.error).toMatchObject({ code: 'ERR_HOOKGUARD_HANDLER_TIMEOUT', cause: { code: 'ERR_HOOKGUARD_HANDLER_TIMEOUT' } });
      expect(signals[0]?.aborted).toBe(true);
      expect(signals[0]?.reason).toMatchObject({ code: 'ERR_HOOKGUARD_HANDLER_TIMEOUT' });
      // Released at once: the redelivery runs at attempt 2 instead of waiting out a 60 s lease.
      const retry = await receiver.receive(signed('msg_1', 'message.received', clock.now()));
      expect(retry).toMatchObject({ outcome: 'processed', status: 200 });
      expect(calls).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('covers onError hooks too: a hung hook cannot hold the event', async () => {
    vi.useFakeTimers();
    try {
      const { receiver, clock } = testReceiver({ handlerTimeoutMs: 1_000 });
      receiver.on('message.received', () => {
        throw new Error('boom');
      });
      receiver.onError(() => new Promise(() => undefined));
      const first = receiver.receive(signed('msg_1', 'message.received', clock.now()));
      await vi.advanceTimersByTimeAsync(1_001);
      expect(await first).toMatchObject({ outcome: 'failed', status: 500 });
      // Not 409: the claim was given back.
      const again = receiver.receive(signed('msg_1', 'message.received', clock.now()));
      await vi.advanceTimersByTimeAsync(1_001);
      expect(await again).toMatchObject({ status: 500 });
    } finally {
      vi.useRealTimers();
    }
  });

  it('refuses a deadline a timer cannot hold', () => {
    expect(() => testReceiver({ handlerTimeoutMs: 2 ** 31 })).toThrow(/handlerTimeoutMs/);
    expect(() => testReceiver({ handlerTimeoutMs: 0 })).toThrow(/handlerTimeoutMs/);
  });
});

describe('thrown values that cannot be described', () => {
  const hostile: [string, () => unknown][] = [
    ['a null-prototype object', () => Object.create(null)],
    [
      'an Error whose message getter throws',
      () => {
        const error = new Error('x');
        Object.defineProperty(error, 'message', {
          get() {
            throw new Error('getter');
          },
        });
        return error;
      },
    ],
  ];

  it.each(hostile)('answers 500 and releases the claim when a handler throws %s', async (_name, make) => {
    const { receiver, clock } = testReceiver();
    let calls = 0;
    receiver.on('message.received', () => {
      calls++;
      if (calls === 1) throw make();
    });
    const first = await receiver.receive(signed('msg_1', 'message.received', clock.now()));
    expect(first).toMatchObject({ outcome: 'failed', status: 500 });
    expect(json(first.body)).toEqual({ error: 'ERR_HOOKGUARD_HANDLER_FAILED' });
    // The claim was released, not left held for a whole lease.
    expect(await receiver.receive(signed('msg_1', 'message.received', clock.now()))).toMatchObject({ outcome: 'processed' });
  });

  it.each(hostile)('answers 500 and releases the claim when an onError hook throws %s', async (_name, make) => {
    const { receiver, clock } = testReceiver();
    receiver.on('message.received', () => {
      throw new Error('boom');
    });
    receiver.onError(() => {
      throw make();
    });
    const first = await receiver.receive(signed('msg_1', 'message.received', clock.now()));
    expect(first).toMatchObject({ outcome: 'failed', status: 500 });
    const again = await receiver.receive(signed('msg_1', 'message.received', clock.now()));
    expect(again).toMatchObject({ outcome: 'failed', status: 500 });
  });
});

describe('a store failure inside ctx.once', () => {
  it('answers 503, does not count the attempt and never dead-letters, though maxAttempts is 1', async () => {
    const store = new OnceKeysDownStore(new MemoryStore());
    const onDeadLetter = vi.fn();
    const { receiver, clock } = testReceiver({ store, maxAttempts: 2, onDeadLetter });
    const attempts: number[] = [];
    receiver.on('message.received', async (_event, ctx) => {
      attempts.push(ctx.attempt);
      await ctx.once('reply:1', () => 'sent');
    });
    for (let delivery = 0; delivery < 3; delivery++) {
      const result = await receiver.receive(signed('msg_1', 'message.received', clock.now()));
      expect(result).toMatchObject({ outcome: 'unavailable', status: 503 });
      expect(result.headers['retry-after']).toBe('5');
      expect(json(result.body)).toEqual({ error: 'ERR_HOOKGUARD_STORE_UNAVAILABLE' });
    }
    expect(attempts).toEqual([1, 1, 1]);
    expect(onDeadLetter).not.toHaveBeenCalled();
  });

  it('still counts a store failure that a handler caught and replaced with its own error as that error', async () => {
    const store = new OnceKeysDownStore(new MemoryStore());
    const { receiver, clock } = testReceiver({ store });
    receiver.on('message.received', async (_event, ctx) => {
      try {
        await ctx.once('reply:1', () => 'sent');
      } catch {
        throw new Error('the handler decided this is its own failure');
      }
    });
    const result = await receiver.receive(signed('msg_1', 'message.received', clock.now()));
    expect(result).toMatchObject({ outcome: 'failed', status: 500 });
  });
});

describe('dead letters', () => {
  it("hands onDeadLetter the handler's last real error when an earlier onDeadLetter call threw", async () => {
    const failure = new TypeError('the model returned no draft');
    const received: unknown[] = [];
    const onDeadLetter = vi.fn((_event: unknown, error: unknown) => {
      received.push(error);
      if (received.length === 1) throw new Error('the dead-letter table is down');
    });
    const { receiver: withHook, clock } = testReceiver({ maxAttempts: 2, onDeadLetter });
    withHook.on('message.received', () => {
      throw failure;
    });
    expect(await withHook.receive(signed('msg_1', 'message.received', clock.now()))).toMatchObject({ status: 500 });
    // The last allowed attempt: onDeadLetter throws, so the event is released for the provider to retry.
    expect(await withHook.receive(signed('msg_1', 'message.received', clock.now()))).toMatchObject({ status: 500 });
    // The retry is past maxAttempts: dead-lettered without running, with the real error.
    expect(await withHook.receive(signed('msg_1', 'message.received', clock.now()))).toMatchObject({ outcome: 'dead_lettered', status: 200 });
    expect(received).toEqual([failure, failure]);
  });

  it('hands onDeadLetter the error another process recorded, through the store', async () => {
    const shared = new MemoryStore();
    const failure = new TypeError('the model returned no draft');
    const first = testReceiver({ store: shared, maxAttempts: 1, onDeadLetter: () => Promise.reject(new Error('down')) });
    first.receiver.on('message.received', () => {
      throw failure;
    });
    expect(await first.receiver.receive(signed('msg_1', 'message.received', first.clock.now()))).toMatchObject({ status: 500 });
    const errors: unknown[] = [];
    const second = testReceiver({ store: shared, maxAttempts: 1, onDeadLetter: (_event, error) => void errors.push(error) });
    second.receiver.on('message.received', () => {
      throw new Error('never runs: past maxAttempts');
    });
    expect(await second.receiver.receive(signed('msg_1', 'message.received', first.clock.now()))).toMatchObject({ outcome: 'dead_lettered' });
    expect(errors).toHaveLength(1);
    expect(String((errors[0] as Error).message)).toContain('TypeError: the model returned no draft');
  });
});
