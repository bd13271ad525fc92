import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebhookError } from '../errors/webhook-error.js';
import { silentLogger } from '../logging/logger.js';
import { MemoryStore } from '../store/memory-store.js';
import { LeaseHeartbeat } from './lease-heartbeat.js';
import { FlakyStore, json, signed, testReceiver, transactionalMemoryStore } from './receiver.fixtures.js';
import type { DedupStore } from '../store/dedup-store.js';
import type { DeliveryReport } from './types.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('leases', () => {
  it('keeps the claim of a handler running 5x longer than leaseMs alive by heartbeat', async () => {
    vi.useFakeTimers();
    const store = new MemoryStore({ now: Date.now });
    // Two receivers (two processes) sharing one store; the store's clock is the faked Date.now.
    const { receiver, clock } = testReceiver({ store, leaseMs: 1_000 });
    const { receiver: sameStore } = testReceiver({ store, leaseMs: 1_000 });
    const otherRuns = vi.fn();
    sameStore.on('job.run', otherRuns);
    let finish!: () => void;
    let signal!: AbortSignal;
    receiver.on('job.run', (_event, ctx) => {
      signal = ctx.signal;
      return new Promise<void>((resolve) => (finish = resolve));
    });
    const delivery = signed('job_1', 'job.run', clock.now());
    const running = receiver.receive(delivery);
    await vi.advanceTimersByTimeAsync(5_000);
    expect((await sameStore.receive(delivery)).status).toBe(409);
    expect(signal.aborted).toBe(false);
    finish();
    expect((await running).outcome).toBe('processed');
    expect((await sameStore.receive(delivery)).outcome).toBe('duplicate');
    expect(otherRuns).not.toHaveBeenCalled();
  });

  it('lets a redelivery take over a crashed handler once its lease lapses, as attempt 2', async () => {
    const { receiver, clock, store } = testReceiver({ leaseMs: 10_000 });
    // A process that claimed the event and died before completing or releasing it.
    await store.claim('standard-webhooks:msg_1', { leaseMs: 10_000, retentionMs: 60_000 });
    const attempts: number[] = [];
    receiver.on('message.received', (_event, ctx) => void attempts.push(ctx.attempt));
    const early = await receiver.receive(signed('msg_1', 'message.received', clock.now()));
    expect(early.status).toBe(409);
    expect(early.headers['retry-after']).toBe('10');
    clock.advance(10_001);
    expect((await receiver.receive(signed('msg_1', 'message.received', clock.now()))).outcome).toBe('processed');
    expect(attempts).toEqual([2]);
  });

  // Found in a trial: a handler that stopped at ctx.signal by returning had its event recorded as
  // handled (200, completed), since nobody had taken the event over yet. The email was never sent.
  it('gives the event back, never completed, when a handler that read ctx.signal returns after the lease lapsed', async () => {
    const { receiver, store } = renewalReceiver('hang');
    const sent: number[] = [];
    receiver.on('job.run', (_event, ctx) => {
      // Stops, without throwing, when the signal aborts; sends only when it never does.
      return new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          sent.push(ctx.attempt);
          resolve();
        }, 1_000);
        ctx.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    });
    const running = receiver.receive(signed('job_1', 'job.run', Date.now()));
    await vi.advanceTimersByTimeAsync(700);
    // The store's failure: 503 and the attempt not counted, so the provider's retry runs it again.
    expect(await running).toMatchObject({ status: 503 });
    expect(sent).toEqual([]);
    store.extendMode = 'normal';
    const retry = receiver.receive(signed('job_1', 'job.run', Date.now()));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await retry).toMatchObject({ outcome: 'processed', status: 200 });
    expect(sent).toEqual([1]);
  });

  it('completes the event when a handler that never read ctx.signal returns after the lease lapsed', async () => {
    const { receiver, store } = renewalReceiver('hang');
    const sent: number[] = [];
    receiver.on('job.run', async (_event, ctx) => {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      sent.push(ctx.attempt);
    });
    const running = receiver.receive(signed('job_1', 'job.run', Date.now()));
    await vi.advanceTimersByTimeAsync(1_000);
    // It ran to its end: nothing it could have skipped, and no one took the event over.
    expect(await running).toMatchObject({ outcome: 'processed', status: 200 });
    expect(sent).toEqual([1]);
    expect((await receiver.receive(signed('job_1', 'job.run', Date.now()))).outcome).toBe('duplicate');
  });

  it('aborts ctx.signal when the lease is lost, and reports that its completion was refused', async () => {
    vi.useFakeTimers();
    const store = new FlakyStore(new MemoryStore({ now: Date.now }));
    const reports: DeliveryReport[] = [];
    const { receiver, clock, logs } = testReceiver({ store, leaseMs: 900, onDelivery: (report) => void reports.push(report) });
    let signal!: AbortSignal;
    let finish!: () => void;
    receiver.on('job.run', (_event, ctx) => {
      signal = ctx.signal;
      return new Promise<void>((resolve) => (finish = resolve));
    });
    const running = receiver.receive(signed('job_1', 'job.run', clock.now()));
    await vi.advanceTimersByTimeAsync(10);
    // Another process took the claim over: every owner-checked write now fails.
    store.extendAnswer = false;
    const realComplete = store.complete;
    store.complete = async () => false;
    await vi.advanceTimersByTimeAsync(400);
    expect(signal.aborted).toBe(true);
    expect((signal.reason as { code?: string }).code).toBe('ERR_HOOKGUARD_LEASE_LOST');
    finish();
    expect((await running).status).toBe(200);
    expect(reports[0]).toMatchObject({ leaseLost: true });
    expect(logs.codes('warn')).toContain('ERR_HOOKGUARD_LEASE_LOST');
    store.complete = realComplete;
  });

  it('aborts ctx.signal and reports the lost lease when a failed handler’s release is refused', async () => {
    const store = new FlakyStore(new MemoryStore());
    const reports: DeliveryReport[] = [];
    const { receiver, clock } = testReceiver({ store, onDelivery: (report) => void reports.push(report) });
    let signal!: AbortSignal;
    receiver.on('job.run', (_event, ctx) => {
      signal = ctx.signal;
      // Another process took the claim over while this handler ran (it was frozen past its lease).
      store.release = async () => false;
      throw new Error('failed after its lease was taken over');
    });
    expect((await receiver.receive(signed('job_1', 'job.run', clock.now()))).status).toBe(500);
    expect(signal.aborted).toBe(true);
    expect((signal.reason as { code?: string }).code).toBe('ERR_HOOKGUARD_LEASE_LOST');
    expect(reports[0]).toMatchObject({ outcome: 'failed', leaseLost: true });
  });

  it('keeps retrying a heartbeat that fails while the store blips', async () => {
    vi.useFakeTimers();
    const store = new FlakyStore(new MemoryStore({ now: Date.now }));
    const { receiver, clock, logs } = testReceiver({ store, leaseMs: 900 });
    let finish!: () => void;
    let signal!: AbortSignal;
    receiver.on('job.run', (_event, ctx) => {
      signal = ctx.signal;
      return new Promise<void>((resolve) => (finish = resolve));
    });
    const running = receiver.receive(signed('job_1', 'job.run', clock.now()));
    await vi.advanceTimersByTimeAsync(10);
    store.down = true;
    await vi.advanceTimersByTimeAsync(350);
    store.down = false;
    await vi.advanceTimersByTimeAsync(350);
    expect(signal.aborted).toBe(false);
    expect(logs.lines.some((line) => line.message.includes('heartbeat failed'))).toBe(true);
    finish();
    expect((await running).outcome).toBe('processed');
  });
});

