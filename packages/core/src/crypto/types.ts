/** HMAC hash functions the verifiers use. SHA-1 exists only for legacy in-house senders. */
export type HmacAlgorithm = 'SHA-256' | 'SHA-512' | 'SHA-1';

/** A secret prepared once for repeated signing; the bytes stay inside. */
export interface HmacKey {
  readonly algorithm: HmacAlgorithm;
  /**
   * The HMAC of the concatenation of `parts` (strings as UTF-8), without copying them on Node.
   * Synchronous where the runtime allows (node:crypto), a promise otherwise (Web Crypto): the
   * promise hops alone would cost verification a tenth of its time on Node.
   */
  sign(parts: readonly (string | Uint8Array)[]): Uint8Array | Promise<Uint8Array>;
  /**
   * The same HMAC written as senders write signatures: lower-case `hex`, or standard `base64` with
   * padding. The one canonical spelling, so a received signature compares with it as text, without
   * being decoded (the verifiers do). Synchronous on node:crypto, where the digest is encoded by
   * the hash itself, a promise on Web Crypto.
   */
  signText(parts: readonly (string | Uint8Array)[], encoding: DigestEncoding): string | Promise<string>;
}

/** How {@link HmacKey.signText} writes a digest. */
export type DigestEncoding = 'hex' | 'base64';

/** What a crypto backend provides; `node.ts` and `web.ts` both implement exactly this. */
export interface CryptoBackend {
  readonly name: 'node:crypto' | 'web-crypto';
  importHmacKey(algorithm: HmacAlgorithm, secret: Uint8Array): HmacKey;
  /**
   * SHA-256 of `data`, base64url without padding: the body fingerprint kept by stores.
   * Synchronous on node:crypto, a promise on Web Crypto, as for {@link HmacKey.sign}.
   */
  sha256(data: Uint8Array): string | Promise<string>;
  /** Compares in time that depends only on the lengths, never on where the bytes differ. */
  timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean;
  /** A random, unguessable identifier (claim tokens). */
  randomId(): string;
}
