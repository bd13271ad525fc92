import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { base64UrlFromBytes, bytesFromHex, hexFromBytes } from './encoding.js';

describe('encoding', () => {
  it('hexFromBytes writes lower-case hex as node:crypto does, for any length (the reused buffer grows)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(hexFromBytes(bytes)).toBe(Buffer.from(bytes).toString('hex'));
        expect(bytesFromHex(hexFromBytes(bytes))).toEqual(bytes);
      }),
    );
  });

  it('base64UrlFromBytes writes unpadded base64url as node:crypto does', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        expect(base64UrlFromBytes(bytes)).toBe(Buffer.from(bytes).toString('base64url'));
      }),
    );
  });
});