/** A memory store whose renewals are answered as `extendMode` says: normally, never (cut off), or with an error. */
class RenewalStore implements DedupStore {
  readonly name = 'renewal-test';
  readonly exact = true;
  readonly shared = true;
  extendMode: 'normal' | 'hang' | 'reject' = 'normal';
  /** When set, a renewal is applied when sent but answered only after this many ms. */
  answerDelayMs = 0;
  readonly extendsSent: number[] = [];
  readonly inner = new MemoryStore({ now: Date.now });

  claim: DedupStore['claim'] = (key, options) => this.inner.claim(key, options);
  complete: DedupStore['complete'] = (key, token, options) => this.inner.complete(key, token, options);
  release: DedupStore['release'] = (key, token, options) => this.inner.release(key, token, options);
  extend: DedupStore['extend'] = async (key, token, leaseMs) => {
    this.extendsSent.push(Date.now());
    if (this.extendMode === 'hang') return new Promise<boolean>(() => undefined);
    if (this.extendMode === 'reject') throw new Error('connect ETIMEDOUT 10.0.0.7:6379');
    const held = await this.inner.extend(key, token, leaseMs);
    if (this.answerDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.answerDelayMs));
    return held;
  };
}

/**
 * A receiver (namespace `mail`, lease 600 ms) on a {@link RenewalStore} answering renewals as
 * `extendMode` says, on fake timers from a fixed date.
 */
