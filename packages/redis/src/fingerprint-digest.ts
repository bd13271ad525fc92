import { createHash } from 'node:crypto';

// The receiver's fingerprints are SHA-256 digests in base64url (43 characters): their first
// characters are already uniform bits, so the digest is read off them instead of hashed again.
const BASE64URL_SHA256 = /^[A-Za-z0-9_-]{43}$/;
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const VALUE = new Uint8Array(128);
for (let index = 0; index < BASE64URL.length; index++) VALUE[BASE64URL.charCodeAt(index)] = index;

/**
 * Characters read: 5 × 6 = 30 bits. With the 9-digit token tag in front, a completed record is at
 * most 19 digits below 2^63, an integer Redis stores inside the value object.
 */
const DIGEST_CHARACTERS = 5;

/**
 * What a Redis record keeps of a body fingerprint: 1 + its first 30 bits, in decimal (`0` means
 * "no fingerprint"). Fingerprints of another shape are hashed with SHA-256 first. Two different
 * bodies are reported as matching with probability 2⁻³⁰, which at worst hides one
 * `WARN_HOOKGUARD_FINGERPRINT_MISMATCH`; it never changes whether an event runs.
 *
 * @example
 * ```ts
 * fingerprintDigest('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0'); // '782108080'
 * ```
 */
export function fingerprintDigest(fingerprint: string): string {
  const source = BASE64URL_SHA256.test(fingerprint) ? fingerprint : createHash('sha256').update(fingerprint).digest('base64url');
  let bits = 0;
  for (let index = 0; index < DIGEST_CHARACTERS; index++) bits = bits * 64 + VALUE[source.charCodeAt(index)]!;
  return String(bits + 1);
}
