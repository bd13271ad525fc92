import { describe, expect, it } from 'vitest';
import { crc32 } from './crc32.js';

describe('crc32', () => {
  it('matches the IEEE check value and the empty input', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it('changes when any single bit of the input flips', () => {
    const bytes = new Uint8Array(256).map((_, index) => index);
    const original = crc32(bytes);
    for (let bit = 0; bit < bytes.length * 8; bit++) {
      bytes[bit >>> 3]! ^= 1 << (bit & 7);
      expect(crc32(bytes)).not.toBe(original);
      bytes[bit >>> 3]! ^= 1 << (bit & 7);
    }
  });
});
