import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { cryptoBackend } from './index.js';
import { cryptoBackend as nodeBackend } from './node.js';
import { cryptoBackend as webBackend } from './web.js';

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
});
