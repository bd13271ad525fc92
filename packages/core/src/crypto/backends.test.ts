import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cryptoBackend } from './index.js';
import { decodeUtf8 as nodeDecodeUtf8, hmacScratchForTests, cryptoBackend as nodeBackend } from './node.js';
import { decodeUtf8 as webDecodeUtf8, cryptoBackend as webBackend } from './web.js';

describe('crypto backends', () => {
  it('resolves #crypto to node:crypto under the node export condition', () => {
    expect(cryptoBackend.name).toBe('node:crypto');
  });

  it.each([nodeBackend, webBackend])('$name signs parts exactly as one node:crypto HMAC over their concatenation', async (backend) => {
    const secret = new TextEncoder().encode('a secret key');
    for (const algorithm of ['SHA-256', 'SHA-512', 'SHA-1'] as const) {
      const key = backend.importHmacKey(algorithm, secret);
      const body = new TextEncoder().encode('{"ünïcødé":true}');
      const signature = await key.sign(['msg_1.', '1700000000.', body]);
      const reference = createHmac(algorithm.replace('-', '').toLowerCase(), secret).update('msg_1.1700000000.').update(body).digest();
      expect(Buffer.from(signature).equals(reference)).toBe(true);
    }
  });

  it('node:crypto signs as createHmac for any key length, any text (lone surrogates too) and content on both sides of its one-shot limit', () => {
    const algorithms = fc.constantFrom('SHA-256' as const, 'SHA-512' as const, 'SHA-1' as const);
    // Keys shorter than, equal to and longer than a block (64 or 128 bytes: longer ones are hashed first).
    const key = fc.uint8Array({ minLength: 0, maxLength: 300 });
    // Any UTF-16 code units, lone surrogates included (UTF-8 makes each a U+FFFD, as Hmac.update does).
    const text = fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 64 }).map((units) => String.fromCharCode(...units));
    const part = fc.oneof(text, fc.uint8Array({ maxLength: 2048 }), fc.constant(new Uint8Array(16 * 1024 - 7)));
    fc.assert(
      fc.property(algorithms, key, fc.array(part, { maxLength: 4 }), (algorithm, secret, parts) => {
        const reference = createHmac(algorithm.replace('-', '').toLowerCase(), secret);
        for (const piece of parts) reference.update(piece);
        // Signed twice: the second signature must not see anything the first left behind.
        const imported = nodeBackend.importHmacKey(algorithm, secret);
        const first = imported.sign(parts) as Uint8Array;
        const second = imported.sign(parts) as Uint8Array;
        const expected = reference.digest();
        expect(Buffer.from(first).equals(expected)).toBe(true);
        expect(Buffer.from(second).equals(expected)).toBe(true);
        // The text forms the verifiers compare received signatures with.
        expect(imported.signText(parts, 'hex')).toBe(expected.toString('hex'));
        expect(imported.signText(parts, 'base64')).toBe(expected.toString('base64'));
      }),
      { numRuns: 300 },
    );
  });

  it.each([nodeBackend, webBackend])('$name writes the HMAC as lower-case hex and padded standard base64, as node:crypto does', async (backend) => {
    const secret = new TextEncoder().encode('a secret key');
    // Content whose SHA-256 HMAC holds bytes that base64 writes as + and /, beside others.
    for (const content of ['', 'abc', 'x'.repeat(20_000), '{"ünïcødé":true}']) {
      for (const algorithm of ['SHA-256', 'SHA-512', 'SHA-1'] as const) {
        const key = backend.importHmacKey(algorithm, secret);
        const reference = createHmac(algorithm.replace('-', '').toLowerCase(), secret).update(content);
        const digest = reference.digest();
        expect(await key.signText([content], 'hex')).toBe(digest.toString('hex'));
        expect(await key.signText([content], 'base64')).toBe(digest.toString('base64'));
      }
    }
  });

  it('node:crypto keeps no key material in the buffer it signs from', () => {
    // Each byte of this key's inner pad is 0xaa ^ 0x36 = 0x9c; the content is 40 bytes of 0x01.
    const key = nodeBackend.importHmacKey('SHA-256', new Uint8Array(32).fill(0xaa));
    const signature = key.sign([new Uint8Array(40).fill(1)]) as Uint8Array;
    expect(Buffer.from(signature).equals(createHmac('sha256', new Uint8Array(32).fill(0xaa)).update(new Uint8Array(40).fill(1)).digest())).toBe(true);
    const scratch = hmacScratchForTests();
    expect(scratch.subarray(64, 104).every((byte) => byte === 1)).toBe(true); // the content was signed from here
    expect(scratch.subarray(0, 64).every((byte) => byte === 0)).toBe(true); // the pad before it is gone
  });

  it.each([nodeBackend, webBackend])('$name compares bytes for equality, including length', (backend) => {
    expect(backend.timingSafeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 3]))).toBe(true);
    expect(backend.timingSafeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 4]))).toBe(false);
    expect(backend.timingSafeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2]))).toBe(false);
  });

  it('gives the same body fingerprint on both backends', async () => {
    const body = new TextEncoder().encode('x'.repeat(1000));
    expect(await webBackend.sha256(body)).toBe(await nodeBackend.sha256(body));
    expect(await nodeBackend.sha256(body)).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('fingerprints synchronously on node:crypto (the receiver then skips a promise hop), known answer', () => {
    // SHA-256 of "abc" (FIPS 180-2, appendix B.1), base64url.
    expect(nodeBackend.sha256(new TextEncoder().encode('abc'))).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
  });

  describe('UTF-8 decoding', () => {
    /** What a decoder gives, or the class of what it throws. */
    const outcome = (decode: (bytes: Uint8Array) => string, bytes: Uint8Array): string => {
      try {
        return `text:${decode(bytes)}`;
      } catch (error) {
        return `threw:${(error as Error).constructor.name}`;
      }
    };
    const ascii = (length: number): Uint8Array => new TextEncoder().encode('{"a":"' + 'x'.repeat(Math.max(0, length - 8)) + '"}');

    it.each([
      ['ASCII below the Latin-1 copy threshold', ascii(100)],
      ['ASCII above it', ascii(64 * 1024)],
      ['non-ASCII above it', new TextEncoder().encode('x'.repeat(8000) + 'ünïcødé €')],
      ['a byte order mark before ASCII above it', new Uint8Array([0xef, 0xbb, 0xbf, ...ascii(8000)])],
      ['a lone continuation byte above it', new Uint8Array([...ascii(8000), 0x80])],
      ['an overlong encoding above it', new Uint8Array([...ascii(8000), 0xc0, 0xaf])],
      ['nothing', new Uint8Array(0)],
    ])('node:crypto decodes %s as the strict Web decoder does', (_name, bytes) => {
      expect(outcome(nodeDecodeUtf8, bytes)).toBe(outcome(webDecodeUtf8, bytes));
    });

    it('node:crypto reads only the view it is given, not the rest of its buffer', () => {
      const whole = new TextEncoder().encode('HEAD' + 'y'.repeat(10_000) + 'TAIL');
      const view = whole.subarray(4, whole.length - 4);
      expect(nodeDecodeUtf8(view)).toBe('y'.repeat(10_000));
      expect(nodeDecodeUtf8(Buffer.from(whole.buffer, 4, 10_000))).toBe('y'.repeat(10_000));
    });

    it('node:crypto and the Web decoder agree on any bytes, ASCII-heavy or not, on both sides of the threshold', () => {
      const asciiByte = fc.integer({ min: 0, max: 0x7f });
      const anyByte = fc.integer({ min: 0, max: 0xff });
      const body = fc.oneof(
        fc.array(asciiByte, { minLength: 4000, maxLength: 6000 }),
        fc.tuple(fc.array(asciiByte, { minLength: 4096, maxLength: 5000 }), fc.array(anyByte, { maxLength: 8 })).map(([head, tail]) => [...head, ...tail]),
        fc.array(anyByte, { maxLength: 64 }),
      );
      fc.assert(
        fc.property(body, fc.nat({ max: 16 }), (bytes, offset) => {
          // Placed at an offset in a larger buffer, as a body sliced out of a socket read would be.
          const buffer = new Uint8Array(offset + bytes.length + 3);
          buffer.set(bytes, offset);
          const view = buffer.subarray(offset, offset + bytes.length);
          expect(outcome(nodeDecodeUtf8, view)).toBe(outcome(webDecodeUtf8, view));
        }),
        { numRuns: 300 },
      );
    });
  });
});
