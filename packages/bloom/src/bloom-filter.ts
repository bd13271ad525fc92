import { WebhookError } from '@hookguard/core';
import { fmix32, hashKey, type KeyHash } from './hash.js';
import { randomSeed } from './random-seed.js';
import { bloomParameters, MAX_FILTER_BITS } from './sizing.js';

/** Options for {@link BloomFilter}. */
export type BloomFilterOptions = {
  /** Number of bits, 8 to 2^32 - 1. Use {@link bloomParameters} or {@link BloomFilter.forCapacity}. */
  bits: number;
  /** Number of bit positions set per item, 1 to 255. */
  hashCount: number;
  /**
   * Unsigned 32-bit seed mixed into every probe position.
   * @default a random value from `crypto.getRandomValues`
   */
  seed?: number;
  /** Bits to start from (`ceil(bits / 8)` bytes, as {@link BloomFilter.data} returns them); copied. */
  data?: Uint8Array;
};

const TWO_POW_32 = 4_294_967_296;

let popcounts: Uint8Array | undefined;

function popcountTable(): Uint8Array {
  if (popcounts !== undefined) return popcounts;
  popcounts = new Uint8Array(256);
  for (let byte = 1; byte < 256; byte++) popcounts[byte] = (byte & 1) + popcounts[byte >>> 1]!;
  return popcounts;
}

function invalid(message: string): WebhookError {
  return new WebhookError('ERR_HOOKGUARD_INVALID_OPTIONS', message);
}

/**
 * A standard Bloom filter over a `Uint8Array`: no false negatives, and a false-positive rate of
 * `(1 - e^(-k·n/m))^k` after `n` items. Keys are hashed once to 64 bits ({@link hashKey}); the `k`
 * probe positions are `fmix32((a ^ seed) + i·(b | 1))` mapped onto `[0, bits)` by multiplication
 * (Kirsch–Mitzenmacher double hashing, with the finaliser applied per probe so that two keys share
 * all probes only when their 64-bit hashes are equal: plain `h1 + i·h2 mod m` collides with
 * probability 1/m² per pair, which dominates the rate of small filters at rates like 1e-9).
 *
 * @example
 * ```ts
 * const filter = BloomFilter.forCapacity(100_000, 1e-6);
 * filter.add('stripe:evt_1');
 * filter.has('stripe:evt_1'); // true, always
 * filter.has('stripe:evt_2'); // false, except with probability ≈ 1e-6 when full
 * ```
 */
export class BloomFilter {
  /** Number of bits. */
  readonly bits: number;
  /** Number of bit positions set per item. */
  readonly hashCount: number;
  readonly #array: Uint8Array;
  readonly #scale: number;
  readonly #scratch: KeyHash = { a: 0, b: 0 };
  #seed: number;

  constructor(options: BloomFilterOptions) {
    const { bits, hashCount } = options;
    if (!Number.isInteger(bits) || bits < 8 || bits > MAX_FILTER_BITS) {
      throw invalid(`BloomFilter bits must be an integer from 8 to ${MAX_FILTER_BITS}; received ${String(bits)}. Size it with bloomParameters(capacity, rate).`);
    }
    if (!Number.isInteger(hashCount) || hashCount < 1 || hashCount > 255) {
      throw invalid(`BloomFilter hashCount must be an integer from 1 to 255; received ${String(hashCount)}.`);
    }
    const seed = options.seed ?? randomSeed();
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffff_ffff) {
      throw invalid(`BloomFilter seed must be an unsigned 32-bit integer; received ${String(seed)}.`);
    }
    this.bits = bits;
    this.hashCount = hashCount;
    this.#seed = seed;
    this.#scale = bits / TWO_POW_32;
    this.#array = new Uint8Array(Math.ceil(bits / 8));
    if (options.data !== undefined) {
      if (options.data.byteLength !== this.#array.byteLength) {
        throw invalid(`BloomFilter data must be ${this.#array.byteLength} bytes for ${bits} bits; received ${options.data.byteLength}.`);
      }
      this.#array.set(options.data);
    }
  }

  /**
   * The smallest filter that holds `capacity` items at `falsePositiveRate` ({@link bloomParameters}).
   *
   * @example
   * ```ts
   * const filter = BloomFilter.forCapacity(1_000_000, 1e-9);
   * ```
   */
  static forCapacity(capacity: number, falsePositiveRate: number, seed?: number): BloomFilter {
    if (!Number.isFinite(capacity) || capacity < 1) {
      throw invalid(`BloomFilter capacity must be a finite number of at least 1; received ${String(capacity)}.`);
    }
    if (!(falsePositiveRate > 0 && falsePositiveRate < 1)) {
      throw invalid(`BloomFilter falsePositiveRate must be between 0 and 1 exclusive; received ${String(falsePositiveRate)}.`);
    }
    const parameters = bloomParameters(capacity, falsePositiveRate);
    return new BloomFilter(seed === undefined ? parameters : { ...parameters, seed });
  }

  /** The seed mixed into probe positions; {@link clear} may replace it. */
  get seed(): number {
    return this.#seed;
  }

  /** Bytes of bit storage: the filter's memory, fixed at construction. */
  get byteLength(): number {
    return this.#array.byteLength;
  }

  /** The live bit array (bit `i` is `data[i >>> 3] & (1 << (i & 7))`); not a copy. */
  get data(): Uint8Array {
    return this.#array;
  }

  /** Adds `key`; afterwards {@link has} answers `true` for it until {@link clear}. */
  add(key: string): void {
    this.addHash(hashKey(key, this.#scratch));
  }

  /** `false`: `key` was certainly never added. `true`: it was, or this is a false positive. */
  has(key: string): boolean {
    return this.hasHash(hashKey(key, this.#scratch));
  }

  /** {@link add} for a key already hashed with {@link hashKey}, to test one key against several filters. */
  addHash(hash: KeyHash): void {
    const array = this.#array;
    const scale = this.#scale;
    const step = hash.b | 1;
    const hashCount = this.hashCount;
    let x = hash.a ^ this.#seed;
    for (let probe = 0; probe < hashCount; probe++) {
      const position = ((fmix32(x) >>> 0) * scale) >>> 0;
      array[position >>> 3]! |= 1 << (position & 7);
      x = (x + step) | 0;
    }
  }

  /** {@link has} for a key already hashed with {@link hashKey}. */
  hasHash(hash: KeyHash): boolean {
    const array = this.#array;
    const scale = this.#scale;
    const step = hash.b | 1;
    const hashCount = this.hashCount;
    let x = hash.a ^ this.#seed;
    for (let probe = 0; probe < hashCount; probe++) {
      const position = ((fmix32(x) >>> 0) * scale) >>> 0;
      if ((array[position >>> 3]! & (1 << (position & 7))) === 0) return false;
      x = (x + step) | 0;
    }
    return true;
  }

  /** Forgets every item; with `seed`, later items use that seed. */
  clear(seed: number = this.#seed): void {
    this.#array.fill(0);
    this.#seed = seed >>> 0;
  }

  /** Number of bits set (a full scan of the array). */
  countSetBits(): number {
    const bitsInByte = popcountTable();
    let count = 0;
    for (let index = 0; index < this.#array.length; index++) count += bitsInByte[this.#array[index]!]!;
    return count;
  }

  /**
   * The false-positive rate the current contents give an unseen key: `(set bits / bits)^k`.
   * Exact in expectation for well-spread probes, whatever the number of items added.
   */
  estimatedFalsePositiveRate(): number {
    return Math.pow(this.countSetBits() / this.bits, this.hashCount);
  }
}
