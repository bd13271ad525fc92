import { WebhookError } from '@hookguard/core';
import { MAX_FILTER_BITS, MAX_HASH_COUNT } from './filter-limits.js';
import type { BloomParameters } from './sizing.js';

/** An `ERR_HOOKGUARD_INVALID_OPTIONS` error with `message`. */
export function invalidOptions(message: string): WebhookError {
  return new WebhookError('ERR_HOOKGUARD_INVALID_OPTIONS', message);
}

/** What a message says was received: a number's value, otherwise its type (or `null`). */
export function shown(value: unknown): string {
  if (typeof value === 'number') return String(value);
  return value === null ? 'null' : typeof value;
}

/**
 * A filter's seed: an unsigned 32-bit integer, returned as given (never coerced: `-1` or `'7'`
 * would silently become another seed).
 *
 * @example
 * ```ts
 * const seed = checkSeed('BloomFilter seed', options.seed === undefined ? randomSeed() : options.seed);
 * ```
 */
export function checkSeed(what: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffff_ffff) {
    throw invalidOptions(`${what} must be an unsigned 32-bit integer; received ${shown(value)}.`);
  }
  return value;
}

/**
 * The number of items a filter is sized for (`BloomStore`'s `expectedItems`,
 * `BloomFilter.forCapacity`'s `capacity`): a positive safe integer.
 *
 * @example
 * ```ts
 * checkItemCount('BloomStore', 'expectedItems', options.expectedItems, 'the most ids completed per retentionMs');
 * ```
 */
export function checkItemCount(owner: string, name: string, value: unknown, meaning: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw invalidOptions(`${owner} ${name} must be a positive integer (${meaning}); received ${shown(value)}.`);
  }
  return value;
}

/**
 * The false-positive rate a filter is sized for: a number strictly between 0 and 1.
 *
 * @example
 * ```ts
 * checkFalsePositiveRate('BloomStore', options.falsePositiveRate);
 * ```
 */
export function checkFalsePositiveRate(owner: string, value: unknown): number {
  if (typeof value !== 'number' || !(value > 0 && value < 1)) {
    throw invalidOptions(`${owner} falsePositiveRate must be a number between 0 and 1 exclusive, such as 1e-6; received ${shown(value)}.`);
  }
  return value;
}

/** What {@link checkFilterFits} says about the filter it checks. */
export type FilterFitsContext = {
  /** The items the filter was sized for. */
  capacity: number;
  /** The false-positive rate the filter was sized for. */
  rate: number;
  /** The word for one item, `id` or `item`; the message adds the plural's `s`. */
  item: string;
  /** What the bit count is counted over, such as ` per generation`; empty for a single filter. */
  per: string;
  /** How to ask for fewer bits: the options to change. */
  fewerBits: string;
};

/**
 * Refuses `parameters` ({@link bloomParameters} for a capacity and rate) that no `BloomFilter`
 * can take: more bits than its 32-bit probe positions address, or more probes than it makes.
 *
 * @example
 * ```ts
 * checkFilterFits('BloomFilter.forCapacity()', bloomParameters(capacity, rate), {
 *   capacity, rate, item: 'item', per: '', fewerBits: 'use a higher falsePositiveRate or a smaller capacity',
 * });
 * ```
 */
export function checkFilterFits(owner: string, parameters: BloomParameters, context: FilterFitsContext): void {
  const { capacity, rate, item, per } = context;
  if (parameters.bits > MAX_FILTER_BITS) {
    throw invalidOptions(
      `${owner} needs ${parameters.bits} bits${per} for ${capacity} ${item}s at ${rate}, more than the ${MAX_FILTER_BITS} a filter addresses: ${context.fewerBits}.`,
    );
  }
  if (parameters.hashCount > MAX_HASH_COUNT) {
    throw invalidOptions(
      `${owner} needs ${parameters.hashCount} probes per ${item}${per} for a rate of ${rate}, more than the ${MAX_HASH_COUNT} a filter makes: ` +
        `use a higher falsePositiveRate (a filter's own rate cannot go below 2^-${MAX_HASH_COUNT}, about 1.7e-77).`,
    );
  }
}
