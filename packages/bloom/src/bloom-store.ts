import {
  WebhookError,
  capLastError,
  type ClaimOptions,
  type ClaimResult,
  type CompleteOptions,
  type DedupStore,
  type ReleaseOptions,
  refuseUnknownOptions,
  type OptionNames,
} from '@hookguard/core';
import { BloomFilter } from './bloom-filter.js';
import { ClaimTable } from './claim-table.js';
import { GenerationRing, type Generation, type GenerationFilter } from './generation-ring.js';
import { hashKey, type KeyHash } from './hash.js';
import { bloomParameters, perGenerationRate, type BloomParameters } from './sizing.js';
import { checkFalsePositiveRate, checkFilterFits, checkItemCount, invalidOptions as invalid } from './sizing-options.js';
import { decodeSnapshot, encodeSnapshot, MAX_GENERATIONS, type Snapshot } from './snapshot.js';

/** Options for {@link BloomStore}. */
export type BloomStoreOptions = {
  /**
   * The most distinct ids completed during any span of `retentionMs` (the peak, not the average).
   * Each generation is sized for `expectedItems / (generations - 1)` ids, the share of one window;
   * a generation that receives more is rotated out before its window ends, so the false-positive
   * rate holds and the oldest ids are forgotten early instead (duplicates, not losses).
   */
  expectedItems: number;
  /**
   * The probability that a claim of an id never completed answers `completed` (a false positive:
   * the event is skipped, a loss) while every live generation is full. It holds across all the
   * generations checked: each keeps `1 - (1 - rate)^(1 / generations)`. Below capacity it is lower.
   */
  falsePositiveRate: number;
  /**
   * How long a completed id is remembered at least. It is forgotten between `retentionMs` and
   * `retentionMs + windowMs` after completion, where `windowMs = retentionMs / (generations - 1)`.
   * Set it to at least the receiver's `retentionMs`: a longer retention asked per call cannot be
   * honoured and ids are forgotten early (duplicates). A shorter one is outlived (harmless: the
   * id was completed). An integer from 1 to 2_147_483_647 (24.8 days).
   */
  retentionMs: number;
  /**
   * Filters kept alive; one receives ids, all are checked, the oldest is dropped every `windowMs`.
   * More generations track `retentionMs` more closely and cost less memory per id, at a few more
   * probes per claim: memory is `generations / (generations - 1)` filters' worth of one retention.
   * @default 4
   */
  generations?: number;
  /**
   * Clock in epoch milliseconds; inject one in tests.
   * @default Date.now
   */
  now?: () => number;
};

/** A snapshot of a {@link BloomStore}'s state, from {@link BloomStore.stats}. */
export type BloomStoreStats = {
  /** Bytes of filter bits across all generations: fixed at construction. */
  byteLength: number;
  /** How long each generation receives ids: `retentionMs / (generations - 1)`. */
  windowMs: number;
  /** Ids a generation receives before it is rotated out early. */
  capacityPerGeneration: number;
  bitsPerGeneration: number;
  hashCount: number;
  /** Live generations, oldest first: when each began receiving ids and how many it received. */
  generations: { startedAt: number; items: number }[];
  /** Claims in flight, lapsed, or released and keeping their attempt count. */
  inFlight: number;
  /** Generations rotated out before their window ended because they were full: raise `expectedItems`. */
  earlyRotations: number;
  /** The false-positive rate of the current contents, from the bits set in each generation. */
  estimatedFalsePositiveRate: number;
};

/** Builds one generation's filter; the default is {@link BloomFilter}. */
export type GenerationFilterFactory = (parameters: BloomParameters & { capacity: number; falsePositiveRate: number }) => GenerationFilter;

type Resolved = {
  expectedItems: number;
  falsePositiveRate: number;
  retentionMs: number;
  generations: number;
  now: () => number;
};

const INTERNAL = Symbol('bloom-store-internal');
const MAX_DURATION_MS = 2_147_483_647;
/** Completions whose tokens are remembered, so a repeated `complete` is recognised. */
const RECENT_COMPLETIONS = 1024;
type InternalOptions = BloomStoreOptions & { [INTERNAL]?: { snapshot?: Snapshot; createFilter?: GenerationFilterFactory } };

