import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fingerprintDigest } from './fingerprint-digest.js';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('base64url');

describe('fingerprintDigest', () => {
  it("reads the first 30 bits of a receiver fingerprint (base64url SHA-256), plus one", () => {
    const fingerprint = sha256('abc');
    const first32Bits = Buffer.from(fingerprint, 'base64url').readUInt32BE(0);
    expect(fingerprintDigest(fingerprint)).toBe(String(Math.floor(first32Bits / 4) + 1));
  });

  it('hashes a fingerprint of any other shape first, so it is still well spread', () => {
    expect(fingerprintDigest('body-digest')).toBe(fingerprintDigest(sha256('body-digest')));
    expect(fingerprintDigest('')).toBe(fingerprintDigest(sha256('')));
  });

  it('is a positive decimal integer of at most 2^30 (never "0", which means no fingerprint), and tells bodies apart', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        const digest = fingerprintDigest(a);
        expect(digest).toMatch(/^[1-9]\d*$/);
        expect(Number(digest)).toBeLessThanOrEqual(2 ** 30);
        if (a !== b) expect(fingerprintDigest(sha256(a))).not.toBe(fingerprintDigest(sha256(b)));
      }),
    );
  });
});
