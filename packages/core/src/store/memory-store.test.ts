import { describe, expect, it } from 'vitest';
import { describeStoreContract } from '../testing/store-contract.js';
import { MemoryStore } from './memory-store.js';

function manualClock(start = 1_700_000_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

describeStoreContract('MemoryStore', {
  setup() {
    const clock = manualClock();
    const store = new MemoryStore({ now: clock.now });
    return { store, advance: async (ms) => clock.advance(ms), teardown: () => store.close() };
  },
});

describe('MemoryStore expiry', () => {
  it('sweeps expired records without touching live ones', async () => {
    const clock = manualClock();
    const store = new MemoryStore({ now: clock.now });
    for (let index = 0; index < 100; index++) {
      const claim = await store.claim(`old-${index}`, { leaseMs: 1000, retentionMs: 5000 });
      if (claim.status === 'claimed') await store.complete(`old-${index}`, claim.token, { retentionMs: 5000 });
    }
    clock.advance(3000);
    const live = await store.claim('live', { leaseMs: 1000, retentionMs: 5000 });
    if (live.status === 'claimed') await store.complete('live', live.token, { retentionMs: 5000 });
    expect(store.size).toBe(101);
    clock.advance(2500);
    store.sweep();
    expect(store.size).toBe(1);
    expect((await store.claim('live', { leaseMs: 1000, retentionMs: 5000 })).status).toBe('completed');
    await store.close();
  });

  it('keeps separate retentions apart so a long one never blocks sweeping a short one', async () => {
    const clock = manualClock();
    const store = new MemoryStore({ now: clock.now });
    const long = await store.claim('long', { leaseMs: 1000, retentionMs: 100_000 });
    if (long.status === 'claimed') await store.complete('long', long.token, { retentionMs: 100_000 });
    const short = await store.claim('short', { leaseMs: 1000, retentionMs: 1000 });
    if (short.status === 'claimed') await store.complete('short', short.token, { retentionMs: 1000 });
    clock.advance(2000);
    store.sweep();
    expect(store.size).toBe(1);
    await store.close();
  });

  it('stops its sweep timer on close', async () => {
    const store = new MemoryStore({ sweepIntervalMs: 10 });
    await store.claim('k', { leaseMs: 1000, retentionMs: 1000 });
    await store.close();
    expect(store.size).toBe(0);
  });
});
