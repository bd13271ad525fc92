import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebhookError, isWebhookError } from '../errors/webhook-error.js';
import { captureLogs } from '../receiver/receiver.fixtures.js';
import type { DedupStore } from '../store/dedup-store.js';
import { MemoryStore } from '../store/memory-store.js';
import { whyNotJson } from './json-result.js';
import { once, type OnceWork } from './once.js';

afterEach(() => {
  vi.useRealTimers();
});

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A store that forwards to `inner`, with some members replaced. */
function wrap(inner: DedupStore, overrides: Partial<DedupStore>): DedupStore {
  return {
    name: inner.name,
    exact: inner.exact,
    shared: inner.shared,
    claim: (key, options) => inner.claim(key, options),
    complete: (key, token, options) => inner.complete(key, token, options),
    release: (key, token) => inner.release(key, token),
    extend: (key, token, leaseMs) => inner.extend(key, token, leaseMs),
    ...overrides,
  };
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return isWebhookError(error) ? error.code : `not a WebhookError: ${String(error)}`;
  }
  return undefined;
}

describe('once()', () => {
  it('runs fn once and returns its stored result to later calls', async () => {
    const store = new MemoryStore();
    const fn = vi.fn(() => ({ inboxId: 'inb_1', address: 'a@example.com', tags: ['new'] }));
    const first = await once(store, 'inbox:client_1', fn);
    const later = vi.fn(() => ({ inboxId: 'inb_2', address: 'b@example.com', tags: [] }));
    const second = await once(store, 'inbox:client_1', later);
    const third = await once(store, 'inbox:client_1', later);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(later).not.toHaveBeenCalled();
    expect(first).toEqual({ inboxId: 'inb_1', address: 'a@example.com', tags: ['new'] });
    expect(second).toEqual(first);
    expect(third).toEqual(first);
  });

  it('keeps keys apart: another key runs its own fn', async () => {
    const store = new MemoryStore();
    expect(await once(store, 'reply:msg_1', () => 'rpl_1')).toBe('rpl_1');
    expect(await once(store, 'reply:msg_2', () => 'rpl_2')).toBe('rpl_2');
    expect(await once(store, 'reply:msg_1', () => 'rpl_3')).toBe('rpl_1');
  });

  it('stores no result for undefined, and later calls get undefined without running fn', async () => {
    const store = new MemoryStore();
    const fn = vi.fn(async () => undefined);
    expect(await once(store, 'step:charge', fn)).toBeUndefined();
    expect(await once(store, 'step:charge', fn)).toBeUndefined();
    expect(fn).toHaveBeenCalledTimes(1);
    const claim = await store.claim('once:step:charge', { leaseMs: 1_000, retentionMs: 1_000 });
    expect(claim).toEqual({ status: 'completed', fingerprintMatches: undefined });
  });

  it('releases the key when fn throws and rethrows its error, so a later call runs fn again as attempt 2', async () => {
    const store = new MemoryStore();
    const failure = new Error('smtp 421: try again later');
    const attempts: number[] = [];
    await expect(
      once(store, 'reply:msg_1', ({ attempt }) => {
        attempts.push(attempt);
        throw failure;
      }),
    ).rejects.toBe(failure);
    const result = await once(store, 'reply:msg_1', ({ attempt }) => {
      attempts.push(attempt);
      return { replyId: 'rpl_1' };
    });
    expect(result).toEqual({ replyId: 'rpl_1' });
    expect(attempts).toEqual([1, 2]);
  });

  it('runs fn once for 10 concurrent calls and gives all of them its result', async () => {
    const store = new MemoryStore();
    const gate = deferred();
    const fn = vi.fn(async () => {
      await gate.promise;
      return { replyId: 'rpl_1' };
    });
    const calls = Array.from({ length: 10 }, () => once(store, 'reply:msg_1', fn));
    await vi.waitFor(() => expect(fn).toHaveBeenCalledTimes(1));
    gate.resolve();
    const results = await Promise.all(calls);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(results).toEqual(Array.from({ length: 10 }, () => ({ replyId: 'rpl_1' })));
  });

  it('rejects with ERR_HOOKGUARD_ONCE_IN_PROGRESS when another call holds the key for the whole waitMs', async () => {
    vi.useFakeTimers();
    const store = new MemoryStore({ now: Date.now });
    const gate = deferred<string>();
    const holder = once(store, 'reply:msg_1', () => gate.promise, { leaseMs: 10_000 });
    await vi.advanceTimersByTimeAsync(1);
    const second = vi.fn(() => 'never');
    const waiting = codeOf(once(store, 'reply:msg_1', second, { waitMs: 2_000 }));
    await vi.advanceTimersByTimeAsync(2_000);
    expect(await waiting).toBe('ERR_HOOKGUARD_ONCE_IN_PROGRESS');
    expect(second).not.toHaveBeenCalled();
    gate.resolve('rpl_1');
    expect(await holder).toBe('rpl_1');
  });

  it('says in the in-progress error which key it waited for and how to fix it', async () => {
    const store = new MemoryStore();
    const gate = deferred();
    const holder = once(store, 'reply:msg_1', () => gate.promise);
    await expect(once(store, 'reply:msg_1', () => 'x', { waitMs: 0 })).rejects.toThrow(/reply:msg_1.*raise waitMs/s);
    gate.resolve();
    await holder;
  });

  it('keeps the lease alive by heartbeat while fn runs 5x longer than leaseMs, so nobody takes it over', async () => {
    vi.useFakeTimers();
    const store = new MemoryStore({ now: Date.now });
    const gate = deferred<string>();
    let signal!: AbortSignal;
    const holder = once(
      store,
      'job:1',
      (context) => {
        signal = context.signal;
        return gate.promise;
      },
      { leaseMs: 1_000 },
    );
    await vi.advanceTimersByTimeAsync(5_000);
    const other = vi.fn(() => 'taken over');
    const waiting = once(store, 'job:1', other, { leaseMs: 1_000 });
    await vi.advanceTimersByTimeAsync(500);
    expect(other).not.toHaveBeenCalled();
    expect(signal.aborted).toBe(false);
    gate.resolve('done');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await holder).toBe('done');
    expect(await waiting).toBe('done');
    expect(other).not.toHaveBeenCalled();
  });

  it('takes over the key of a call that crashed once its lease lapses, as attempt 2', async () => {
    vi.useFakeTimers();
    const store = new MemoryStore({ now: Date.now });
    // A process that claimed the step and died before completing or releasing it.
    await store.claim('once:step:provision', { leaseMs: 3_000, retentionMs: 60_000 });
    const attempts: number[] = [];
    const running = once(store, 'step:provision', ({ attempt }) => {
      attempts.push(attempt);
      return 'provisioned';
    });
    await vi.advanceTimersByTimeAsync(3_100);
    expect(await running).toBe('provisioned');
    expect(attempts).toEqual([2]);
  });

  it('releases the key without running fn when the signal aborted while claiming', async () => {
    const store = new MemoryStore();
    const controller = new AbortController();
    const fn = vi.fn(() => 'x');
    const running = once(store, 'reply:msg_1', fn, { signal: controller.signal });
    controller.abort(new Error('shutting down'));
    await expect(running).rejects.toThrow('shutting down');
    expect(fn).not.toHaveBeenCalled();
    expect(await once(store, 'reply:msg_1', () => 'sent')).toBe('sent');
  });

  it('stops waiting with the signal reason when the signal aborts', async () => {
    const store = new MemoryStore();
    const gate = deferred();
    const holder = once(store, 'reply:msg_1', () => gate.promise);
    const controller = new AbortController();
    const waiting = once(store, 'reply:msg_1', () => 'x', { signal: controller.signal });
    controller.abort(new Error('shutting down'));
    await expect(waiting).rejects.toThrow('shutting down');
    gate.resolve();
    await holder;
  });

  it('passes fn a signal that aborts with the caller signal', async () => {
    const store = new MemoryStore();
    const controller = new AbortController();
    const started = deferred();
    const running = once(
      store,
      'reply:msg_1',
      ({ signal }) =>
        new Promise((_resolve, reject) => {
          signal.addEventListener('abort', () => reject(signal.reason));
          started.resolve();
        }),
      { signal: controller.signal },
    );
    await started.promise;
    controller.abort(new Error('client went away'));
    await expect(running).rejects.toThrow('client went away');
    // The failed run released the key.
    expect(await once(store, 'reply:msg_1', () => 'sent')).toBe('sent');
  });

  it('rejects a result JSON cannot store with ERR_HOOKGUARD_ONCE_RESULT_NOT_JSON and releases the key', async () => {
    const store = new MemoryStore();
    // TypeScript refuses this result type (JsonData); a JavaScript caller, or a result typed `any`, gets here.
    const returnsDate = (() => ({ id: 'inb_1', createdAt: new Date(0) })) as OnceWork<unknown>;
    const error = await once(store, 'inbox:client_1', returnsDate).catch((caught: unknown) => caught);
    expect(isWebhookError(error) && error.code).toBe('ERR_HOOKGUARD_ONCE_RESULT_NOT_JSON');
    expect(String(error)).toMatch(/result\.createdAt is a Date.*toISOString/);
    expect(await once(store, 'inbox:client_1', () => ({ id: 'inb_1', createdAt: new Date(0).toISOString() }))).toEqual({
      id: 'inb_1',
      createdAt: '1970-01-01T00:00:00.000Z',
    });
  });

  it('refuses a result holding U+0000 or a lone surrogate up front, releasing the key', async () => {
    const store = new MemoryStore();
    const error = await once(store, 'reply:msg_1', () => ({ body: 'line\u0000' })).catch((caught: unknown) => caught);
    expect(isWebhookError(error) && error.code).toBe('ERR_HOOKGUARD_ONCE_RESULT_NOT_JSON');
    expect(String(error)).toMatch(/result\.body holds U\+0000/);
    const surrogate = await once(store, 'reply:msg_1', () => ['\ud800']).catch((caught: unknown) => caught);
    expect(String(surrogate)).toMatch(/result\[0\] holds a lone surrogate/);
    expect(await once(store, 'reply:msg_1', () => 'stored')).toBe('stored');
  });

  it('refuses an inexact store before running fn, since a false positive would skip it', async () => {
    const store = wrap(new MemoryStore(), { name: 'bloom', exact: false });
    const fn = vi.fn(() => 'x');
    expect(await codeOf(once(store, 'reply:msg_1', fn))).toBe('ERR_HOOKGUARD_UNSUPPORTED');
    expect(fn).not.toHaveBeenCalled();
  });

  it('surfaces a store that cannot keep results as ERR_HOOKGUARD_UNSUPPORTED and releases the key', async () => {
    const inner = new MemoryStore();
    const store = wrap(inner, {
      name: 'no-results',
      complete: (key, token, options) =>
        options.result === undefined
          ? inner.complete(key, token, options)
          : Promise.reject(new WebhookError('ERR_HOOKGUARD_UNSUPPORTED', 'this store keeps no values')),
    });
    const error = await once(store, 'reply:msg_1', () => 'rpl_1').catch((caught: unknown) => caught);
    expect(isWebhookError(error) && error.code).toBe('ERR_HOOKGUARD_UNSUPPORTED');
    expect(String(error)).toMatch(/no-results.*cannot keep results/);
    // Released: a result-less run can still complete.
    expect(await once(store, 'reply:msg_1', () => undefined)).toBeUndefined();
  });

  it('returns the result and logs when the store fails to record completion', async () => {
    const inner = new MemoryStore();
    const { logger, codes } = captureLogs();
    const store = wrap(inner, { complete: () => Promise.reject(new Error('connect ECONNREFUSED')) });
    expect(await once(store, 'reply:msg_1', () => 'rpl_1', { logger })).toBe('rpl_1');
    expect(codes('error')).toEqual(['ERR_HOOKGUARD_STORE_UNAVAILABLE']);
  });

  it('rejects invalid arguments with ERR_HOOKGUARD_INVALID_OPTIONS before claiming', async () => {
    const store = new MemoryStore();
    expect(await codeOf(once(store, '', () => 1))).toBe('ERR_HOOKGUARD_INVALID_OPTIONS');
    expect(await codeOf(once(store, 'k', 'not a function' as never))).toBe('ERR_HOOKGUARD_INVALID_OPTIONS');
    expect(await codeOf(once(store, 'k', () => 1, { leaseMs: 0 }))).toBe('ERR_HOOKGUARD_INVALID_OPTIONS');
    expect(await codeOf(once(store, 'k', () => 1, { waitMs: -1 }))).toBe('ERR_HOOKGUARD_INVALID_OPTIONS');
    expect(store.size).toBe(0);
  });
});