function renewalReceiver(extendMode: RenewalStore['extendMode'] = 'normal'): ReturnType<typeof testReceiver> & { store: RenewalStore } {
  vi.useFakeTimers({ now: Date.UTC(2026, 10, 28, 12) });
  const store = new RenewalStore();
  store.extendMode = extendMode;
  return { ...testReceiver({ store, namespace: 'mail', leaseMs: 600, now: Date.now }), store };
}

describe('leases without confirmed renewals', () => {
  it.each(['hang', 'reject'] as const)(
    'aborts ctx.signal before the lease can lapse when every renewal %ss, and the event is then taken over',
    async (mode) => {
      const { receiver, store, logs } = renewalReceiver(mode);
      let signal!: AbortSignal;
      receiver.on('job.run', (_event, ctx) => {
        signal = ctx.signal;
        // A handler that stops at the signal, with its reason.
        return new Promise<void>((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)));
      });
      const running = receiver.receive(signed('job_1', 'job.run', Date.now()));
      await vi.advanceTimersByTimeAsync(450);
      expect(store.extendsSent.length).toBeGreaterThan(0);
      expect(signal.aborted).toBe(false);
      // The claim was sent at 0: its lease lapses in the store at 600 at the earliest.
      await vi.advanceTimersByTimeAsync(149);
      expect(signal.aborted).toBe(true);
      expect(signal.reason).toMatchObject({ code: 'ERR_HOOKGUARD_LEASE_LOST', cause: { code: 'ERR_HOOKGUARD_STORE_UNAVAILABLE' } });
      expect(String((signal.reason as Error).message)).toMatch(/confirmed no renewal/);
      expect(logs.codes('warn')).toContain('ERR_HOOKGUARD_LEASE_LOST');
      // The store failed, not the handler: 503, so the provider retries later.
      expect((await running).status).toBe(503);
      // A takeover once the lease lapses finds the event claimable.
      await vi.advanceTimersByTimeAsync(1);
      expect(await store.claim('mail:job_1', { leaseMs: 600, retentionMs: 60_000 })).toMatchObject({ status: 'claimed' });
    },
  );

  it('counts the lease from when a renewal was sent, not from when its late answer came', async () => {
    const { receiver, store } = renewalReceiver();
    let signal!: AbortSignal;
    let finish!: () => void;
    receiver.on('job.run', (_event, ctx) => {
      signal = ctx.signal;
      return new Promise<void>((resolve) => (finish = resolve));
    });
    // The first renewal (sent at 200) is answered 'held' only at 650; every later one goes unanswered.
    store.answerDelayMs = 450;
    const running = receiver.receive(signed('job_1', 'job.run', Date.now()));
    await vi.advanceTimersByTimeAsync(201);
    store.extendMode = 'hang';
    await vi.advanceTimersByTimeAsync(500);
    // The renewal sent at 200 keeps the lease until 800 at most: counted from its answer (650) it would run to 1 250.
    expect(store.extendsSent[0]).toBe(Date.UTC(2026, 10, 28, 12) + 200);
    expect(signal.aborted).toBe(true);
    finish();
    await running;
  });

  it('keeps a lease whose renewals are confirmed, however slowly, within a third of it', async () => {
    const { receiver, store } = renewalReceiver();
    store.answerDelayMs = 150;
    let signal!: AbortSignal;
    let finish!: () => void;
    receiver.on('job.run', (_event, ctx) => {
      signal = ctx.signal;
      return new Promise<void>((resolve) => (finish = resolve));
    });
    const running = receiver.receive(signed('job_1', 'job.run', Date.now()));
    await vi.advanceTimersByTimeAsync(6_000);
    expect(signal.aborted).toBe(false);
    finish();
    expect((await running).outcome).toBe('processed');
  });
});

