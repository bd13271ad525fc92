import { isWebhookError } from '@hookguard/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BloomFilter, type BloomFilterOptions } from './bloom-filter.js';
import { crc32 } from './crc32.js';
import { bloomParameters, expectedFalsePositiveRate, optimalBitsPerItem } from './sizing.js';

function falsePositives(filter: BloomFilter, prefix: string, count: number): number {
  let hits = 0;
  for (let index = 0; index < count; index++) if (filter.has(`${prefix}${index}`)) hits++;
  return hits;
}

describe('BloomFilter', () => {
  it('never answers false for a key it holds, whatever the key', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary', maxLength: 300 }), { maxLength: 100 }), fc.integer({ min: 0, max: 0xffff_ffff }), (keys, seed) => {
        const filter = BloomFilter.forCapacity(Math.max(1, keys.length), 1e-3, seed);
        for (const key of keys) filter.add(key);
        return keys.every((key) => filter.has(key));
      }),
    );
  });

  it('never answers false for any of 200 000 held keys, even three times over capacity', () => {
    const filter = BloomFilter.forCapacity(70_000, 1e-6);
    for (let index = 0; index < 200_000; index++) filter.add(`stripe:evt_${index}`);
    let missing = 0;
    for (let index = 0; index < 200_000; index++) if (!filter.has(`stripe:evt_${index}`)) missing++;
    expect(missing).toBe(0);
  });

  // Each bound is six standard deviations or more of the binomial count around the target.
  it.each([
    [1e-2, 500_000, 0.1],
    [1e-3, 1_000_000, 0.2],
  ])('observes about its target rate %d on unseen keys when full', (rate, unseen, tolerance) => {
    const capacity = 50_000;
    const filter = BloomFilter.forCapacity(capacity, rate);
    for (let index = 0; index < capacity; index++) filter.add(`github:delivery-${index}`);
    const observed = falsePositives(filter, 'github:unseen-', unseen) / unseen;
    expect(observed).toBeGreaterThan(rate * (1 - tolerance));
    expect(observed).toBeLessThan(rate * (1 + tolerance));
    expect(filter.estimatedFalsePositiveRate() / rate).toBeCloseTo(1, 1);
  });

  it('observes the lower rate the formula gives a filter a tenth full', () => {
    const capacity = 50_000;
    const filter = BloomFilter.forCapacity(capacity, 1e-2);
    for (let index = 0; index < capacity / 10; index++) filter.add(`k${index}`);
    const expected = expectedFalsePositiveRate(filter, capacity / 10);
    // ≈ 1.2e-7: a million lookups should find at most a few.
    expect(expected).toBeLessThan(1e-6);
    expect(falsePositives(filter, 'u', 1_000_000)).toBeLessThanOrEqual(5);
    expect(filter.estimatedFalsePositiveRate()).toBeLessThan(1e-6);
  });

  it('sets as many bits as independent uniform probes would', () => {
    const filter = BloomFilter.forCapacity(100_000, 1e-4);
    for (let index = 0; index < 100_000; index++) filter.add(`evt_${index.toString(36)}`);
    const expected = filter.bits * -Math.expm1((-filter.hashCount * 100_000) / filter.bits);
    expect(Math.abs(filter.countSetBits() - expected)).toBeLessThan(6 * Math.sqrt(expected * 0.5));
  });

  it('sizes a filter within 1 % of the Bloom optimum', () => {
    for (const rate of [1e-2, 1e-3, 1e-6, 1e-9]) {
      const filter = BloomFilter.forCapacity(1_000_000, rate);
      expect(filter.bits / 1_000_000 / optimalBitsPerItem(rate)).toBeLessThan(1.01);
      expect(filter.byteLength).toBe(Math.ceil(filter.bits / 8));
    }
  });

  it('places the same key differently under another seed, and identically from the same seed and bits', () => {
    const a = new BloomFilter({ bits: 4096, hashCount: 5, seed: 1 });
    const b = new BloomFilter({ bits: 4096, hashCount: 5, seed: 2 });
    a.add('stripe:evt_1');
    b.add('stripe:evt_1');
    expect(a.data).not.toEqual(b.data);
    const copy = new BloomFilter({ bits: 4096, hashCount: 5, seed: 1, data: a.data });
    expect(copy.data).toEqual(a.data);
    expect(copy.has('stripe:evt_1')).toBe(true);
  });

  it('forgets everything on clear and keeps its size', () => {
    const filter = BloomFilter.forCapacity(1000, 1e-6);
    const bytes = filter.byteLength;
    for (let index = 0; index < 1000; index++) filter.add(`k${index}`);
    filter.clear(42);
    expect(filter.countSetBits()).toBe(0);
    expect(filter.seed).toBe(42);
    expect(filter.byteLength).toBe(bytes);
    expect(falsePositives(filter, 'k', 1000)).toBe(0);
  });

  it.each([[-1], [2 ** 32], [1.5], [Number.NaN], ['7'], [null]])('refuses clear(%s) and keeps its items and seed', (seed) => {
    const filter = new BloomFilter({ bits: 1024, hashCount: 3, seed: 9 });
    filter.add('kept');
    expect(() => filter.clear(seed as number)).toThrow(/^BloomFilter\.clear\(\) seed must be an unsigned 32-bit integer; received /);
    expect(filter.has('kept')).toBe(true);
    expect(filter.seed).toBe(9);
  });

  it.each([
    [{ bits: 7, hashCount: 1 }, /bits must be an integer from 8/],
    [{ bits: 2 ** 32, hashCount: 1 }, /bits must be an integer from 8/],
    [{ bits: 64, hashCount: 0 }, /hashCount must be an integer from 1 to 255/],
    [{ bits: 64, hashCount: 256 }, /hashCount must be an integer from 1 to 255; received 256/],
    [{ bits: 64, hashCount: 3, seed: -1 }, /seed must be an unsigned 32-bit integer/],
    [{ bits: 64, hashCount: 3, seed: 2 ** 32 }, /seed must be an unsigned 32-bit integer; received 4294967296/],
    [{ bits: 64, hashCount: 3, data: new Uint8Array(9) }, /data must be 8 bytes for 64 bits; received 9/],
    [{ bits: 64, hashcount: 3 }, /new BloomFilter\(\): unknown option 'hashcount'\. Did you mean 'hashCount'\?/],
    [{ bits: 64, hashCount: 3, seeds: 1 }, /new BloomFilter\(\): unknown option 'seeds'\. Did you mean 'seed'\?/],
    [{ capacity: 1000, falsePositiveRate: 1e-6 }, /new BloomFilter\(\): unknown option 'capacity'\. The options are bits, hashCount, seed, data\. .*BloomFilter\.forCapacity/],
    [{ bits: '64', hashCount: 3 }, /BloomFilter bits must be an integer from 8 to 4294967295; received string\./],
    [{ bits: 64, hashCount: 3.5 }, /BloomFilter hashCount must be an integer from 1 to 255; received 3\.5/],
    [{ bits: 64, hashCount: 3, seed: null }, /BloomFilter seed must be an unsigned 32-bit integer; received null/],
    [{ bits: 64, hashCount: 3, seed: '7' }, /BloomFilter seed must be an unsigned 32-bit integer; received string/],
    [{ bits: 64, hashCount: 3, data: new ArrayBuffer(8) }, /BloomFilter data must be a Uint8Array of 8 bytes for 64 bits, .*received ArrayBuffer\./],
    [{ bits: 64, hashCount: 3, data: new Uint16Array(4) }, /BloomFilter data must be a Uint8Array .*received Uint16Array/],
    [{ bits: 64, hashCount: 3, data: [0, 0, 0, 0, 0, 0, 0, 0] }, /BloomFilter data must be a Uint8Array .*received Array/],
    [null, /new BloomFilter\(options\) needs \{ bits, hashCount \}; received null/],
    [64, /new BloomFilter\(options\) needs \{ bits, hashCount \}; received number/],
  ])('refuses %o', (options, message) => {
    let error: unknown;
    try {
      new BloomFilter(options as BloomFilterOptions);
    } catch (caught) {
      error = caught;
    }
    expect(isWebhookError(error) && error.code).toBe('ERR_HOOKGUARD_INVALID_OPTIONS');
    expect((error as Error).message).toMatch(message);
  });

  it.each([
    [0, 1e-3, /BloomFilter\.forCapacity\(\) capacity must be a positive integer .*; received 0\./],
    [1.5, 1e-3, /BloomFilter\.forCapacity\(\) capacity must be a positive integer .*; received 1\.5\./],
    [Number.POSITIVE_INFINITY, 1e-3, /capacity must be a positive integer .*; received Infinity\./],
    [2 ** 53, 0.5, /capacity must be a positive integer .*; received 9007199254740992\./],
    ['1000', 1e-3, /capacity must be a positive integer .*; received string\./],
    [1000, 0, /BloomFilter\.forCapacity\(\) falsePositiveRate must be a number between 0 and 1 exclusive, such as 1e-6; received 0\./],
    [1000, 1, /falsePositiveRate must be a number between 0 and 1 exclusive, such as 1e-6; received 1\./],
    [1000, Number.NaN, /falsePositiveRate must be a number between 0 and 1 exclusive, such as 1e-6; received NaN\./],
    [1000, '0.001', /falsePositiveRate must be a number between 0 and 1 exclusive, such as 1e-6; received string\./],
    [2 ** 40, 1e-6, /BloomFilter\.forCapacity\(\) needs \d+ bits for 1099511627776 items at 0\.000001, more than the 4294967295 a filter addresses/],
    [1000, 1e-80, /BloomFilter\.forCapacity\(\) needs 26[56] probes per item for a rate of 1e-80, more than the 255 a filter makes/],
  ])('refuses forCapacity(%o, %o)', (capacity, rate, message) => {
    let error: unknown;
    try {
      BloomFilter.forCapacity(capacity as number, rate as number);
    } catch (caught) {
      error = caught;
    }
    expect(isWebhookError(error) && error.code).toBe('ERR_HOOKGUARD_INVALID_OPTIONS');
    expect((error as Error).message).toMatch(message);
  });

  it('refuses a seed that is not an unsigned 32-bit integer from forCapacity', () => {
    expect(() => BloomFilter.forCapacity(1000, 1e-3, -1)).toThrow(/BloomFilter seed must be an unsigned 32-bit integer; received -1/);
    expect(() => BloomFilter.forCapacity(1000, 1e-3, null as never)).toThrow(/BloomFilter seed must be an unsigned 32-bit integer; received null/);
  });

  it('builds every configuration the repository and its docs use, and the extremes of each option', () => {
    const built = [
      new BloomFilter({ bits: 4096, hashCount: 5, seed: 1 }),
      new BloomFilter({ bits: 4096, hashCount: 5, seed: 1, data: new Uint8Array(512) }),
      new BloomFilter({ bits: 10_007, hashCount: 7, seed: 0x9e3779b9 }),
      new BloomFilter(bloomParameters(1000, 1e-6)),
      new BloomFilter({ bits: 8, hashCount: 1, seed: 0 }),
      new BloomFilter({ bits: 64, hashCount: 255, seed: 0xffff_ffff, data: Buffer.alloc(8) }),
      new BloomFilter({ bits: 64, hashCount: 3, seed: undefined } as unknown as BloomFilterOptions),
      new BloomFilter({ bits: 65, hashCount: 3, data: new Uint8Array(9) }),
      BloomFilter.forCapacity(100_000, 1e-6),
      BloomFilter.forCapacity(1_000_000, 1e-9),
      BloomFilter.forCapacity(1, 1e-3, 0),
      BloomFilter.forCapacity(1, 0.999_999),
      BloomFilter.forCapacity(1000, 2 ** -255),
      BloomFilter.forCapacity(1000, 1e-6, 0xffff_ffff),
    ];
    for (const filter of built) {
      filter.add('stripe:evt_1');
      expect(filter.has('stripe:evt_1')).toBe(true);
    }
    expect(built[3]!.hashCount).toBe(20);
    expect(built[12]!.hashCount).toBeLessThanOrEqual(255);
  });
});

describe('BloomFilter probe positions', () => {
  it('are pinned: snapshots of format version 1 depend on them', () => {
    const filter = new BloomFilter({ bits: 10_007, hashCount: 7, seed: 0x9e3779b9 });
    for (let index = 0; index < 500; index++) filter.add(`stripe:evt_${index}`);
    expect(crc32(filter.data).toString(16)).toBe('690bd11a');
  });
});
