/**
 * Figures for docs/stores/bloom.md: size, accuracy and speed of the filter behind @hookguard/bloom
 * against the `bloom-filters` package's BloomFilter, and of the store against MemoryStore, measured
 * side by side in one process.
 *
 *   npm run build && node_modules/.bin/tsx bench/src/bloom-figures.ts [--quick] [--json]
 */
import { pathToFileURL } from 'node:url';
import { MemoryStore, type DedupStore } from '@hookguard/core';
import { BloomFilter, BloomStore, expectedFalsePositiveRate, optimalBitsPerItem } from '@hookguard/bloom';
import bloomFilters from 'bloom-filters';
// Internal seam (not in the package entry): the same store over another filter implementation.
import { createBloomStoreWithFilter } from '../../packages/bloom/src/bloom-store.js';
import type { GenerationFilter } from '../../packages/bloom/src/generation-ring.js';

const { BloomFilter: LibraryBloomFilter } = bloomFilters;
type LibraryFilter = InstanceType<typeof LibraryBloomFilter>;

/** Options for {@link measureBloomFigures}. */
export type BloomFiguresOptions = {
  /**
   * Ids per filter, and unseen ids looked up at each fill.
   * @default 1_000_000 (50_000 with `quick`)
   */
  ids?: number;
  /**
   * claim+complete pairs per store run.
   * @default 100_000 (20_000 with `quick`)
   */
  storeOps?: number;
  /**
   * Fewer ids and no extended false-positive sample, for CI-speed runs.
   * @default false
   */
  quick?: boolean;
  /**
   * False-positive rates to measure.
   * @default [1e-3, 1e-6, 1e-9]
   */
  rates?: number[];
  /**
   * Progress lines.
   * @default no output
   */
  log?: (line: string) => void;
};

/** Observed false positives among `lookups` unseen ids, against the formula for the fill. */
export type FalsePositiveFigure = {
  /** Ids added when the lookups ran. */
  fill: number;
  lookups: number;
  falsePositives: number;
  observedRate: number;
  /** `(1 - e^(-k·n/m))^k` for this filter's m, k and fill. */
  expectedRate: number;
  /** `(set bits / m)^k`, from the filter's own bits (hookguard filter only). */
  estimatedFromBits: number | undefined;
  /** 95 % upper bound on the rate given the observation (Poisson). */
  upper95: number;
};

/** Size, accuracy and speed of one filter implementation at one rate. */
export type FilterFigure = {
  implementation: 'bloom-filters BloomFilter' | '@hookguard/bloom BloomFilter';
  rate: number;
  ids: number;
  bits: number;
  hashCount: number;
  bitsPerId: number;
  optimumBitsPerId: number;
  ratioToOptimum: number;
  smallFill: FalsePositiveFigure;
  fullFill: FalsePositiveFigure;
  /** A larger unseen sample where the rate is too small for `ids` lookups to see (hookguard filter, full mode). */
  extended: FalsePositiveFigure | undefined;
  addOpsPerSecond: number;
  lookupOpsPerSecond: number;
};

/** claim+complete pairs per second of one store, against MemoryStore in the same rounds. */
export type StoreSpeedFigure = {
  store: 'MemoryStore' | 'BloomStore (@hookguard/bloom filter)' | 'BloomStore over bloom-filters';
  /** New ids: claim then complete, awaited one after another like the receiver. */
  claimCompletePerSecond: number;
  /** Claims of completed ids (duplicates). */
  duplicateClaimsPerSecond: number;
  ratioToMemory: number;
};

/** The whole store at steady state: every generation full, unseen ids claimed. */
export type StoreAccuracyFigure = {
  rate: number;
  expectedItems: number;
  generations: number;
  /** Filter bits of all generations per expected id, and against one optimal filter. */
  bitsPerExpectedId: number;
  ratioToOptimum: number;
  byteLength: number;
  claims: number;
  falsePositives: number;
  observedRate: number;
  estimatedRate: number;
  upper95: number;
};