describe('poison events', () => {
  it('dead-letters an event after maxAttempts failures, answers 200 and hands it to onDeadLetter', async () => {
    const deadLetters: { id: string; error: unknown }[] = [];
    const { receiver, clock } = testReceiver({ maxAttempts: 3, onDeadLetter: (event, error) => void deadLetters.push({ id: event.id, error }) });
    const handler = vi.fn(() => {
      throw new Error('cannot parse this message');
    });
    receiver.on('message.received', handler);
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      const result = await receiver.receive(signed('msg_1', 'message.received', clock.now()));
      statuses.push(result.status);
      if (attempt === 2) {
        expect(result.outcome).toBe('dead_lettered');
        expect(json(result.body)).toEqual({ received: true, dead_lettered: true });
      }
    }
    expect(statuses).toEqual([500, 500, 200]);
    expect(deadLetters).toHaveLength(1);
    expect((deadLetters[0]?.error as Error).message).toBe('cannot parse this message');
    expect((await receiver.receive(signed('msg_1', 'message.received', clock.now()))).outcome).toBe('duplicate');
    expect(handler).toHaveBeenCalledTimes(3);
  });

  it('dead-letters without running again an event whose handlers crash the process every time', async () => {
    const deadLetters: string[] = [];
    const { receiver, clock, store } = testReceiver({ maxAttempts: 2, leaseMs: 1_000, onDeadLetter: (event) => void deadLetters.push(event.id) });
    const handler = vi.fn();
    receiver.on('message.received', handler);
    for (let crash = 0; crash < 2; crash++) {
      await store.claim('standard-webhooks:msg_1', { leaseMs: 1_000, retentionMs: 60_000 });
      clock.advance(1_001);
    }
    const result = await receiver.receive(signed('msg_1', 'message.received', clock.now()));
    expect(result.outcome).toBe('dead_lettered');
    expect(handler).not.toHaveBeenCalled();
    expect(deadLetters).toEqual(['msg_1']);
  });

  it('dead-letters without running again a transactional event claimed past maxAttempts (a delivery that lost the race to dead-letter it)', async () => {
    const store = transactionalMemoryStore();
    const deadLetters: string[] = [];
    const { receiver, clock } = testReceiver({ store, maxAttempts: 2, onDeadLetter: (event) => void deadLetters.push(event.id) });
    const handler = vi.fn();
    receiver.on('message.received', handler, { transaction: true });
    // Attempts 1 and 2 failed; the dead-letter step of attempt 2 found the key claimed by another delivery.
    for (let attempt = 0; attempt < 2; attempt++) {
      const claim = await store.claim('standard-webhooks:msg_1', { leaseMs: 1_000, retentionMs: 60_000 });
      if (claim.status === 'claimed') await store.release('standard-webhooks:msg_1', claim.token);
    }
    const result = await receiver.receive(signed('msg_1', 'message.received', clock.now()));
    expect(result.outcome).toBe('dead_lettered');
    expect(handler).not.toHaveBeenCalled();
    expect(deadLetters).toEqual(['msg_1']);
    expect((await receiver.receive(signed('msg_1', 'message.received', clock.now()))).outcome).toBe('duplicate');
  });

  it('answers 503, not 500, when the store loses the connection under a transactional handler', async () => {
    const connection = new AbortController();
    const { receiver, clock } = testReceiver({ store: transactionalMemoryStore(new MemoryStore(), connection), maxAttempts: 1 });
    receiver.on(
      'message.received',
      async (_event, ctx) => {
        connection.abort(new WebhookError('ERR_HOOKGUARD_LEASE_LOST', 'the connection holding the transaction was lost'));
        ctx.signal.throwIfAborted();
      },
      { transaction: true },
    );
    const result = await receiver.receive(signed('msg_1', 'message.received', clock.now()));
    expect(result.status).toBe(503);
    expect(result.headers['retry-after']).toBe('5');
    expect(json(result.body)).toEqual({ error: 'ERR_HOOKGUARD_STORE_UNAVAILABLE' });
  });

  it('answers 409, not 500, when another delivery takes a transactional event between its last failure and its dead-lettering', async () => {
    const store = transactionalMemoryStore();
    const { receiver, clock } = testReceiver({ store, maxAttempts: 2 });
    const plainClaim = store.claim;
    let otherDeliveryWinsNext = false;
    store.claim = async (key, options) => {
      if (otherDeliveryWinsNext) {
        otherDeliveryWinsNext = false;
        await plainClaim(key, options); // a concurrent delivery claims the key first
      }
      return plainClaim(key, options);
    };
    const handler = vi.fn((_event: unknown, ctx: { attempt: number }) => {
      if (ctx.attempt === 2) otherDeliveryWinsNext = true;
      throw new Error('poison');
    });
    receiver.on('message.received', handler, { transaction: true });
    expect((await receiver.receive(signed('msg_1', 'message.received', clock.now()))).status).toBe(500);
    const last = await receiver.receive(signed('msg_1', 'message.received', clock.now()));
    expect(last).toMatchObject({ outcome: 'in_progress', status: 409 });
    expect(last.headers['retry-after']).toBeDefined();
    expect(handler).toHaveBeenCalledTimes(2);
  });

  it('answers 500 and keeps the event retryable when the onDeadLetter hook itself fails', async () => {
    const { receiver, clock } = testReceiver({
      maxAttempts: 1,
      onDeadLetter: () => {
        throw new Error('dead-letter queue unreachable');
      },
    });
    receiver.on('message.received', () => {
      throw new Error('boom');
    });
    expect((await receiver.receive(signed('msg_1', 'message.received', clock.now()))).status).toBe(500);
    expect((await receiver.receive(signed('msg_1', 'message.received', clock.now()))).status).toBe(500);
  });
});