/** A memory store that records the keys it is asked to claim. */
function recordingStore(inner = new MemoryStore()): { store: DedupStore; keys: string[] } {
  const keys: string[] = [];
  return {
    keys,
    store: wrap(inner, {
      claim: (key, options) => {
        keys.push(key);
        return inner.claim(key, options);
      },
    }),
  };
}

describe('once() keys in the store', () => {
  it("keeps a plain key as it is, after 'once:', which no event key or ctx.once key starts with", async () => {
    const { store, keys } = recordingStore();
    await once(store, 'inbox:client_1', () => 'inb_1');
    expect(keys).toEqual(['once:inbox:client_1']);
  });

  it.each([
    ['lone surrogates', 'reply:m\ud800', 'reply:m\ud801'],
    ['NUL characters', 'reply:m\u0000a', 'reply:m\u0000b'],
    ['other control characters', 'reply:m\na', 'reply:m\nb'],
    ['more than 200 characters', `reply:${'x'.repeat(3_000)}a`, `reply:${'x'.repeat(3_000)}b`],
    ['the digest form', 'sha256:abc', 'sha256:abd'],
  ])('stores keys holding %s as distinct sha256 digests, as event ids', async (_name, first, second) => {
    const { store, keys } = recordingStore();
    expect(await once(store, first, () => 'first')).toBe('first');
    expect(await once(store, second, () => 'second')).toBe('second');
    expect(await once(store, first, () => 'again')).toBe('first');
    expect(keys[0]).toMatch(/^once:sha256:[\w-]{43}$/);
    expect(keys[1]).toMatch(/^once:sha256:[\w-]{43}$/);
    expect(keys[0]).not.toBe(keys[1]);
    expect(keys[2]).toBe(keys[0]);
  });
});

