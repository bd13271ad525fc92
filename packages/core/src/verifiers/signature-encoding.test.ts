import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeCanonicalBase64, decodeLowerHex, decodeSignature } from './signature-encoding.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

describe('decodeCanonicalBase64', () => {
  it('decodes what Buffer encodes, at every length, with or without padding', () => {
    for (let length = 1; length < 80; length++) {
      const bytes = randomBytes(length);
      const padded = bytes.toString('base64');
      expect(Buffer.from(decodeCanonicalBase64(padded)!)).toEqual(bytes);
      expect(Buffer.from(decodeCanonicalBase64(padded.replace(/=+$/, ''))!)).toEqual(bytes);
    }
  });

  it('gives every signature exactly one accepted spelling: unused trailing bits must be zero', () => {
    for (const length of [31, 32, 64]) {
      const encoded = randomBytes(length).toString('base64');
      const last = encoded.replace(/=+$/, '').length - 1;
      const decodings = new Set<string>();
      let accepted = 0;
      for (const char of ALPHABET) {
        const decoded = decodeCanonicalBase64(encoded.slice(0, last) + char + encoded.slice(last + 1));
        if (decoded === undefined) continue;
        accepted++;
        decodings.add(Buffer.from(decoded).toString('hex'));
      }
      // Every accepted spelling decodes to different bytes.
      expect(decodings.size).toBe(accepted);
      expect(accepted).toBe(length % 3 === 1 ? 4 : length % 3 === 2 ? 16 : 64);
    }
  });

  it.each([
    ['URL-safe characters', Buffer.from([0xfb, 0xff]).toString('base64url')],
    ['a misplaced padding character', 'AA=A'],
    ['too much padding', 'AAA=='],
    ['padding on a whole group', 'AAAA='],
    ['an impossible length', 'AAAAA'],
    ['a space', 'AA AA'],
    ['a non-ASCII character', 'AAAǅ'],
    ['nothing', ''],
  ])('refuses %s', (_, text) => {
    expect(decodeCanonicalBase64(text)).toBeUndefined();
  });
});

describe('decodeLowerHex', () => {
  it('decodes lower-case hex and refuses upper case, odd lengths and other characters', () => {
    const bytes = randomBytes(32);
    const hex = bytes.toString('hex');
    expect(Buffer.from(decodeLowerHex(hex)!)).toEqual(bytes);
    expect(decodeLowerHex('AB')).toBeUndefined();
    expect(decodeLowerHex('abc')).toBeUndefined();
    for (const bad of ['g0', '0g', '0 ', ' 0', '0:', '/0', '0G', '\u0660\u0661', '']) {
      expect(decodeLowerHex(bad)).toBeUndefined();
    }
  });

  it('chooses the decoder by encoding', () => {
    expect(decodeSignature('ff', 'hex')).toEqual(new Uint8Array([255]));
    expect(decodeSignature('/w==', 'base64')).toEqual(new Uint8Array([255]));
  });
});

describe('decoded signatures from the shared block', () => {
  it('never overlap, however many are held, across block boundaries and beside large ones', () => {
    const held: { bytes: Uint8Array; expected: Buffer }[] = [];
    for (let index = 0; index < 1_000; index++) {
      const expected = randomBytes([20, 32, 64, 200][index % 4]!);
      const bytes = index % 2 === 0 ? decodeSignature(expected.toString('hex'), 'hex') : decodeSignature(expected.toString('base64'), 'base64');
      held.push({ bytes: bytes!, expected });
    }
    for (const { bytes, expected } of held) expect(Buffer.from(bytes)).toEqual(expected);
    // Writing to some decoded signatures changes none of the others.
    held.forEach(({ bytes }, index) => index % 2 === 0 && bytes.fill(0));
    for (const [index, { bytes, expected }] of held.entries()) if (index % 2 === 1) expect(Buffer.from(bytes)).toEqual(expected);
    const fresh = randomBytes(32);
    expect(Buffer.from(decodeSignature(fresh.toString('hex'), 'hex')!)).toEqual(fresh);
  });
});
