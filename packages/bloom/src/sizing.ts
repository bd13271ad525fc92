import { checkFalsePositiveRate, checkItemCount, invalidOptions, shown } from './sizing-options.js';

/** The size of one standard Bloom filter. */
export type BloomParameters = {
  /** Number of bits in the filter. */
  bits: number;
  /** Number of bit positions set per item. */
  hashCount: number;
};

/**
 * The fewest bits any Bloom filter needs per item for a false-positive rate: `-ln(p) / ln(2)^2`.
 *
 * @example
 * ```ts
 * optimalBitsPerItem(1e-6); // 28.76
 * ```
 */
export function optimalBitsPerItem(falsePositiveRate: number): number {
  checkFalsePositiveRate('optimalBitsPerItem()', falsePositiveRate);
  return -Math.log(falsePositiveRate) / (Math.LN2 * Math.LN2);
}

/**
 * The false-positive rate of a filter of `bits` bits and `hashCount` probes holding `items` items:
 * `(1 - e^(-k·n/m))^k`.
 *
 * @example
 * ```ts
 * expectedFalsePositiveRate({ bits: 14_378, hashCount: 10 }, 1000); // ≈ 0.001
 * ```
 */
export function expectedFalsePositiveRate(parameters: BloomParameters, items: number): number {
  const { bits, hashCount } = (parameters ?? {}) as Partial<BloomParameters>;
  if (typeof bits !== 'number' || !Number.isSafeInteger(bits) || bits < 1 || typeof hashCount !== 'number' || !Number.isSafeInteger(hashCount) || hashCount < 1) {
    throw invalidOptions(`expectedFalsePositiveRate() needs { bits, hashCount } as positive integers, such as bloomParameters() returns; received bits ${shown(bits)}, hashCount ${shown(hashCount)}.`);
  }
  if (typeof items !== 'number' || !Number.isSafeInteger(items) || items < 0) {
    throw invalidOptions(`expectedFalsePositiveRate() items must be an integer of 0 or more; received ${shown(items)}.`);
  }
  return Math.pow(-Math.expm1((-parameters.hashCount * items) / parameters.bits), parameters.hashCount);
}

/**
 * The smallest standard Bloom filter that holds `capacity` items at `falsePositiveRate` when full.
 * The optimum `k = -log2(p)` is rarely an integer; for each of the two integers around it this
 * solves `(1 - e^(-k·n/m))^k = p` for `m` exactly and keeps the smaller filter, so a full filter
 * meets its rate with an integer `k` at about 1.00× the optimum size.
 *
 * @example
 * ```ts
 * bloomParameters(1_000_000, 1e-6); // { bits: 28_755_…, hashCount: 20 }
 * ```
 */
export function bloomParameters(capacity: number, falsePositiveRate: number): BloomParameters {
  checkItemCount('bloomParameters()', 'capacity', capacity, 'the items the filter holds when full');
  checkFalsePositiveRate('bloomParameters()', falsePositiveRate);
  const ideal = -Math.log2(falsePositiveRate);
  let best: BloomParameters | undefined;
  for (const hashCount of new Set([Math.max(1, Math.floor(ideal)), Math.max(1, Math.ceil(ideal))])) {
    // Per-probe hit probability q = p^(1/k); a filter with fill q after n items has m = -k·n / ln(1 - q).
    const perProbe = Math.pow(falsePositiveRate, 1 / hashCount);
    const bits = Math.max(8, Math.ceil((-hashCount * capacity) / Math.log1p(-perProbe)));
    if (best === undefined || bits < best.bits) best = { bits, hashCount };
  }
  return best!;
}

/**
 * The rate each of `generations` filters must keep so that checking a key against all of them
 * stays at `falsePositiveRate`: `1 - (1 - p)^(1/g)`, a little above `p / g`.
 *
 * @example
 * ```ts
 * perGenerationRate(1e-6, 4); // ≈ 2.5e-7
 * ```
 */
export function perGenerationRate(falsePositiveRate: number, generations: number): number {
  checkFalsePositiveRate('perGenerationRate()', falsePositiveRate);
  checkItemCount('perGenerationRate()', 'generations', generations, 'the filters a key is checked against');
  return -Math.expm1(Math.log1p(-falsePositiveRate) / generations);
}