describe('once() and store failures', () => {
  it('rejects with ERR_HOOKGUARD_STORE_UNAVAILABLE, the store error as cause, without running fn', async () => {
    const outage = new Error('connect ECONNREFUSED 127.0.0.1:6379');
    const store = wrap(new MemoryStore(), { name: 'redis', claim: () => Promise.reject(outage) });
    const fn = vi.fn(() => 'x');
    const error = await once(store, 'reply:msg_1', fn).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'ERR_HOOKGUARD_STORE_UNAVAILABLE', status: 503, cause: outage });
    expect(String(error)).toMatch(/once\('reply:msg_1'\): the 'redis' store failed \(Error: connect ECONNREFUSED/);
    expect(fn).not.toHaveBeenCalled();
  });

  it('passes through a coded error the store raised on purpose', async () => {
    const refusal = new WebhookError('ERR_HOOKGUARD_UNSUPPORTED', 'no once records here');
    const store = wrap(new MemoryStore(), { claim: () => Promise.reject(refusal) });
    await expect(once(store, 'reply:msg_1', () => 'x')).rejects.toBe(refusal);
  });

  it('describes a store failure that cannot be described, instead of failing on it', async () => {
    const store = wrap(new MemoryStore(), { claim: () => Promise.reject(Object.create(null)) });
    await expect(once(store, 'reply:msg_1', () => 'x')).rejects.toMatchObject({ code: 'ERR_HOOKGUARD_STORE_UNAVAILABLE' });
  });

  it.each(['hang', 'reject'] as const)('aborts fn’s signal once no renewal was confirmed for the lease, when renewals %s', async (mode) => {
    vi.useFakeTimers();
    const inner = new MemoryStore({ now: Date.now });
    const store = wrap(inner, {
      extend: () => (mode === 'hang' ? new Promise<boolean>(() => undefined) : Promise.reject(new Error('connect ETIMEDOUT'))),
    });
    let signal!: AbortSignal;
    const gate = deferred<string>();
    const running = once(
      store,
      'reply:msg_1',
      (context) => {
        signal = context.signal;
        return gate.promise;
      },
      { leaseMs: 600, logger: captureLogs().logger },
    );
    await vi.advanceTimersByTimeAsync(450);
    expect(signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(149);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toMatchObject({ code: 'ERR_HOOKGUARD_LEASE_LOST' });
    gate.resolve('late');
    await running;
  });
});

