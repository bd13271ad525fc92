/** The 64-bit hash of a key as two 32-bit halves; computed once, probed against every generation. */
export type KeyHash = {
  /** The first half, a murmur3 lane. */
  a: number;
  /** The second half, an xxhash32 lane mixed with the first. */
  b: number;
};

const MURMUR_C1 = 0xcc9e2d51;
const MURMUR_C2 = 0x1b873593;
const XXH_PRIME1 = 0x9e3779b1;
const XXH_PRIME2 = 0x85ebca77;

/** The murmur3 finaliser: a bijection on 32 bits with full avalanche. */
export function fmix32(value: number): number {
  let h = value;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

/**
 * Hashes the UTF-16 code units of `key` to 64 bits in one pass over two independent lanes, a
 * murmur3 round and an xxhash32 round per two code units. The two lanes use different round
 * functions so that a seed-independent murmur3 collision is not also an xxhash32 collision.
 * Hashing code units (not UTF-8) costs no encoding and is identical on every runtime, which the
 * snapshot format relies on.
 *
 * @example
 * ```ts
 * const hash = hashKey('stripe:evt_1');
 * filter.addHash(hash);
 * ```
 */
export function hashKey(key: string, into: KeyHash = { a: 0, b: 0 }): KeyHash {
  let h1 = 0x2f6b3c1d;
  let h2 = 0x6a09e667;
  const length = key.length;
  let index = 0;
  for (; index + 1 < length; index += 2) {
    const block = key.charCodeAt(index) | (key.charCodeAt(index + 1) << 16);
    let k = Math.imul(block, MURMUR_C1);
    k = Math.imul((k << 15) | (k >>> 17), MURMUR_C2);
    h1 ^= k;
    h1 = (Math.imul((h1 << 13) | (h1 >>> 19), 5) + 0xe6546b64) | 0;
    h2 = (h2 + Math.imul(block, XXH_PRIME2)) | 0;
    h2 = Math.imul((h2 << 13) | (h2 >>> 19), XXH_PRIME1);
  }
  if (index < length) {
    const block = key.charCodeAt(index);
    let k = Math.imul(block, MURMUR_C1);
    k = Math.imul((k << 15) | (k >>> 17), MURMUR_C2);
    h1 ^= k;
    h2 = (h2 + Math.imul(block, XXH_PRIME2)) | 0;
    h2 = Math.imul((h2 << 17) | (h2 >>> 15), XXH_PRIME1);
  }
  h1 = fmix32(h1 ^ length);
  // (h1, h2) → (a, b) is a bijection on 64 bits, so mixing the lanes loses nothing.
  into.a = h1;
  into.b = fmix32((h2 ^ length) + h1);
  return into;
}
