// The default export condition selects this file: Web Crypto only, so the core runs on every
// runtime Hono runs on (Workers, Deno, Bun, browsers).
import { base64FromBytes, base64UrlFromBytes, concatBytes, decodeStrictUtf8, hexFromBytes } from './encoding.js';
import type { CryptoBackend, HmacAlgorithm, HmacKey } from './types.js';

const encoder = new TextEncoder();

function importHmacKey(algorithm: HmacAlgorithm, secret: Uint8Array): HmacKey {
  let key: Promise<CryptoKey> | undefined;
  const sign = async (parts: readonly (string | Uint8Array)[]): Promise<Uint8Array> => {
    // Imported lazily: Workers forbid async work at module scope, where verifiers are often built.
    key ??= crypto.subtle.importKey('raw', new Uint8Array(secret), { name: 'HMAC', hash: algorithm }, false, ['sign']);
    const data = concatBytes(parts.map((part) => (typeof part === 'string' ? encoder.encode(part) : part)));
    // Bodies are never SharedArrayBuffer-backed; the cast only satisfies Web Crypto's types.
    return new Uint8Array(await crypto.subtle.sign('HMAC', await key, data as Uint8Array<ArrayBuffer>));
  };
  return {
    algorithm,
    sign,
    signText: async (parts, encoding) => {
      const digest = await sign(parts);
      return encoding === 'hex' ? hexFromBytes(digest) : base64FromBytes(digest);
    },
  };
}

function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let index = 0; index < a.length; index++) difference |= (a[index] ?? 0) ^ (b[index] ?? 0);
  return difference === 0;
}

/**
 * Strict UTF-8 decoding: a leading byte order mark is dropped, malformed bytes throw a TypeError.
 * Exported beside the crypto because node.ts has a faster path for ASCII bodies.
 */
export const decodeUtf8 = decodeStrictUtf8;

/** The Web Crypto backend. */
export const cryptoBackend: CryptoBackend = {
  name: 'web-crypto',
  importHmacKey,
  sha256: async (data) => base64UrlFromBytes(new Uint8Array(await crypto.subtle.digest('SHA-256', new Uint8Array(data)))),
  timingSafeEqual,
  randomId: () => crypto.randomUUID(),
};