describe('once() durations', () => {
  it.each([
    ['leaseMs', { leaseMs: 2 ** 31 }, /leaseMs must be an integer number of milliseconds from 10 to 2147483647/],
    ['leaseMs', { leaseMs: 6 * 2 ** 31 }, /leaseMs.*received 12884901888/],
    ['leaseMs', { leaseMs: 9 }, /leaseMs.*from 10/],
    ['waitMs', { waitMs: 2 ** 31 }, /waitMs must be an integer number of milliseconds from 0 to 2147483647/],
    ['waitMs', { waitMs: 1.5 }, /waitMs/],
    ['retentionMs', { retentionMs: 0 }, /retentionMs/],
  ])('refuses %s out of range before claiming: %o', async (_name, options, message) => {
    const store = new MemoryStore();
    const error = await once(store, 'k', () => 1, options).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'ERR_HOOKGUARD_INVALID_OPTIONS' });
    expect(String(error)).toMatch(message);
    expect(store.size).toBe(0);
  });

  it('accepts the longest lease and wait a timer can take, and retentions beyond 24.8 days', async () => {
    const store = new MemoryStore();
    expect(await once(store, 'k', () => 1, { leaseMs: 2 ** 31 - 1, waitMs: 2 ** 31 - 1, retentionMs: 30 * 24 * 3_600_000 })).toBe(1);
  });
});

