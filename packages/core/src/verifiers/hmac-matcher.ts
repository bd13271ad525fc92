import type { CryptoBackend, HmacAlgorithm } from '../crypto/index.js';

const DIGEST_BYTES: Record<HmacAlgorithm, number> = { 'SHA-256': 32, 'SHA-512': 64, 'SHA-1': 20 };

/**
 * The HMAC of `parts` that some candidate equals (under the first key that gives one), or
 * `undefined` when none does: a plain value when the crypto backend signs synchronously
 * (node:crypto), a promise otherwise (Web Crypto). The matched HMAC is returned rather than `true`
 * because, where the signed content is the body alone, it is a keyed digest of the body that dedup
 * can key on without hashing the body a second time.
 */
export type HmacMatcher = (
  parts: readonly (string | Uint8Array)[],
  candidates: readonly Uint8Array[],
) => Uint8Array | undefined | Promise<Uint8Array | undefined>;

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
  const tryFrom = (
    first: number,
    parts: readonly (string | Uint8Array)[],
    candidates: readonly Uint8Array[],
  ): Uint8Array | undefined | Promise<Uint8Array | undefined> => {
    for (let index = first; index < hmacKeys.length; index++) {
      const expected = hmacKeys[index]!.sign(parts);
      if (expected instanceof Promise) {
        return expected.then((bytes) => (matches(bytes, candidates) ? bytes : tryFrom(index + 1, parts, candidates)));
      }
      if (matches(expected, candidates)) return expected;
    }
    return undefined;
  };
  return (parts, candidates) => {
    // A candidate of the wrong length can never match; skipping the HMAC then costs nothing secret.
    let plausible = false;
    for (const candidate of candidates) if (candidate.length === digestBytes) plausible = true;
    return plausible ? tryFrom(0, parts, candidates) : undefined;
  };
}