describe('the shared heartbeat ticker', () => {
  const countingStore = (): { store: MemoryStore; extends: () => number } => {
    const store = new MemoryStore();
    let calls = 0;
    const extend = store.extend.bind(store);
    store.extend = (...args) => (calls++, extend(...args));
    return { store, extends: () => calls };
  };

  it('outlives a delivery that finished, then stops at its first tick with no claim running', async () => {
    vi.useFakeTimers();
    const store = new MemoryStore({ now: Date.now });
    const heartbeat = new LeaseHeartbeat(store, 'k', 't', 600, silentLogger);
    heartbeat.stop();
    // Kept for the next delivery: an interval per delivery costs more than the rest of the heartbeat.
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('is replaced when the timer functions changed since it was made (fake timers, then real ones), so renewals still happen', async () => {
    vi.useFakeTimers();
    const faked = countingStore();
    new LeaseHeartbeat(faked.store, 'k', 't', 300, silentLogger).stop();
    vi.useRealTimers();
    const real = countingStore();
    const claim = await real.store.claim('k', { leaseMs: 300, retentionMs: 60_000 });
    const heartbeat = new LeaseHeartbeat(real.store, 'k', claim.status === 'claimed' ? claim.token : '', 300, silentLogger);
    // Renewed every second tick (a third of the lease): 200 ms; a ticker left from the fake timers would never tick.
    await new Promise((resolve) => setTimeout(resolve, 450));
    heartbeat.stop();
    expect(real.extends()).toBeGreaterThanOrEqual(1);
    expect(heartbeat.signal.aborted).toBe(false);
  });
});

describe('the heartbeat tickers where timers belong to the request (no unref: Workers)', () => {
  it('gives each claim a ticker of its own, stopped with it, so no delivery relies on a timer its runtime dropped with an earlier request', () => {
    let next = 1;
    const live = new Set<number>();
    vi.stubGlobal('setInterval', () => (live.add(next), next++));
    vi.stubGlobal('clearInterval', (id: number) => void live.delete(id));
    try {
      const store = new MemoryStore();
      const first = new LeaseHeartbeat(store, 'a', 't', 600, silentLogger);
      const second = new LeaseHeartbeat(store, 'b', 't', 600, silentLogger);
      expect(live.size).toBe(2);
      first.stop();
      expect(live.size).toBe(1);
      second.stop();
      expect(live.size).toBe(0);
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