describe('whyNotJson()', () => {
  it('accepts plain JSON data, including object properties that are undefined', () => {
    expect(whyNotJson({ a: [1, 'two', true, null, { b: -0.5 }], c: undefined, 'd-e': {} })).toBeUndefined();
    expect(whyNotJson(Object.assign(Object.create(null) as object, { a: 1 }))).toBeUndefined();
  });

  it.each([
    [{ at: new Date(0) }, 'result.at is a Date'],
    [{ seen: new Map() }, 'result.seen is a Map'],
    [[1, undefined], 'result[1] is undefined'],
    [{ n: Number.NaN }, 'result.n is NaN'],
    [{ big: 1n }, 'result.big is a bigint'],
    [{ 'x-y': () => 1 }, 'result["x-y"] is a function'],
  ])('names what JSON would change in %o', (value, reason) => {
    expect(whyNotJson(value)).toContain(reason);
  });

  it.each([
    [{ text: 'a\u0000b' }, 'result.text holds U+0000 (NUL) at index 1'],
    [{ items: ['ok', 'x\ud800'] }, 'result.items[1] holds a lone surrogate (\\ud800) at index 1'],
    [{ nested: { s: '\udc01tail' } }, 'result.nested.s holds a lone surrogate (\\udc01) at index 0'],
    ['\u0000', 'result holds U+0000 (NUL)'],
    [{ ['k\u0000']: 1 }, 'the property name of result["k\\u0000"] holds U+0000'],
    [{ ['\ud83d']: 1 }, 'the property name of result["\\ud83d"] holds a lone surrogate'],
  ])('names a string PostgreSQL jsonb cannot store, with its path, in %o', (value, reason) => {
    expect(whyNotJson(value)).toContain(reason);
  });

  it('accepts surrogate pairs and other control characters, which every store keeps', () => {
    expect(whyNotJson({ emoji: '😀 \ud83d\ude00', tab: 'a\tb\u0001', ['😀']: 'x' })).toBeUndefined();
  });

  it('names a circular reference', () => {
    const value: { self?: unknown } = {};
    value.self = { back: value };
    expect(whyNotJson(value)).toBe('result.self.back is a circular reference');
  });

  it('accepts the same object twice when it is not a cycle', () => {
    const shared = { a: 1 };
    expect(whyNotJson({ left: shared, right: shared })).toBeUndefined();
  });
});
