// The inline pipeline asks the memory store for its claim and completion without promises
// (immediateAnswers). These tests pin what that fast path must never change: a spied, subclassed or
// proxied memory store is called as it is; a delivery still waits for an async handler; the answers
// and the store's state are those of the promise path.
import { describe, expect, it, vi } from 'vitest';
import type { ClaimOptions, ClaimResult } from '../store/dedup-store.js';
import { immediateAnswers, MemoryStore } from '../store/memory-store.js';
import { standardWebhooks } from '../verifiers/index.js';
import { createReceiver } from './create-receiver.js';
import { SECRET, captureLogs, manualClock, signed } from './receiver.fixtures.js';

function receiverOn(store: MemoryStore, clock = manualClock()) {
  const receiver = createReceiver({ verifier: standardWebhooks({ secret: SECRET, now: clock.now }), store, now: clock.now, logger: captureLogs().logger, warnings: { WARN_HOOKGUARD_STORE_NOT_SHARED: false } });
  return { receiver, clock };
}

describe('the memory store without promises (immediateAnswers)', () => {
  it('is offered by a plain MemoryStore only', () => {
    const store = new MemoryStore();
    expect(immediateAnswers(store)).toBeDefined();
    const spied = new MemoryStore();
    vi.spyOn(spied, 'claim');
    expect(immediateAnswers(spied)).toBeUndefined();
    expect(immediateAnswers(new Proxy(new MemoryStore(), {}))).toBeUndefined();
    class Counting extends MemoryStore {
      override complete(key: string, token: string, options: { retentionMs: number }): Promise<boolean> {
        return super.complete(key, token, options);
      }
    }
    expect(immediateAnswers(new Counting())).toBeUndefined();
  });

  it('leaves a spied claim and complete to be called by every delivery', async () => {
    const store = new MemoryStore();
    const claim = vi.spyOn(store, 'claim');
    const complete = vi.spyOn(store, 'complete');
    const { receiver, clock } = receiverOn(store);
    receiver.on('message.received', () => undefined);
    expect(await receiver.receive(signed('msg_1', 'message.received', clock.now()))).toMatchObject({ outcome: 'processed' });
    expect(await receiver.receive(signed('msg_1', 'message.received', clock.now()))).toMatchObject({ outcome: 'duplicate' });
    expect(claim).toHaveBeenCalledTimes(2);
    expect(complete).toHaveBeenCalledTimes(1);
  });

  it('works through a proxy of a memory store (whose private fields the proxy does not carry)', async () => {
    const claimed: string[] = [];
    const store = new Proxy(new MemoryStore(), {
      get(target, property) {
        const value = Reflect.get(target, property, target) as unknown;
        if (property === 'claim') {
          return (key: string, options: ClaimOptions): Promise<ClaimResult> => {
            claimed.push(key);
            return target.claim(key, options);
          };
        }
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const { receiver, clock } = receiverOn(store);
    const handler = vi.fn();
    receiver.on('message.received', handler);
    expect(await receiver.receive(signed('msg_1', 'message.received', clock.now()))).toMatchObject({ outcome: 'processed', status: 200 });
    expect(await receiver.receive(signed('msg_1', 'message.received', clock.now()))).toMatchObject({ outcome: 'duplicate', status: 200 });
    expect(claimed).toHaveLength(2);
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('still waits for an async handler before completing, and a redelivery meanwhile gets 409', async () => {
    const store = new MemoryStore();
    const { receiver, clock } = receiverOn(store);
    let finish!: () => void;
    receiver.on('message.received', () => new Promise<void>((resolve) => (finish = resolve)));
    const first = receiver.receive(signed('msg_1', 'message.received', clock.now()));
    await vi.waitFor(() => expect(finish).toBeTypeOf('function'));
    expect(await receiver.receive(signed('msg_1', 'message.received', clock.now()))).toMatchObject({ outcome: 'in_progress', status: 409 });
    finish();
    expect(await first).toMatchObject({ outcome: 'processed', status: 200 });
    expect(await receiver.receive(signed('msg_1', 'message.received', clock.now()))).toMatchObject({ outcome: 'duplicate' });
  });

  it('releases the claim of a handler that threw synchronously, so the retry runs it again', async () => {
    const store = new MemoryStore();
    const { receiver, clock } = receiverOn(store);
    let calls = 0;
    receiver.on('message.received', () => {
      if (++calls === 1) throw new Error('first attempt fails');
    });
    expect(await receiver.receive(signed('msg_1', 'message.received', clock.now()))).toMatchObject({ outcome: 'failed', status: 500 });
    expect(await receiver.receive(signed('msg_1', 'message.received', clock.now()))).toMatchObject({ outcome: 'processed', status: 200 });
    expect(calls).toBe(2);
  });

  it('answers 503 from a closed store, whose claim now throws instead of rejecting', async () => {
    const store = new MemoryStore();
    const { receiver, clock } = receiverOn(store);
    const handler = vi.fn();
    receiver.on('message.received', handler);
    await store.close();
    await expect(store.claim('k', { leaseMs: 1000, retentionMs: 1000 })).rejects.toMatchObject({ code: 'ERR_HOOKGUARD_STORE_UNAVAILABLE' });
    expect(await receiver.receive(signed('msg_1', 'message.received', clock.now()))).toMatchObject({ outcome: 'unavailable', status: 503 });
    expect(handler).not.toHaveBeenCalled();
  });

  it('rejects, never throws, when complete() cannot serialise its result', async () => {
    const store = new MemoryStore();
    const claim = await store.claim('k', { leaseMs: 1000, retentionMs: 1000 });
    if (claim.status !== 'claimed') throw new Error('expected a claim');
    const circular: Record<string, unknown> = {};
    circular['self'] = circular;
    let returned: Promise<boolean> | undefined;
    expect(() => (returned = store.complete('k', claim.token, { retentionMs: 1000, result: circular }))).not.toThrow();
    await expect(returned).rejects.toThrow(TypeError);
  });
});
