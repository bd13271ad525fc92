import { pairedFigure, type Figure } from '../report/figures.js';
import { series } from '../report/statistics.js';
import type { BenchContext, BenchOutcome } from './benchmark.js';

/** The rate whose false positives a run can count in useful numbers (~1000 in a full run). */
const FP_GOAL_RATE = 1e-3;
/** The rate of the BloomStore in the HTTP rounds. */
const HTTP_RATE = 1e-6;
const MIN_EXPECTED = 10;

function falsePositiveNote(falsePositives: number, trials: number, upper95: number, what: string): string {
  return `${falsePositives} false positives in ${trials.toLocaleString('en-US')} ${what} (95 % upper bound ${upper95.toExponential(2)}); one large sample, not rounds`;
}

function rateName(rate: number): string {
  return rate.toExponential(0);
}

/**
 * B7 without its HTTP rounds (those run with B1/B2): the size and accuracy figures of
 * @hookguard/bloom, measured by bench/src/bloom-figures.ts and judged here.
 */
export async function runB7Figures(context: BenchContext): Promise<BenchOutcome> {
  let measure: typeof import('../bloom-figures.js').measureBloomFigures;
  try {
    ({ measureBloomFigures: measure } = await import('../bloom-figures.js'));
  } catch (error) {
    return { figures: [], skipped: [{ id: 'B7', reason: `bench/src/bloom-figures.ts could not be loaded: ${error instanceof Error ? error.message : String(error)}` }] };
  }
  // Fewer ids than the standalone script's million keep the suite within minutes; the ratios to the
  // optimum do not depend on the count, and 1e-3 still yields hundreds of false positives to count.
  const bloom = await measure({
    quick: context.quick,
    ids: context.quick ? 30_000 : 200_000,
    storeOps: context.quick ? 2_000 : 10_000,
    log: (line) => context.log(`  ${line.trim()}`),
  });
  const figures: Figure[] = [];
  for (const filter of bloom.filters) {
    if (filter.implementation !== '@hookguard/bloom BloomFilter') continue;
    figures.push(
      pairedFigure({
        id: 'B7',
        key: `B7.bits.${rateName(filter.rate)}`,
        title: `Bloom filter for p = ${rateName(filter.rate)}: bits per id ÷ optimum −log2(p)/ln 2`,
        numerator: series('bits per id', 'bits', [filter.bitsPerId]),
        denominator: series('optimum', 'bits', [filter.optimumBitsPerId]),
        goal: { op: '<=', value: 1.05 },
        details: { bits: filter.bits, hashCount: filter.hashCount, ids: filter.ids },
      }),
    );
    const sample = filter.extended ?? filter.fullFill;
    // Fewer than ~10 expected false positives say nothing about the rate: such samples are left out.
    if (sample.lookups * filter.rate >= MIN_EXPECTED) {
      figures.push(
        pairedFigure({
          id: 'B7',
          key: `B7.fp.filter.${rateName(filter.rate)}`,
          title: `Bloom filter for p = ${rateName(filter.rate)}, full: observed ÷ configured false-positive rate`,
          numerator: series('observed', 'rate', [sample.observedRate]),
          denominator: series('configured', 'rate', [filter.rate]),
          notes: [falsePositiveNote(sample.falsePositives, sample.lookups, sample.upper95, 'unseen ids')],
        }),
      );
    }
  }
  for (const store of bloom.storeAccuracy) {
    if (store.rate === FP_GOAL_RATE) {
      figures.push(
        pairedFigure({
          id: 'B7',
          key: `B7.fp.store.${rateName(store.rate)}`,
          title: `BloomStore configured for p = ${rateName(store.rate)}, every generation full: observed ÷ configured false-positive rate`,
          numerator: series('observed', 'rate', [store.observedRate]),
          denominator: series('configured', 'rate', [store.rate]),
          goal: { op: '<=', value: 1.3 },
          notes: [falsePositiveNote(store.falsePositives, store.claims, store.upper95, 'claims of unseen ids')],
        }),
      );
    }
    if (store.rate === HTTP_RATE) {
      figures.push(
        pairedFigure({
          id: 'B7',
          key: `B7.bits.store.${rateName(store.rate)}`,
          title: `BloomStore for p = ${rateName(store.rate)}: filter bits per expected id ÷ one optimal filter`,
          numerator: series('bits per expected id', 'bits', [store.bitsPerExpectedId]),
          denominator: series('optimum', 'bits', [store.bitsPerExpectedId / store.ratioToOptimum]),
          notes: [
            `information: ${store.generations} generations hold ${store.generations}/${store.generations - 1} of one retention's ids, each at a stricter per-generation rate, by design (every rate in the results file)`,
          ],
        }),
      );
    }
  }
  return { figures, skipped: [], extras: { bloomFigures: bloom } };
}
