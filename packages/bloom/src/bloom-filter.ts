import { refuseUnknownOptions, type OptionNames } from '@hookguard/core';
import { fmix32, hashKey, type KeyHash } from './hash.js';
import { randomSeed } from './random-seed.js';
import { MAX_FILTER_BITS, MAX_HASH_COUNT } from './filter-limits.js';
import { bloomParameters } from './sizing.js';
import { checkFalsePositiveRate, checkFilterFits, checkItemCount, checkSeed, invalidOptions, shown } from './sizing-options.js';

/**
 * Options for {@link BloomFilter}. An option not listed here, or a value of the wrong type or out
 * of range, throws `ERR_HOOKGUARD_INVALID_OPTIONS`.
 */
export type BloomFilterOptions = {
  /** Number of bits, an integer from 8 to 2^32 - 1. Use {@link bloomParameters} or {@link BloomFilter.forCapacity}. */
  bits: number;
  /** Number of bit positions set per item, an integer from 1 to 255. */
  hashCount: number;
  /**
   * Unsigned 32-bit integer seed mixed into every probe position.
   * @default a random value from `crypto.getRandomValues`
   */
  seed?: number;
  /** Bits to start from: a `Uint8Array` of `ceil(bits / 8)` bytes, as {@link BloomFilter.data} returns them; copied. */
  data?: Uint8Array;
};

const BLOOM_FILTER_OPTIONS: OptionNames<BloomFilterOptions> = { bits: true, hashCount: true, seed: true, data: true };

/** The options of {@link BloomFilter.forCapacity}, given to the constructor by mistake. */
const SIZING_NAMES = ['capacity', 'falsePositiveRate'] as const;

const TWO_POW_32 = 4_294_967_296;

let popcounts: Uint8Array | undefined;

function popcountTable(): Uint8Array {
  if (popcounts !== undefined) return popcounts;
  popcounts = new Uint8Array(256);
  for (let byte = 1; byte < 256; byte++) popcounts[byte] = (byte & 1) + popcounts[byte >>> 1]!;
  return popcounts;
}

/** What a message says a `data` option was: its class (`ArrayBuffer`, `Array`) or its type. */
function shownData(data: unknown): string {
  if (typeof data !== 'object' || data === null) return shown(data);
  const name = (data as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name !== '' ? name : 'object';
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
    if (typeof options !== 'object' || options === null) {
      throw invalidOptions(`new BloomFilter(options) needs { bits, hashCount }; received ${options === null ? 'null' : typeof options}. Size one with BloomFilter.forCapacity(capacity, falsePositiveRate).`);
    }
    const sizing = SIZING_NAMES.find((name) => Object.hasOwn(options, name));
    if (sizing !== undefined) {
      throw invalidOptions(
        `new BloomFilter(): unknown option '${sizing}'. The options are bits, hashCount, seed, data. ` +
          'For a filter sized by capacity and false-positive rate, use BloomFilter.forCapacity(capacity, falsePositiveRate).',
      );
    }
    refuseUnknownOptions('new BloomFilter()', options, BLOOM_FILTER_OPTIONS);
    const { bits, hashCount, data } = options;
    if (typeof bits !== 'number' || !Number.isInteger(bits) || bits < 8 || bits > MAX_FILTER_BITS) {
      throw invalidOptions(`BloomFilter bits must be an integer from 8 to ${MAX_FILTER_BITS}; received ${shown(bits)}. Size it with bloomParameters(capacity, rate).`);
    }
    if (typeof hashCount !== 'number' || !Number.isInteger(hashCount) || hashCount < 1 || hashCount > MAX_HASH_COUNT) {
      throw invalidOptions(`BloomFilter hashCount must be an integer from 1 to ${MAX_HASH_COUNT}; received ${shown(hashCount)}.`);
    }
    // Only an absent seed is drawn at random: a null one is a mistake, not a request for a random seed.
    const seed = checkSeed('BloomFilter seed', options.seed === undefined ? randomSeed() : options.seed);
    const byteLength = Math.ceil(bits / 8);
    // Uint8Array.set() takes any array-like: an ArrayBuffer would copy nothing, a Uint16Array would truncate values.
    if (data !== undefined && !(data instanceof Uint8Array)) {
      throw invalidOptions(`BloomFilter data must be a Uint8Array of ${byteLength} bytes for ${bits} bits, as BloomFilter.data returns them; received ${shownData(data)}.`);
    }
    if (data !== undefined && data.byteLength !== byteLength) {
      throw invalidOptions(`BloomFilter data must be ${byteLength} bytes for ${bits} bits; received ${data.byteLength}.`);
    }
    this.bits = bits;
    this.hashCount = hashCount;
    this.#seed = seed;
    this.#scale = bits / TWO_POW_32;
    this.#array = new Uint8Array(byteLength);
    if (data !== undefined) this.#array.set(data);
  }

  /**
   * The smallest filter that holds `capacity` items at `falsePositiveRate` ({@link bloomParameters}).
   * `capacity` is a positive integer and `falsePositiveRate` a number between 0 and 1 exclusive;
   * a pair whose filter would need more than 2^32 - 1 bits or 255 probes per item throws
   * `ERR_HOOKGUARD_INVALID_OPTIONS`, as does a `seed` the constructor refuses.
   *
   * @example
   * ```ts
   * const filter = BloomFilter.forCapacity(1_000_000, 1e-9);
   * ```
   */
  static forCapacity(capacity: number, falsePositiveRate: number, seed?: number): BloomFilter {
    const owner = 'BloomFilter.forCapacity()';
    checkItemCount(owner, 'capacity', capacity, 'the most items the filter holds at its rate');
    checkFalsePositiveRate(owner, falsePositiveRate);
    const parameters = bloomParameters(capacity, falsePositiveRate);
    checkFilterFits(owner, parameters, {
      capacity,
      rate: falsePositiveRate,
      item: 'item',
      per: '',
      fewerBits: 'use a higher falsePositiveRate or a smaller capacity, or split the items across several filters',
    });
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

  /**
   * Forgets every item; with `seed`, later items use that seed. A seed the constructor would refuse
   * throws `ERR_HOOKGUARD_INVALID_OPTIONS` before anything is forgotten.
   */
  clear(seed: number = this.#seed): void {
    this.#seed = checkSeed('BloomFilter.clear() seed', seed);
    this.#array.fill(0);
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
