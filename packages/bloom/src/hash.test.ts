import { describe, expect, it } from 'vitest';
import { fmix32, hashKey } from './hash.js';

function popcount(value: number): number {
  let v = value >>> 0;
  let count = 0;
  while (v !== 0) {
    v &= v - 1;
    count++;
  }
  return count;
}

describe('hashKey', () => {
  it('is pinned: snapshots of format version 1 depend on these exact values', () => {
    const pinned = ['', 'a', 'stripe:evt_1NmXyzAbCdEf', 'ünïcødé-✓-日本-😀'].map((key) => {
      const { a, b } = hashKey(key);
      return [a >>> 0, b >>> 0];
    });
    expect(pinned).toEqual([
      [2017827450, 2216360724],
      [1227074564, 429105960],
      [2269527000, 1888862771],
      [530762885, 1046918842],
    ]);
  });

  it('tells apart keys that differ in order, length, or the half of a code unit', () => {
    const keys = ['ab', 'ba', 'a', 'a\u0000', '\u0000a', 'abc', 'abd', '\u0100', '\u0001', '😀', '\ud83d', '\ude00'];
    const hashes = new Set(keys.map((key) => {
      const { a, b } = hashKey(key);
      return `${a}:${b}`;
    }));
    expect(hashes.size).toBe(keys.length);
  });

  it('flips about half of the 64 bits when one character of a key changes', () => {
    let flipped = 0;
    const samples = 20_000;
    for (let index = 0; index < samples; index++) {
      const key = `stripe:evt_${index.toString(36).padStart(8, '0')}`;
      const position = index % key.length;
      const other = key.slice(0, position) + String.fromCharCode(key.charCodeAt(position) ^ (1 << (index % 16))) + key.slice(position + 1);
      const first = hashKey(key);
      const { a, b } = first;
      const second = hashKey(other);
      flipped += popcount(a ^ second.a) + popcount(b ^ second.b);
    }
    // Mean 32 of 64 bits; the standard error over 20 000 samples is about 0.03.
    expect(flipped / samples).toBeGreaterThan(31.7);
    expect(flipped / samples).toBeLessThan(32.3);
  });

  it('spreads sequential ids evenly over 1024 buckets in each half', () => {
    const buckets = 1024;
    const count = 512_000;
    for (const half of ['a', 'b'] as const) {
      const counts = new Uint32Array(buckets);
      for (let index = 0; index < count; index++) counts[hashKey(`evt_${index}`)[half] >>> 22]!++;
      const expected = count / buckets;
      let chiSquare = 0;
      for (const observed of counts) chiSquare += (observed - expected) ** 2 / expected;
      // 1023 degrees of freedom: mean 1023, standard deviation 45; 1300 is six deviations out.
      expect(chiSquare).toBeLessThan(1300);
    }
  });

  it('writes into the object it is given', () => {
    const into = { a: 0, b: 0 };
    expect(hashKey('k', into)).toBe(into);
    expect(into).toEqual(hashKey('k'));
  });
});

describe('fmix32', () => {
  it('maps distinct inputs to distinct outputs (a bijection) on a sample', () => {
    const outputs = new Set<number>();
    for (let index = 0; index < 100_000; index++) outputs.add(fmix32(index));
    expect(outputs.size).toBe(100_000);
  });
});