function resolveOptions(options: BloomStoreOptions): Resolved {
  if (options === null || typeof options !== 'object') {
    throw invalid('new BloomStore(options) needs { expectedItems, falsePositiveRate, retentionMs }.');
  }
  const { retentionMs } = options;
  const generations = options.generations ?? 4;
  const now = options.now ?? Date.now;
  const expectedItems = checkItemCount('BloomStore', 'expectedItems', options.expectedItems, 'the most ids completed per retentionMs');
  const falsePositiveRate = checkFalsePositiveRate('BloomStore', options.falsePositiveRate);
  if (typeof retentionMs !== 'number' || !Number.isInteger(retentionMs) || retentionMs < 1 || retentionMs > MAX_DURATION_MS) {
    throw invalid(
      `BloomStore retentionMs must be an integer number of milliseconds from 1 to ${MAX_DURATION_MS} (24.8 days), at least the receiver's retentionMs; received ${String(retentionMs)}.`,
    );
  }
  if (!Number.isInteger(generations) || generations < 2 || generations > MAX_GENERATIONS) {
    throw invalid(`BloomStore generations must be an integer from 2 to ${MAX_GENERATIONS}; received ${String(generations)}.`);
  }
  if (typeof now !== 'function') throw invalid(`BloomStore now must be a function returning epoch milliseconds; received ${typeof now}.`);
  return { expectedItems, falsePositiveRate, retentionMs, generations, now };
}

function defaultFilter(parameters: BloomParameters): GenerationFilter {
  return new BloomFilter({ bits: parameters.bits, hashCount: parameters.hashCount });
}

const BLOOM_STORE_OPTIONS: OptionNames<BloomStoreOptions> = {
  expectedItems: true,
  falsePositiveRate: true,
  retentionMs: true,
  generations: true,
  now: true,
};

/**
 * A dedup store that remembers completed ids in Bloom filters. Memory is fixed at construction,
 * whatever the traffic and however long the process runs: a little over
 * `generations / (generations - 1) × -ln(p) / ln(2)²` bits per expected id (7.7 MB for a million
 * ids at 1e-9 with 4 generations). It is **inexact**: with probability up to
 * `falsePositiveRate`, a claim of a new id answers `completed`, and the receiver then skips a real
 * event as a duplicate. That is a loss you accept at that rate; the receiver refuses this store
 * unless `acceptFalsePositives: true` and marks its duplicates `probable`.
 *
 * What is exact: claims in flight live in an in-process map with leases, owner tokens and attempt
 * counts, so concurrent deliveries in this process answer `processing`, and an id enters the
 * filter only when `complete` is called after its handlers succeeded. Not supported: stored
 * results (`complete` with `result` rejects with `ERR_HOOKGUARD_UNSUPPORTED`) and fingerprints
 * (`fingerprintMatches` is always `undefined`: a filter cannot tell which body it saw).
 * Not shared: other processes do not see this store; {@link BloomStore.save} and
 * {@link BloomStore.load} carry it across a restart.
 *
 * @example
 * ```ts
 * const store = new BloomStore({ expectedItems: 1_000_000, falsePositiveRate: 1e-6, retentionMs: 3 * 86_400_000 });
 * const receiver = createReceiver({ verifier, store, acceptFalsePositives: true });
 * ```
 */
export class BloomStore implements DedupStore {
  readonly name = 'bloom';
  readonly exact = false;
  readonly shared = false;
  readonly expectedItems: number;
  readonly falsePositiveRate: number;
  readonly retentionMs: number;
  readonly generations: number;

  readonly #now: () => number;
  readonly #ring: GenerationRing<GenerationFilter>;
  readonly #claims = new ClaimTable();
  readonly #hash: KeyHash = { a: 0, b: 0 };
  readonly #filterParameters: BloomParameters;
  /** key → token of the latest completions, oldest first, at most {@link RECENT_COMPLETIONS}. */
  readonly #completedBy = new Map<string, string>();
  #closed = false;