/** Everything {@link measureBloomFigures} measures. */
export type BloomFigures = {
  mode: 'full' | 'quick';
  node: string;
  filters: FilterFigure[];
  stores: StoreSpeedFigure[];
  storeAccuracy: StoreAccuracyFigure[];
};

// Poisson 95 % one-sided upper bounds for 0..10 events; above that, the normal approximation.
const POISSON_UPPER_95 = [3.0, 4.74, 6.3, 7.75, 9.15, 10.51, 11.84, 13.15, 14.43, 15.71, 16.96];

function upper95(events: number, trials: number): number {
  const bound = POISSON_UPPER_95[events] ?? events + 1.645 * Math.sqrt(events) + 1;
  return bound / trials;
}

function key(prefix: string, index: number): string {
  // Shaped like provider ids: namespace, type prefix, 24 base-36 characters.
  return `stripe:evt_${prefix}${index.toString(36).padStart(8, '0')}Xk3pQ9mZ2vLr7T`;
}

function keys(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, index) => key(prefix, index));
}

class LibraryGeneration implements GenerationFilter {
  #filter: LibraryFilter;
  readonly #capacity: number;
  readonly #rate: number;

  constructor(capacity: number, rate: number) {
    this.#capacity = capacity;
    this.#rate = rate;
    this.#filter = LibraryGeneration.#create(capacity, rate, (Math.random() * 0x7fff_ffff) | 0);
  }

  static #create(capacity: number, rate: number, seed: number): LibraryFilter {
    const filter = LibraryBloomFilter.create(capacity, rate);
    filter.seed = seed;
    return filter;
  }

  addHash(_hash: unknown, key: string): void {
    this.#filter.add(key);
  }

  hasHash(_hash: unknown, key: string): boolean {
    return this.#filter.has(key);
  }

  clear(seed: number): void {
    this.#filter = LibraryGeneration.#create(this.#capacity, this.#rate, seed | 0);
  }

  get byteLength(): number {
    return this.#filter._filter.array.byteLength;
  }
}

type AnyFilter = { add(key: string): void; has(key: string): boolean };

function countFalsePositives(filter: AnyFilter, unseen: readonly string[]): { hits: number; ms: number } {
  const started = performance.now();
  let hits = 0;
  for (const candidate of unseen) if (filter.has(candidate)) hits++;
  return { hits, ms: performance.now() - started };
}

function falsePositiveFigure(
  parameters: { bits: number; hashCount: number },
  fill: number,
  lookups: number,
  hits: number,
  estimatedFromBits: number | undefined,
): FalsePositiveFigure {
  return {
    fill,
    lookups,
    falsePositives: hits,
    observedRate: hits / lookups,
    expectedRate: expectedFalsePositiveRate(parameters, fill),
    estimatedFromBits,
    upper95: upper95(hits, lookups),
  };
}

