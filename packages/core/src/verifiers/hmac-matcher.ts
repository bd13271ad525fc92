import type { CryptoBackend, HmacAlgorithm } from '../crypto/index.js';

const DIGEST_BYTES: Record<HmacAlgorithm, number> = { 'SHA-256': 32, 'SHA-512': 64, 'SHA-1': 20 };

/**
 * `true` when some candidate equals the HMAC of `parts` under some key: a plain boolean when the
 * crypto backend signs synchronously (node:crypto), a promise otherwise (Web Crypto).
 */
export type HmacMatcher = (
  parts: readonly (string | Uint8Array)[],
  candidates: readonly Uint8Array[],
) => boolean | Promise<boolean>;

/**
 * Imports every key once, at construction, and compares in constant time. Keys are tried in
 * order; the first match ends the search (which key matched is not a secret).
 */
export function createHmacMatcher(
  backend: CryptoBackend,
  algorithm: HmacAlgorithm,
  keys: readonly Uint8Array[],
): HmacMatcher {
  const hmacKeys = keys.map((key) => backend.importHmacKey(algorithm, key));
  const digestBytes = DIGEST_BYTES[algorithm];
  const matches = (expected: Uint8Array, candidates: readonly Uint8Array[]): boolean => {
    for (const candidate of candidates) {
      if (backend.timingSafeEqual(expected, candidate)) return true;
    }
    return false;
  };
  const tryFrom = (first: number, parts: readonly (string | Uint8Array)[], candidates: readonly Uint8Array[]): boolean | Promise<boolean> => {
    for (let index = first; index < hmacKeys.length; index++) {
      const expected = hmacKeys[index]!.sign(parts);
      if (expected instanceof Promise) {
        return expected.then((bytes) => matches(bytes, candidates) || tryFrom(index + 1, parts, candidates));
      }
      if (matches(expected, candidates)) return true;
    }
    return false;
  };
  return (parts, candidates) => {
    // A candidate of the wrong length can never match; skipping the HMAC then costs nothing secret.
    let plausible = false;
    for (const candidate of candidates) if (candidate.length === digestBytes) plausible = true;
    return plausible && tryFrom(0, parts, candidates);
  };
}