  constructor(options: BloomStoreOptions) {
    refuseUnknownOptions('new BloomStore()', options, BLOOM_STORE_OPTIONS);
    const resolved = resolveOptions(options);
    this.expectedItems = resolved.expectedItems;
    this.falsePositiveRate = resolved.falsePositiveRate;
    this.retentionMs = resolved.retentionMs;
    this.generations = resolved.generations;
    this.#now = resolved.now;
    const internal = (options as InternalOptions)[INTERNAL];
    const snapshot = internal?.snapshot;
    if (snapshot === undefined) {
      const windowMs = resolved.retentionMs / (resolved.generations - 1);
      const capacity = Math.ceil(resolved.expectedItems / (resolved.generations - 1));
      const rate = perGenerationRate(resolved.falsePositiveRate, resolved.generations);
      const parameters = bloomParameters(capacity, rate);
      checkFilterFits('BloomStore', parameters, {
        capacity,
        rate,
        item: 'id',
        per: ' per generation',
        fewerBits: 'use more generations, a higher falsePositiveRate or a smaller expectedItems',
      });
      const createFilter = internal?.createFilter ?? defaultFilter;
      const start = this.#now();
      const generations: Generation<GenerationFilter>[] = [];
      for (let index = 0; index < resolved.generations; index++) {
        // The older generations are empty; their start times only say when they fall due.
        const startedAt = start - (resolved.generations - 1 - index) * windowMs;
        generations.push({ startedAt, items: 0, filter: createFilter({ ...parameters, capacity, falsePositiveRate: rate }) });
      }
      this.#filterParameters = parameters;
      this.#ring = new GenerationRing({ generations, windowMs, capacity });
    } else {
      const { parameters } = snapshot;
      const { bits, hashCount } = parameters;
      this.#filterParameters = { bits, hashCount };
      this.#ring = new GenerationRing({
        windowMs: parameters.windowMs,
        capacity: parameters.capacity,
        generations: snapshot.generations.map((generation) => ({
          startedAt: generation.startedAt,
          items: generation.items,
          filter: new BloomFilter({ bits, hashCount, seed: generation.seed, data: generation.data }),
        })),
      });
      this.#ring.advance(this.#now());
    }
  }

  /**
   * Restores a store from the bytes of {@link BloomStore.save}, with the completed ids it
   * remembered and its window. Claims that were in flight are not in a snapshot: they lapse, and
   * the provider's retry runs the event again (a duplicate, never a loss). Throws
   * `ERR_HOOKGUARD_INVALID_SNAPSHOT` for a snapshot that is truncated, altered or of an unknown
   * version, and for one written with other
   * `expectedItems`, `falsePositiveRate`, `retentionMs` or `generations` (a Bloom filter cannot be
   * resized); start from `new BloomStore(options)` then, accepting that its ids may run again.
   *
   * @example
   * ```ts
   * const store = bytes === undefined ? new BloomStore(options) : BloomStore.load(bytes, options);
   * ```
   */
  static load(bytes: Uint8Array, options: BloomStoreOptions): BloomStore {
    const snapshot = decodeSnapshot(bytes);
    const resolved = resolveOptions(options);
    const saved = snapshot.parameters;
    const fields = ['expectedItems', 'falsePositiveRate', 'retentionMs', 'generations'] as const;
    const differing = fields.filter((field) => saved[field] !== resolved[field]);
    if (differing.length > 0) {
      const describe = (source: Pick<Resolved, (typeof fields)[number]>): string => differing.map((field) => `${field} ${source[field]}`).join(', ');
      throw new WebhookError(
        'ERR_HOOKGUARD_INVALID_SNAPSHOT',
        `The Bloom snapshot was written with ${describe(saved)}, but the options ask for ${describe(resolved)}, and a Bloom filter cannot be resized. Pass the snapshot's values, or start from new BloomStore(options): the ids it remembered may then run again (duplicates, not losses).`,
      );
    }
    return new BloomStore({ ...options, [INTERNAL]: { snapshot } } as InternalOptions);
  }

  claim(key: string, options: ClaimOptions): Promise<ClaimResult> {
    if (this.#closed) {
      // As MemoryStore: a redelivery must not run beside a handler still running (issue 15, item 7).
      return Promise.reject(
        new WebhookError(
          'ERR_HOOKGUARD_STORE_UNAVAILABLE',
          'The BloomStore was closed, so it claims nothing more: a redelivery could otherwise run beside a handler still running. ' +
            'Close the store after the server stopped taking requests, or load a new one from a snapshot.',
        ),
      );
    }
    try {
      const now = this.#now();
      this.#advance(now);
      const record = this.#claims.get(key);
      const hash = this.#hash;
      // A key in the claim table was never completed: the table is exact, the filter is not asked.
      if (record === undefined && this.#ring.has(hashKey(key, hash), key)) {
        return Promise.resolve({ status: 'completed', fingerprintMatches: undefined });
      }
      return Promise.resolve(this.#claims.take(key, record, now, options.leaseMs, options.retentionMs, hash));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  complete(key: string, token: string, options: CompleteOptions): Promise<boolean> {
    if (options.result !== undefined) {
      return Promise.reject(
        new WebhookError(
          'ERR_HOOKGUARD_UNSUPPORTED',
          'BloomStore cannot store a result with a completed id: a Bloom filter keeps no values. The claim is still held; complete it without a result, or use an exact store (memory, Redis, Postgres) for once() results.',
        ),
      );
    }
    try {
      const now = this.#now();
      this.#advance(now);
      const record = this.#claims.finish(key, token);
      // A repeat by the token that completed the key, unless the key was claimed again since.
      if (record === undefined) return Promise.resolve(this.#claims.get(key) === undefined && this.#completedBy.get(key) === token);
      const hash = this.#hash;
      hash.a = record.a;
      hash.b = record.b;
      this.#ring.add(hash, key, now);
      // A filter keeps no tokens: the latest completions' are kept aside, a bounded few.
      this.#completedBy.delete(key);
      this.#completedBy.set(key, token);
      if (this.#completedBy.size > RECENT_COMPLETIONS) this.#completedBy.delete(this.#completedBy.keys().next().value!);
      return Promise.resolve(true);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  release(key: string, token: string, options: ReleaseOptions = {}): Promise<boolean> {
    const lastError = options.lastError === undefined ? undefined : capLastError(options.lastError);
    const released = this.#claims.release(key, token, options.uncounted === true, lastError);
    // Nothing claims after close(): the record would never be read again.
    if (released && this.#closed) this.#claims.delete(key);
    return Promise.resolve(released);
  }

  extend(key: string, token: string, leaseMs: number): Promise<boolean> {
    try {
      return Promise.resolve(this.#claims.extend(key, token, this.#now() + leaseMs));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * The whole state as compact bytes (format in `docs/stores/bloom.md`): parameters, generation
   * start times and seeds, bit arrays, CRC-32. In-flight claims are not included. About
   * {@link BloomStoreStats.byteLength} bytes plus 52 + 16 per generation.
   *
   * @example
   * ```ts
   * await writeFile('bloom.snapshot', store.save());
   * ```
   */
  save(): Uint8Array {
    this.#advance(this.#now());
    const generations = this.#ring.generations.map((generation) => {
      if (!(generation.filter instanceof BloomFilter)) {
        throw new WebhookError('ERR_HOOKGUARD_UNSUPPORTED', 'This BloomStore was built over another filter implementation, which save() cannot serialise.');
      }
      return { startedAt: generation.startedAt, items: generation.items, seed: generation.filter.seed, data: generation.filter.data };
    });
    return encodeSnapshot({
      parameters: {
        expectedItems: this.expectedItems,
        falsePositiveRate: this.falsePositiveRate,
        retentionMs: this.retentionMs,
        generations: this.generations,
        windowMs: this.#ring.windowMs,
        capacity: this.#ring.capacity,
        bits: this.#filterParameters.bits,
        hashCount: this.#filterParameters.hashCount,
      },
      generations,
    });
  }

  /**
   * Sizes, fill and rotations, for monitoring. Scans every bit to estimate the current
   * false-positive rate (milliseconds for megabytes): call it per minute, not per request.
   *
   * @example
   * ```ts
   * const { earlyRotations, estimatedFalsePositiveRate } = store.stats();
   * ```
   */
  stats(): BloomStoreStats {
    this.#advance(this.#now());
    let notFalsePositive = 1;
    for (const generation of this.#ring.generations) {
      const filter = generation.filter;
      notFalsePositive *= filter instanceof BloomFilter ? 1 - filter.estimatedFalsePositiveRate() : Number.NaN;
    }
    return {
      byteLength: this.#ring.byteLength,
      windowMs: this.#ring.windowMs,
      capacityPerGeneration: this.#ring.capacity,
      bitsPerGeneration: this.#filterParameters.bits,
      hashCount: this.#filterParameters.hashCount,
      generations: this.#ring.generations.map(({ startedAt, items }) => ({ startedAt, items })),
      inFlight: this.#claims.size,
      earlyRotations: this.#ring.earlyRotations,
      estimatedFalsePositiveRate: 1 - notFalsePositive,
    };
  }

  /**
   * Stops claiming: from then on every claim rejects with `ERR_HOOKGUARD_STORE_UNAVAILABLE` (the
   * receiver answers 503 and the provider retries), so a redelivery never runs beside a handler
   * still running; those handlers can still complete (into the filters), release or extend their
   * claims. There is no timer to stop: generations rotate as operations arrive.
   * {@link BloomStore.save} after `close()` holds every completed id.
   */
  close(): Promise<void> {
    this.#closed = true;
    this.#completedBy.clear();
    return Promise.resolve();
  }

  #advance(now: number): void {
    // Rotation is the sweep: once per window, claims whose retention ended are dropped too.
    if (this.#ring.advance(now)) this.#claims.sweep(now);
  }
}

/**
 * Builds a {@link BloomStore} whose generations use another filter implementation, to measure
 * filters side by side behind the same store. Not exported from the package entry; `save()` of
 * such a store rejects.
 */
export function createBloomStoreWithFilter(options: BloomStoreOptions, createFilter: GenerationFilterFactory): BloomStore {
  return new BloomStore({ ...options, [INTERNAL]: { createFilter } } as InternalOptions);
}