function measureFilter(
  implementation: FilterFigure['implementation'],
  rate: number,
  ids: readonly string[],
  unseen: readonly string[],
  extendedLookups: number,
): FilterFigure {
  let filter: AnyFilter;
  let parameters: { bits: number; hashCount: number };
  let ours: BloomFilter | undefined;
  if (implementation === '@hookguard/bloom BloomFilter') {
    ours = BloomFilter.forCapacity(ids.length, rate);
    filter = ours;
    parameters = ours;
  } else {
    const library = LibraryBloomFilter.create(ids.length, rate);
    library.seed = (Math.random() * 0x7fff_ffff) | 0;
    filter = library;
    parameters = { bits: library.size, hashCount: library._nbHashes };
  }
  const small = Math.floor(ids.length / 10);
  let addMs = 0;
  let started = performance.now();
  for (let index = 0; index < small; index++) filter.add(ids[index]!);
  addMs += performance.now() - started;
  const atSmall = countFalsePositives(filter, unseen);
  const smallFill = falsePositiveFigure(parameters, small, unseen.length, atSmall.hits, ours?.estimatedFalsePositiveRate());
  started = performance.now();
  for (let index = small; index < ids.length; index++) filter.add(ids[index]!);
  addMs += performance.now() - started;
  const atFull = countFalsePositives(filter, unseen);
  const fullFill = falsePositiveFigure(parameters, ids.length, unseen.length, atFull.hits, ours?.estimatedFalsePositiveRate());
  let extended: FalsePositiveFigure | undefined;
  if (ours !== undefined && extendedLookups > unseen.length) {
    let hits = 0;
    for (let index = 0; index < extendedLookups; index++) if (ours.has(key('x', index))) hits++;
    extended = falsePositiveFigure(parameters, ids.length, extendedLookups, hits, ours.estimatedFalsePositiveRate());
  }
  const bitsPerId = parameters.bits / ids.length;
  return {
    implementation,
    rate,
    ids: ids.length,
    bits: parameters.bits,
    hashCount: parameters.hashCount,
    bitsPerId,
    optimumBitsPerId: optimalBitsPerItem(rate),
    ratioToOptimum: bitsPerId / optimalBitsPerItem(rate),
    smallFill,
    fullFill,
    extended,
    addOpsPerSecond: (ids.length / addMs) * 1000,
    lookupOpsPerSecond: ((2 * unseen.length) / (atSmall.ms + atFull.ms)) * 1000,
  };
}

const LEASE = { leaseMs: 60_000, retentionMs: 259_200_000 };

