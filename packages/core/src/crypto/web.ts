// The default export condition selects this file: Web Crypto only, so the core runs on every
// runtime Hono runs on (Workers, Deno, Bun, browsers).
import { base64UrlFromBytes } from './encoding.js';
import type { CryptoBackend, HmacAlgorithm, HmacKey } from './types.js';

const encoder = new TextEncoder();

function concat(parts: readonly (string | Uint8Array)[]): Uint8Array<ArrayBuffer> {
  const chunks = parts.map((part) => (typeof part === 'string' ? encoder.encode(part) : part));
  let length = 0;
  for (const chunk of chunks) length += chunk.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

function importHmacKey(algorithm: HmacAlgorithm, secret: Uint8Array): HmacKey {
  let key: Promise<CryptoKey> | undefined;
  return {
    algorithm,
    async sign(parts) {
      // Imported lazily: Workers forbid async work at module scope, where verifiers are often built.
      key ??= crypto.subtle.importKey('raw', new Uint8Array(secret), { name: 'HMAC', hash: algorithm }, false, ['sign']);
      return new Uint8Array(await crypto.subtle.sign('HMAC', await key, concat(parts)));
    },
  };
}

function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let index = 0; index < a.length; index++) difference |= (a[index] ?? 0) ^ (b[index] ?? 0);
  return difference === 0;
}

/** The Web Crypto backend. */
export const cryptoBackend: CryptoBackend = {
  name: 'web-crypto',
  importHmacKey,
  sha256: async (data) => base64UrlFromBytes(new Uint8Array(await crypto.subtle.digest('SHA-256', new Uint8Array(data)))),
  timingSafeEqual,
  randomId: () => crypto.randomUUID(),
};
