import { isWebhookError } from '@hookguard/core';
import { describeStoreContract } from '@hookguard/core/testing/contracts';
import { describe, expect, it } from 'vitest';
import { BloomStore, type BloomStoreOptions } from './bloom-store.js';

function manualClock(start = 1_700_000_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

const LEASE = { leaseMs: 1000, retentionMs: 3000 };

async function completeKey(store: BloomStore, key: string): Promise<void> {
  const claim = await store.claim(key, LEASE);
  if (claim.status !== 'claimed') throw new Error(`expected ${key} to be claimed, got ${claim.status}`);
  expect(await store.complete(key, claim.token, { retentionMs: LEASE.retentionMs })).toBe(true);
}

async function statusOf(store: BloomStore, key: string): Promise<string> {
  const claim = await store.claim(key, LEASE);
  if (claim.status === 'claimed') await store.release(key, claim.token);
  return claim.status;
}

// retentionMs 1000 with 3 generations: a window of 500 ms, the most an id outlives its retention.
describeStoreContract('BloomStore', {
  setup() {
    const clock = manualClock();
    const store = new BloomStore({ expectedItems: 10_000, falsePositiveRate: 1e-9, retentionMs: 1000, generations: 3, now: clock.now });
    return { store, advance: async (ms) => clock.advance(ms), teardown: () => store.close() };
  },
  supportsResults: false,
  supportsFingerprints: false,
  retentionSlackMs: 500,
});

describe('BloomStore', () => {
  const options = (clock: { now: () => number }, extra: Partial<BloomStoreOptions> = {}): BloomStoreOptions => ({
    expectedItems: 3000,
    falsePositiveRate: 1e-9,
    retentionMs: 3000,
    generations: 4,
    now: clock.now,
    ...extra,
  });

  it('describes itself as inexact, not shared, named bloom', () => {
    const store = new BloomStore(options(manualClock()));
    expect({ name: store.name, exact: store.exact, shared: store.shared }).toEqual({ name: 'bloom', exact: false, shared: false });
  });

  it('adds an id to the filter only on complete, never on claim or release', async () => {
    const store = new BloomStore(options(manualClock()));
    const claim = await store.claim('k', LEASE);
    expect(claim.status).toBe('claimed');
    expect(store.stats().generations.reduce((sum, generation) => sum + generation.items, 0)).toBe(0);
    if (claim.status === 'claimed') await store.release('k', claim.token);
    expect(store.stats().generations.at(-1)?.items).toBe(0);
    expect(await store.claim('k', LEASE)).toMatchObject({ status: 'claimed', attempt: 2 });
  });

  it('explains why it refuses a result and keeps the claim', async () => {
    const store = new BloomStore(options(manualClock()));
    const claim = await store.claim('k', LEASE);
    if (claim.status !== 'claimed') throw new Error('expected a claim');
    const error = await store.complete('k', claim.token, { retentionMs: 3000, result: { id: 1 } }).catch((e: unknown) => e);
    expect(isWebhookError(error) && error.code).toBe('ERR_HOOKGUARD_UNSUPPORTED');
    expect((error as Error).message).toMatch(/cannot store a result/);
    expect(await store.complete('k', claim.token, { retentionMs: 3000 })).toBe(true);
  });

  it('remembers an id at least retentionMs and at most one window longer, wherever in the window it completed', async () => {
    // retentionMs 3000, 4 generations: window 1000.
    for (const offset of [0, 1, 499, 999]) {
      const clock = manualClock();
      const store = new BloomStore(options(clock));
      clock.advance(offset);
      await completeKey(store, 'id');
      clock.advance(2999);
      expect(await statusOf(store, 'id')).toBe('completed');
      clock.advance(1001);
      expect(await statusOf(store, 'id')).toBe('claimed');
    }
  });

  it('keeps memory flat while ten windows of ids flow through, forgetting the old ones', async () => {
    const clock = manualClock();
    const store = new BloomStore(options(clock));
    const bytes = store.stats().byteLength;
    expect(bytes).toBeGreaterThan(0);
    for (let window = 0; window < 10; window++) {
      for (let index = 0; index < 1000; index++) await completeKey(store, `w${window}-${index}`);
      // A few failures per window: released claims keep their attempt count until their retention ends.
      for (let index = 0; index < 10; index++) {
        const claim = await store.claim(`failed-w${window}-${index}`, LEASE);
        if (claim.status === 'claimed') await store.release(`failed-w${window}-${index}`, claim.token);
      }
      clock.advance(1000);
      const stats = store.stats();
      expect(stats.byteLength).toBe(bytes);
      expect(stats.generations).toHaveLength(4);
      expect(stats.inFlight).toBeLessThanOrEqual(40);
      expect(stats.earlyRotations).toBe(0);
    }
    for (let index = 0; index < 1000; index += 50) {
      expect(await statusOf(store, `w9-${index}`)).toBe('completed');
      expect(await statusOf(store, `w0-${index}`)).toBe('claimed');
      expect(await statusOf(store, `w5-${index}`)).toBe('claimed');
    }
  });

  it('rotates a full generation early so the false-positive rate holds, forgetting old ids sooner', async () => {
    const clock = manualClock();
    const store = new BloomStore(options(clock, { expectedItems: 30_000, falsePositiveRate: 1e-6 }));
    const capacity = store.stats().capacityPerGeneration;
    expect(capacity).toBe(10_000);
    // Six windows' worth of ids inside one window.
    for (let index = 0; index < 60_000; index++) {
      const claim = await store.claim(`burst-${index}`, LEASE);
      if (claim.status === 'claimed') await store.complete(`burst-${index}`, claim.token, { retentionMs: 3000 });
    }
    const stats = store.stats();
    expect(stats.earlyRotations).toBe(5);
    expect(stats.generations.every((generation) => generation.items <= capacity)).toBe(true);
    expect(stats.estimatedFalsePositiveRate).toBeLessThan(1e-6 * 1.2);
    expect(await statusOf(store, 'burst-59999')).toBe('completed');
    expect(await statusOf(store, 'burst-0')).toBe('claimed');
  });

  it('forgets every id once the clock has moved past all generations', async () => {
    const clock = manualClock();
    const store = new BloomStore(options(clock));
    await completeKey(store, 'id');
    clock.advance(1_000_000);
    expect(await statusOf(store, 'id')).toBe('claimed');
  });

  it('answers a claim the table knows from the table, never from the filter', async () => {
    const store = new BloomStore(options(manualClock(), { expectedItems: 10, falsePositiveRate: 0.5, generations: 2 }));
    const held = await Promise.all(Array.from({ length: 40 }, (_, index) => store.claim(`held-${index}`, LEASE)));
    for (let index = 0; index < 200; index++) await completeKey(store, `fill-${index}`).catch(() => undefined);
    // The filter now answers "seen" for 29 % to 50 % of the keys it never saw...
    let lies = 0;
    for (let index = 0; index < 200; index++) if ((await statusOf(store, `fresh-${index}`)) === 'completed') lies++;
    expect(lies).toBeGreaterThan(30);
    // ...yet every key the table holds is still claimable, with its attempt count.
    for (const [index, claim] of held.entries()) {
      if (claim.status !== 'claimed') throw new Error('expected a claim');
      expect(await store.release(`held-${index}`, claim.token)).toBe(true);
      expect(await store.claim(`held-${index}`, LEASE)).toMatchObject({ status: 'claimed', attempt: 2 });
    }
  });

  it('refuses claims after close() while claims in flight can still complete into the filters kept for save()', async () => {
    const clock = manualClock();
    const store = new BloomStore(options(clock));
    await completeKey(store, 'done');
    const running = await store.claim('running', LEASE);
    const failing = await store.claim('failing', LEASE);
    if (running.status !== 'claimed' || failing.status !== 'claimed') throw new Error('expected claims');
    await store.close();
    for (const key of ['running', 'new', 'done']) {
      const error = await store.claim(key, LEASE).catch((caught: unknown) => caught);
      expect(isWebhookError(error) && error.code).toBe('ERR_HOOKGUARD_STORE_UNAVAILABLE');
    }
    expect(await store.extend('running', running.token, 1000)).toBe(true);
    expect(await store.complete('running', running.token, { retentionMs: 3000 })).toBe(true);
    expect(await store.release('failing', failing.token)).toBe(true);
    expect(store.stats().inFlight).toBe(0);
    const restored = BloomStore.load(store.save(), options(clock));
    expect(await statusOf(restored, 'done')).toBe('completed');
    expect(await statusOf(restored, 'running')).toBe('completed');
    expect(await statusOf(restored, 'failing')).toBe('claimed');
  });

  it.each([
    [{ expectedItems: 0 }, /expectedItems must be a positive integer/],
    [{ expectedItems: 1.5 }, /expectedItems must be a positive integer/],
    [{ falsePositiveRate: 0 }, /falsePositiveRate must be a number between 0 and 1/],
    [{ falsePositiveRate: 1 }, /falsePositiveRate must be a number between 0 and 1/],
    [{ retentionMs: -1 }, /retentionMs must be an integer number of milliseconds from 1 to 2147483647/],
    [{ retentionMs: 0 }, /retentionMs must be an integer .* received 0/],
    [{ retentionMs: 1.5 }, /retentionMs must be an integer .* received 1.5/],
    [{ retentionMs: 2 ** 31 }, /retentionMs must be an integer .* received 2147483648/],
    [{ retentionMs: Number.POSITIVE_INFINITY }, /retentionMs must be an integer/],
    [{ generations: 1 }, /generations must be an integer from 2 to 64/],
    [{ expectedItems: 2_000_000_000, falsePositiveRate: 1e-12 }, /more than the 4294967295 a filter addresses/],
    [{ expectedItems: '1000' }, /expectedItems must be a positive integer .*; received string\./],
    [{ expectedItems: 2 ** 53 }, /expectedItems must be a positive integer .*; received 9007199254740992\./],
    [{ falsePositiveRate: '1e-6' }, /falsePositiveRate must be a number between 0 and 1 exclusive, such as 1e-6; received string\./],
    [{ falsePositiveRate: 1e-80 }, /BloomStore needs 26\d probes per id .* more than the 255 a filter makes/],
  ])('refuses %o at construction', (extra, message) => {
    const error = (() => {
      try {
        new BloomStore(options(manualClock(), extra as Partial<BloomStoreOptions>));
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(isWebhookError(error) && error.code).toBe('ERR_HOOKGUARD_INVALID_OPTIONS');
    expect((error as Error).message).toMatch(message);
  });
});
