import type { CryptoBackend, HmacAlgorithm } from '../crypto/index.js';

const DIGEST_BYTES: Record<HmacAlgorithm, number> = { 'SHA-256': 32, 'SHA-512': 64, 'SHA-1': 20 };

/** Resolves `true` when some candidate equals the HMAC of `parts` under some key. */
export type HmacMatcher = (
  parts: readonly (string | Uint8Array)[],
  candidates: readonly Uint8Array[],
) => Promise<boolean>;

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
  return async (parts, candidates) => {
    // A candidate of the wrong length can never match; skipping the HMAC then costs nothing secret.
    let plausible = false;
    for (const candidate of candidates) if (candidate.length === digestBytes) plausible = true;
    if (!plausible) return false;
    for (const key of hmacKeys) {
      const expected = await key.sign(parts);
      for (const candidate of candidates) {
        if (backend.timingSafeEqual(expected, candidate)) return true;
      }
    }
    return false;
  };
}