async function claimCompleteRun(store: DedupStore, prefix: string, count: number): Promise<{ pairs: number; duplicates: number }> {
  let started = performance.now();
  for (let index = 0; index < count; index++) {
    const id = key(prefix, index);
    const claim = await store.claim(id, LEASE);
    if (claim.status === 'claimed') await store.complete(id, claim.token, { retentionMs: LEASE.retentionMs });
  }
  const pairs = (count / (performance.now() - started)) * 1000;
  started = performance.now();
  for (let index = 0; index < count; index++) await store.claim(key(prefix, index), LEASE);
  const duplicates = (count / (performance.now() - started)) * 1000;
  return { pairs, duplicates };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function measureStores(expectedItems: number, storeOps: number, log: (line: string) => void): Promise<StoreSpeedFigure[]> {
  const bloomOptions = { expectedItems, falsePositiveRate: 1e-6, retentionMs: LEASE.retentionMs };
  const builders: [StoreSpeedFigure['store'], () => DedupStore, number][] = [
    ['MemoryStore', () => new MemoryStore(), storeOps],
    ['BloomStore (@hookguard/bloom filter)', () => new BloomStore(bloomOptions), storeOps],
    // bloom-filters is ~100× slower per operation; a tenth of the pairs keeps the run short.
    [
      'BloomStore over bloom-filters',
      () => createBloomStoreWithFilter(bloomOptions, ({ capacity, falsePositiveRate }) => new LibraryGeneration(capacity, falsePositiveRate)),
      Math.max(1000, Math.floor(storeOps / 10)),
    ],
  ];
  const results = new Map<string, { pairs: number[]; duplicates: number[] }>();
  // Interleaved rounds, medians: each store sees the same JIT and machine state as the others.
  for (let round = 0; round < 4; round++) {
    for (const [name, build, count] of builders) {
      const store = build();
      const run = await claimCompleteRun(store, `r${round}-`, count);
      await store.close?.();
      if (round === 0) continue; // warm-up
      const entry = results.get(name) ?? { pairs: [], duplicates: [] };
      entry.pairs.push(run.pairs);
      entry.duplicates.push(run.duplicates);
      results.set(name, entry);
    }
    log(`  store round ${round + 1}/4`);
  }
  const memory = median(results.get('MemoryStore')!.pairs);
  return builders.map(([name]) => {
    const entry = results.get(name)!;
    const pairs = median(entry.pairs);
    return { store: name, claimCompletePerSecond: pairs, duplicateClaimsPerSecond: median(entry.duplicates), ratioToMemory: pairs / memory };
  });
}

async function measureStoreAccuracy(rate: number, expectedItems: number, lookups: number): Promise<StoreAccuracyFigure> {
  let now = 0;
  const retentionMs = 3_000_000;
  const store = new BloomStore({ expectedItems, falsePositiveRate: rate, retentionMs, now: () => now });
  const { windowMs, capacityPerGeneration, generations } = { ...store.stats(), generations: store.generations };
  // Fill every generation to capacity, one window at a time: the steady state just before a rotation.
  let index = 0;
  for (let generation = 0; generation < generations; generation++) {
    if (generation > 0) now += windowMs;
    for (let item = 0; item < capacityPerGeneration; item++, index++) {
      const id = key('s', index);
      const claim = await store.claim(id, LEASE);
      if (claim.status === 'claimed') await store.complete(id, claim.token, { retentionMs });
    }
  }
  const stats = store.stats();
  let falsePositives = 0;
  for (let lookup = 0; lookup < lookups; lookup++) {
    if ((await store.claim(key('u', lookup), { leaseMs: 1, retentionMs: 1 })).status === 'completed') falsePositives++;
  }
  const bitsPerExpectedId = (stats.byteLength * 8) / expectedItems;
  return {
    rate,
    expectedItems,
    generations,
    bitsPerExpectedId,
    ratioToOptimum: bitsPerExpectedId / optimalBitsPerItem(rate),
    byteLength: stats.byteLength,
    claims: lookups,
    falsePositives,
    observedRate: falsePositives / lookups,
    estimatedRate: stats.estimatedFalsePositiveRate,
    upper95: upper95(falsePositives, lookups),
  };
}

/**
 * Measures the Bloom figures (docs/stores/bloom.md) and returns them as data.
 *
 * @example
 * ```ts
 * const figures = await measureBloomFigures({ quick: true });
 * console.log(formatBloomFigures(figures));
 * ```
 */
export async function measureBloomFigures(options: BloomFiguresOptions = {}): Promise<BloomFigures> {
  const quick = options.quick ?? false;
  const count = options.ids ?? (quick ? 50_000 : 1_000_000);
  const storeOps = options.storeOps ?? (quick ? 20_000 : 100_000);
  const rates = options.rates ?? [1e-3, 1e-6, 1e-9];
  const log = options.log ?? (() => undefined);
  const ids = keys('', count);
  const unseen = keys('u', count);
  const filters: FilterFigure[] = [];
  for (const rate of rates) {
    // 30 expected false positives where 40 million lookups afford them (1e-6: measured, not just bounded).
    const extendedLookups = quick || 30 / rate > 40_000_000 ? 0 : Math.ceil(30 / rate);
    filters.push(measureFilter('@hookguard/bloom BloomFilter', rate, ids, unseen, extendedLookups));
    log(`  @hookguard/bloom filter at ${rate} done`);
    filters.push(measureFilter('bloom-filters BloomFilter', rate, ids, unseen, 0));
    log(`  bloom-filters filter at ${rate} done`);
  }
  const stores = await measureStores(count, storeOps, log);
  const storeAccuracy: StoreAccuracyFigure[] = [];
  for (const rate of rates) {
    storeAccuracy.push(await measureStoreAccuracy(rate, count, count));
    log(`  store accuracy at ${rate} done`);
  }
  return { mode: quick ? 'quick' : 'full', node: process.version, filters, stores, storeAccuracy };
}

function rate(value: number): string {
  return value === 0 ? '0' : value.toExponential(2);
}

function perSecond(value: number): string {
  return value >= 1e6 ? `${(value / 1e6).toFixed(2)} M` : `${Math.round(value / 1000)} k`;
}

function observation(figure: FalsePositiveFigure): string {
  return `${figure.falsePositives} / ${figure.lookups.toLocaleString('en-US')} = ${rate(figure.observedRate)} (≤ ${rate(figure.upper95)})`;
}

/**
 * Renders {@link BloomFigures} as the Markdown tables of docs/stores/bloom.md.
 *
 * @example
 * ```ts
 * console.log(formatBloomFigures(await measureBloomFigures()));
 * ```
 */
export function formatBloomFigures(figures: BloomFigures): string {
  const lines: string[] = [];
  const ids = figures.filters[0]?.ids ?? 0;
  lines.push(`Filters holding ${ids.toLocaleString('en-US')} ids (${figures.mode} mode, Node ${figures.node}); false positives among as many unseen ids, observed count (95 % upper bound).`, '');
  lines.push('| filter | target p | bits/id | × optimum | k | FP at 10 % fill (formula) | FP at full fill | FP full, formula / from bits | add ops/s | lookup ops/s |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|');
  for (const figure of figures.filters) {
    const fromBits = figure.fullFill.estimatedFromBits === undefined ? '–' : rate(figure.fullFill.estimatedFromBits);
    lines.push(
      `| ${figure.implementation} | ${rate(figure.rate)} | ${figure.bitsPerId.toFixed(2)} | ${figure.ratioToOptimum.toFixed(4)} | ${figure.hashCount} | ${observation(figure.smallFill)} (${rate(figure.smallFill.expectedRate)}) | ${observation(figure.fullFill)} | ${rate(figure.fullFill.expectedRate)} / ${fromBits} | ${perSecond(figure.addOpsPerSecond)} | ${perSecond(figure.lookupOpsPerSecond)} |`,
    );
  }
  const extended = figures.filters.filter((figure) => figure.extended !== undefined);
  if (extended.length > 0) {
    lines.push('', 'Larger unseen samples for the @hookguard/bloom filter at full fill:', '');
    lines.push('| target p | lookups | false positives | observed / target | 95 % upper bound |');
    lines.push('|---|---|---|---|---|');
    for (const figure of extended) {
      const sample = figure.extended!;
      lines.push(`| ${rate(figure.rate)} | ${sample.lookups.toLocaleString('en-US')} | ${sample.falsePositives} | ${(sample.observedRate / figure.rate).toFixed(2)} | ${rate(sample.upper95)} |`);
    }
  }
  lines.push('', 'Store speed, claim+complete of new ids and claims of duplicates, awaited one by one (median of 3 interleaved rounds):', '');
  lines.push('| store | claim+complete/s | duplicate claims/s | × MemoryStore |');
  lines.push('|---|---|---|---|');
  for (const figure of figures.stores) {
    lines.push(`| ${figure.store} | ${perSecond(figure.claimCompletePerSecond)} | ${perSecond(figure.duplicateClaimsPerSecond)} | ${figure.ratioToMemory.toFixed(2)} |`);
  }
  lines.push('', 'BloomStore at steady state (every generation full, default 4 generations), unseen ids claimed:', '');
  lines.push('| target p | expectedItems | filter bytes | bits/expected id | × one optimal filter | false positives | observed | from bits |');
  lines.push('|---|---|---|---|---|---|---|---|');
  for (const figure of figures.storeAccuracy) {
    lines.push(
      `| ${rate(figure.rate)} | ${figure.expectedItems.toLocaleString('en-US')} | ${figure.byteLength.toLocaleString('en-US')} | ${figure.bitsPerExpectedId.toFixed(2)} | ${figure.ratioToOptimum.toFixed(2)} | ${figure.falsePositives} / ${figure.claims.toLocaleString('en-US')} | ${rate(figure.observedRate)} (≤ ${rate(figure.upper95)}) | ${rate(figure.estimatedRate)} |`,
    );
  }
  return lines.join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const quick = process.argv.includes('--quick');
  const figures = await measureBloomFigures({ quick, log: (line) => console.error(line) });
  console.log(process.argv.includes('--json') ? JSON.stringify(figures, null, 2) : formatBloomFigures(figures));
}
