/// <reference types="node" />
// The `node` export condition selects this file: node:crypto HMAC is about 15x cheaper per call
// than Web Crypto on Node (DESIGN.md, "Packages"), which matters at framework request rates.
import { isAscii } from 'node:buffer';
import * as nodeCrypto from 'node:crypto';
import { createHash, createHmac, createSecretKey, randomUUID, timingSafeEqual as nodeTimingSafeEqual } from 'node:crypto';
import { decodeStrictUtf8 } from './encoding.js';
import type { CryptoBackend, DigestEncoding, HmacAlgorithm, HmacKey } from './types.js';

const NODE_ALGORITHM: Record<HmacAlgorithm, string> = { 'SHA-256': 'sha256', 'SHA-512': 'sha512', 'SHA-1': 'sha1' };
const BLOCK_BYTES: Record<HmacAlgorithm, number> = { 'SHA-256': 64, 'SHA-512': 128, 'SHA-1': 64 };
const DIGEST_BYTES: Record<HmacAlgorithm, number> = { 'SHA-256': 32, 'SHA-512': 64, 'SHA-1': 20 };

// The one-shot `crypto.hash` (Node 20.12+) skips the Hash object: 0.7 µs for a 1 KB body instead
// of 1.0 (bench: receive-breakdown). Older Node 20 releases take the stream forms.
type OneShotHash = (algorithm: string, data: Uint8Array, encoding: 'base64url' | 'binary' | DigestEncoding) => string;
const oneShotHash = (nodeCrypto as { hash?: OneShotHash }).hash;

/**
 * Signed content up to this many bytes is HMACed with two one-shot hashes from a reused scratch
 * buffer; larger content streams through an `Hmac` object instead of being copied.
 */
const ONE_SHOT_MAX_BYTES = 16 * 1024;
let scratch = Buffer.alloc(4096);

/**
 * The scratch buffer as it is between signatures, for the test that no key material stays in it.
 * @internal
 */
export const hmacScratchForTests = (): Uint8Array => scratch;

/** The scratch buffer, grown to hold `bytes`. Used synchronously only, so one serves every key. */
function scratchOf(bytes: number): Buffer {
  if (scratch.length < bytes) scratch = Buffer.alloc(Math.max(bytes, 2 * scratch.length));
  return scratch;
}

function importHmacKey(algorithm: HmacAlgorithm, secret: Uint8Array): HmacKey {
  const key = createSecretKey(secret);
  const name = NODE_ALGORITHM[algorithm];
  const streamed = (parts: readonly (string | Uint8Array)[], encoding: 'binary' | DigestEncoding): string => {
    const hmac = createHmac(name, key);
    for (const part of parts) hmac.update(part);
    return hmac.digest(encoding);
  };
  // `digest()` gives each digest a memory block of its own, which costs more than a copy into
  // Node's shared Buffer pool: `Buffer.from` of the digest as 'binary' (latin1) text, one
  // character per byte, so nothing is lost. 0.3 µs per verify (bench: verify-breakdown).
  const bytesOf = (digest: string): Uint8Array => Buffer.from(digest, 'binary');
  const hash = oneShotHash;
  if (hash === undefined) {
    return { algorithm, sign: (parts) => bytesOf(streamed(parts, 'binary')), signText: streamed };
  }
  // RFC 2104 by hand: H((K ^ opad) || H((K ^ ipad) || content)), K padded to the hash's block
  // (hashed first when longer). Constructing an Hmac costs about a microsecond per call, more than
  // hashing a 1 KB body; two one-shot hashes skip it: 1.6 µs per 1 KB signature instead of 2.3.
  // The pads are the key in another form, kept in this closure as the KeyObject keeps the key.
  const block = BLOCK_BYTES[algorithm];
  const padded = Buffer.alloc(block);
  padded.set(secret.length > block ? createHash(name).update(secret).digest() : secret);
  const innerPad = Buffer.alloc(block);
  // The outer hash's input: the outer pad, then the inner digest written after it each time.
  const outer = Buffer.alloc(block + DIGEST_BYTES[algorithm]);
  for (let index = 0; index < block; index++) {
    innerPad[index] = padded[index]! ^ 0x36;
    outer[index] = padded[index]! ^ 0x5c;
  }
  padded.fill(0);
  /** The HMAC in `encoding`, as the outer hash writes it: hex and base64 cost no more than binary. */
  const digestOf = (parts: readonly (string | Uint8Array)[], encoding: 'binary' | DigestEncoding): string => {
    // An upper bound of the content's bytes: UTF-8 takes at most 3 bytes per UTF-16 unit.
    let bound = 0;
    for (const part of parts) bound += typeof part === 'string' ? 3 * part.length : part.byteLength;
    if (bound > ONE_SHOT_MAX_BYTES) return streamed(parts, encoding);
    const buffer = scratchOf(block + bound);
    innerPad.copy(buffer, 0);
    let end = block;
    for (const part of parts) {
      if (typeof part === 'string') {
        end += buffer.write(part, end, 'utf8');
      } else {
        buffer.set(part, end);
        end += part.byteLength;
      }
    }
    const inner = hash(name, buffer.subarray(0, end), 'binary');
    // The inner pad is key material: it does not stay in the shared buffer.
    buffer.fill(0, 0, block);
    outer.write(inner, block, 'binary');
    return hash(name, outer, encoding);
  };
  return { algorithm, sign: (parts) => bytesOf(digestOf(parts, 'binary')), signText: digestOf };
}

const sha256 = oneShotHash === undefined
  ? (data: Uint8Array): string => createHash('sha256').update(data).digest('base64url')
  : (data: Uint8Array): string => oneShotHash('sha256', data, 'base64url');

/**
 * From this many bytes on, an all-ASCII body is read as Latin-1 (the same characters for ASCII
 * bytes): `isAscii` and a Latin-1 copy cost 4.1 µs for 64 KB against the strict UTF-8 decoder's
 * 6.6; below 4 KB the Buffer view they need costs more than they save (BENCHMARKS.md, "ASCII
 * bodies and a reset between store rounds").
 */
const ASCII_COPY_MIN_BYTES = 4096;

/**
 * Strict UTF-8 decoding: a leading byte order mark is dropped, malformed bytes throw a TypeError.
 * Not cryptography: `#crypto` is the core's one runtime-specific module, and `isAscii` is
 * node:buffer's.
 */
export function decodeUtf8(bytes: Uint8Array): string {
  if (bytes.byteLength >= ASCII_COPY_MIN_BYTES && isAscii(bytes)) {
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  }
  return decodeStrictUtf8(bytes);
}

/** The node:crypto backend. */
export const cryptoBackend: CryptoBackend = {
  name: 'node:crypto',
  importHmacKey,
  sha256,
  timingSafeEqual: (a, b) => a.length === b.length && nodeTimingSafeEqual(a, b),
  randomId: () => randomUUID(),
};
