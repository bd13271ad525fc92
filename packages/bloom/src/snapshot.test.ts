import { isWebhookError } from '@hookguard/core';
import { describe, expect, it } from 'vitest';
import { BloomStore, type BloomStoreOptions } from './bloom-store.js';
import { crc32 } from './crc32.js';

function manualClock(start = 1_700_000_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

const LEASE = { leaseMs: 1000, retentionMs: 3000 };

async function filledStore(clock: { now: () => number; advance: (ms: number) => void }, options: BloomStoreOptions, ids: number): Promise<BloomStore> {
  const store = new BloomStore(options);
  for (let index = 0; index < ids; index++) {
    const claim = await store.claim(`id-${index}`, LEASE);
    if (claim.status === 'claimed') await store.complete(`id-${index}`, claim.token, { retentionMs: 3000 });
    if (index % 2000 === 1999) clock.advance(400);
  }
  return store;
}

function loadError(bytes: Uint8Array, options: BloomStoreOptions): Error {
  try {
    BloomStore.load(bytes, options);
  } catch (error) {
    expect(isWebhookError(error) && error.code).toBe('ERR_HOOKGUARD_INVALID_SNAPSHOT');
    return error as Error;
  }
  throw new Error('expected load to reject the snapshot');
}

describe('BloomStore snapshots', () => {
  const options = (clock: { now: () => number }): BloomStoreOptions => ({
    expectedItems: 30_000,
    falsePositiveRate: 1e-9,
    retentionMs: 3000,
    generations: 4,
    now: clock.now,
  });

  it('keeps every completed id, the window and the counts through save and load', async () => {
    const clock = manualClock();
    const store = await filledStore(clock, options(clock), 10_000);
    const bytes = store.save();
    const restored = BloomStore.load(bytes, options(clock));
    const { inFlight: _a, estimatedFalsePositiveRate: before, ...saved } = store.stats();
    const { inFlight: _b, estimatedFalsePositiveRate: after, ...loaded } = restored.stats();
    expect(loaded).toEqual(saved);
    expect(after).toBe(before);
    for (let index = 0; index < 10_000; index++) {
      expect((await restored.claim(`id-${index}`, LEASE)).status).toBe('completed');
    }
    expect((await restored.claim('never-seen', LEASE)).status).toBe('claimed');
    // The restored window runs on: id-0 (window from +0) is dropped at +4000, id-9999 (window from
    // +1000) at +5000. The clock is at +2000 now.
    clock.advance(2500);
    expect((await restored.claim('id-0', LEASE)).status).toBe('claimed');
    expect((await restored.claim('id-9999', LEASE)).status).toBe('completed');
  });

  it('writes a compact form: a 48-byte header, 16 bytes per generation, the bits and a checksum', async () => {
    const clock = manualClock();
    const store = new BloomStore(options(clock));
    const bytes = store.save();
    expect(bytes.byteLength).toBe(48 + 4 * 16 + store.stats().byteLength + 4);
    expect(new TextDecoder().decode(bytes.subarray(0, 4))).toBe('HGBF');
  });

  it('drops claims in flight: after a restart the retry is claimed again, from attempt 1', async () => {
    const clock = manualClock();
    const store = new BloomStore(options(clock));
    await store.claim('running', LEASE);
    const restored = BloomStore.load(store.save(), options(clock));
    expect(await restored.claim('running', LEASE)).toMatchObject({ status: 'claimed', attempt: 1 });
  });

  it('forgets ids whose generations ended while the process was down', async () => {
    const clock = manualClock();
    const store = await filledStore(clock, options(clock), 100);
    const bytes = store.save();
    clock.advance(10_000);
    const restored = BloomStore.load(bytes, options(clock));
    expect((await restored.claim('id-0', LEASE)).status).toBe('claimed');
  });

  it('rejects a truncated snapshot, saying so', async () => {
    const clock = manualClock();
    const bytes = (await filledStore(clock, options(clock), 100)).save();
    expect(loadError(bytes.subarray(0, bytes.length - 1), options(clock)).message).toMatch(/truncated or extended/);
    expect(loadError(bytes.subarray(0, 20), options(clock)).message).toMatch(/shorter than the 52-byte minimum/);
    expect(loadError(new Uint8Array(0), options(clock)).message).toMatch(/truncated or is not a Bloom snapshot/);
  });

  it('rejects a snapshot with one flipped bit, anywhere', async () => {
    const clock = manualClock();
    const bytes = (await filledStore(clock, options(clock), 100)).save();
    for (const offset of [60, 200, Math.floor(bytes.length / 2), bytes.length - 5]) {
      const altered = bytes.slice();
      altered[offset]! ^= 0x10;
      expect(loadError(altered, options(clock)).message).toMatch(/CRC-32 .* the bytes were altered/);
    }
  });

  it('rejects other formats and other versions', async () => {
    const clock = manualClock();
    const bytes = new BloomStore(options(clock)).save();
    const foreign = bytes.slice();
    foreign[0] = 0x7b;
    expect(loadError(foreign, options(clock)).message).toMatch(/not a hookguard Bloom snapshot/);
    const newer = bytes.slice();
    newer[4] = 2;
    expect(loadError(newer, options(clock)).message).toMatch(/format version 2.* reads only version 1/);
  });

  it('rejects an intact snapshot whose header describes an impossible store', () => {
    const clock = manualClock();
    const bytes = new BloomStore(options(clock)).save();
    const view = new DataView(bytes.buffer);
    view.setFloat64(16, 2, true);
    view.setUint32(bytes.length - 4, crc32(bytes.subarray(0, bytes.length - 4)), true);
    expect(loadError(bytes, options(clock)).message).toMatch(/impossible falsePositiveRate 2/);
  });

  it('refuses options that differ from the snapshot, naming them, since a filter cannot be resized', () => {
    const clock = manualClock();
    const bytes = new BloomStore(options(clock)).save();
    const message = loadError(bytes, { ...options(clock), expectedItems: 60_000, generations: 5 }).message;
    expect(message).toMatch(/written with expectedItems 30000, generations 4, but the options ask for expectedItems 60000, generations 5/);
    expect(message).toMatch(/start from new BloomStore\(options\)/);
  });
});
