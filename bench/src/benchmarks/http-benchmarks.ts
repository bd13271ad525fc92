import { runHttpRounds, percent, type HttpRound, type HttpVariant } from '../http/http-rounds.js';
import { FRAMEWORK_NAMES, type Framework } from '../http/server-config.js';
import { pairedFigure, type Figure, type Goal, type Skipped } from '../report/figures.js';
import { median, series } from '../report/statistics.js';
import type { BenchContext, BenchmarkId, BenchOutcome } from './benchmark.js';

/**
 * B1's goal (issue 20): hookguard's own cost beyond the least a verifying receiver can do, per
 * server CPU-second. Against the bare framework the figure is information: no verifying receiver
 * reaches the bare server (B1.<framework>.ceiling).
 */
export const VS_MINIMAL_GOAL: Goal = { op: '>=', value: 0.9 };
const B2_GOAL: Goal = { op: '>=', value: 1.1 };
const B7_GOAL: Goal = { op: '>=', value: 0.9 };
/** The framework of B7's HTTP rounds: the fastest, where a store's cost shows most. */
const B7_FRAMEWORK: Framework = 'fastify';
/** A generator above this share of a core is the bottleneck, not the server. */
const SATURATED = 0.9;
const CONNECTIONS = 50;

type Results = Map<string, HttpRound[]>;

function variantsFor(framework: Framework, selected: ReadonlySet<BenchmarkId>, context: BenchContext): HttpVariant[] {
  const variants: HttpVariant[] = [];
  const add = (key: string, handling: HttpVariant['server']['handling'], store: HttpVariant['server']['store'], load: HttpVariant['load']): void => {
    variants.push({ key, server: { framework, handling, store }, load });
  };
  const b7 = selected.has('B7') && framework === B7_FRAMEWORK;
  if (selected.has('B1') || selected.has('B2') || b7) add('hookguard', 'hookguard', 'memory', 'unique');
  if (selected.has('B1')) add('bare', 'bare', 'memory', 'unique');
  // B1's ceiling: the least any verifying, deduplicating route does (information, not a goal).
  if (selected.has('B1')) add('minimal', 'minimal', 'memory', 'unique');
  // Issue 20: the fingerprint, a guarantee whose cost no code removes, measured on its own.
  if (selected.has('B1') && !context.quick) add('minimal-fingerprint', 'minimal-fingerprint', 'memory', 'unique');
  if (selected.has('B2')) add('by-hand', 'by-hand', 'memory', 'unique');
  if (b7) add('hookguard-bloom', 'hookguard', 'bloom', 'unique');
  // Extra information, not a goal: the cheaper path where every delivery was seen before.
  if (selected.has('B1') && !context.quick) add('hookguard-duplicates', 'hookguard', 'memory', 'repeated');
  // With --diagnose: the receiver called on the framework's own raw body, without the adapter.
  if (selected.has('B1') && context.diagnose) add('direct', 'direct', 'memory', 'unique');
  return variants;
}

/** Whether `selected` includes a benchmark with HTTP rounds. */
export function wantsHttp(selected: ReadonlySet<BenchmarkId>): boolean {
  return selected.has('B1') || selected.has('B2') || selected.has('B7');
}

function saturationNote(numerator: HttpRound[], denominator: HttpRound[]): string[] {
  const rounds = [...numerator, ...denominator];
  const saturated = rounds.filter((round) => round.generatorCpuShare >= SATURATED).length;
  const shares =
    `server CPU ${percent(median(numerator.map((round) => round.serverCpuShare)))} vs ${percent(median(denominator.map((round) => round.serverCpuShare)))}, ` +
    `generator CPU ${percent(median(numerator.map((round) => round.generatorCpuShare)))} vs ${percent(median(denominator.map((round) => round.generatorCpuShare)))} (medians)`;
  if (saturated === 0) return [shares];
  return [`${shares}; the load generator used ≥ ${percent(SATURATED)} of a core in ${saturated} of ${rounds.length} rounds, so req/s flatters the slower side: judge by req/CPU-s`];
}

function problemNotes(label: string, rounds: HttpRound[]): string[] {
  const notes: string[] = [];
  const repeated = rounds.reduce((sum, round) => sum + round.repeatedIds, 0);
  if (repeated > 0) notes.push(`${label}: ${repeated} requests reused an id (pool exhausted); those were duplicates, not new events`);
  const failed = rounds.reduce((sum, round) => sum + round.load.non2xx + round.load.errors + round.server.counters.errors, 0);
  if (failed > 0) notes.push(`${label}: ${failed} requests failed or were refused`);
  return notes;
}

function details(numerator: HttpRound[], denominator: HttpRound[]): Record<string, unknown> {
  const brief = (round: HttpRound): Record<string, number> => ({
    requestsPerSecond: round.requestsPerSecond,
    requestsPerCpuSecond: round.requestsPerCpuSecond,
    serverCpuShare: round.serverCpuShare,
    serverSystemShare: round.serverSystemShare,
    generatorCpuShare: round.generatorCpuShare,
    newEvents: round.server.counters.processed,
    duplicates: round.server.counters.duplicates,
    latencyP50Ms: round.load.latencyP50Ms,
    latencyP99Ms: round.load.latencyP99Ms,
    serverRssMiB: round.server.rssBytes / 2 ** 20,
  });
  return { numeratorRounds: numerator.map(brief), denominatorRounds: denominator.map(brief) };
}

/** Two figures per comparison: by req/s, and by requests per second of the server's own CPU time. */
function httpFigures(
  id: BenchmarkId,
  key: string,
  what: string,
  [numeratorLabel, numerator]: [string, HttpRound[]],
  [denominatorLabel, denominator]: [string, HttpRound[]],
  goal: Goal | undefined,
  goalOn: 'both' | 'cpu' = 'both',
): Figure[] {
  const notes = [...saturationNote(numerator, denominator), ...problemNotes(numeratorLabel, numerator), ...problemNotes(denominatorLabel, denominator)];
  const common = { id, details: details(numerator, denominator) };
  const withGoal = goal === undefined ? {} : { goal };
  return [
    pairedFigure({
      ...common,
      ...(goalOn === 'both' ? withGoal : {}),
      key: `${key}.rps`,
      title: `${what}, req/s`,
      numerator: series(numeratorLabel, 'req/s', numerator.map((round) => round.requestsPerSecond)),
      denominator: series(denominatorLabel, 'req/s', denominator.map((round) => round.requestsPerSecond)),
      notes,
    }),
    pairedFigure({
      ...common,
      ...withGoal,
      key: `${key}.cpu`,
      title: `${what}, req per server CPU-s`,
      numerator: series(numeratorLabel, 'req/CPU-s', numerator.map((round) => round.requestsPerCpuSecond)),
      denominator: series(denominatorLabel, 'req/CPU-s', denominator.map((round) => round.requestsPerCpuSecond)),
    }),
  ];
}

function frameworkFigures(framework: Framework, results: Results, selected: ReadonlySet<BenchmarkId>): Figure[] {
  const name = FRAMEWORK_NAMES[framework];
  const get = (key: string): HttpRound[] => results.get(key) ?? [];
  const hookguard: [string, HttpRound[]] = [`${name} + hookguard`, get('hookguard')];
  const figures: Figure[] = [];
  if (selected.has('B1')) {
    figures.push(
      ...httpFigures('B1', `B1.${framework}`, `${name} + hookguard ÷ bare ${name} (raw body, no verification)`, hookguard, [`bare ${name}`, get('bare')], undefined),
    );
    const minimal: [string, HttpRound[]] = [`${name} + minimal verify + Set`, get('minimal')];
    figures.push(
      ...httpFigures('B1', `B1.${framework}.ceiling`, `${name} + minimal node:crypto verify + Set ÷ bare ${name}: B1's ceiling for any verifying receiver`, minimal, [`bare ${name}`, get('bare')], undefined),
      ...httpFigures('B1', `B1.${framework}.vs-minimal`, `${name} + hookguard ÷ ${name} + minimal node:crypto verify + Set`, hookguard, minimal, VS_MINIMAL_GOAL, 'cpu'),
    );
    if (results.has('minimal-fingerprint')) {
      // The minimal route plus the body fingerprint hookguard keeps: hookguard ÷ it is what hookguard
      // costs beyond that guarantee, it ÷ the minimal route what the guarantee costs any route.
      const fingerprinting: [string, HttpRound[]] = [`${name} + minimal verify + fingerprint + Map`, get('minimal-fingerprint')];
      figures.push(
        ...httpFigures(
          'B1',
          `B1.${framework}.vs-minimal-fingerprint`,
          `${name} + hookguard ÷ ${name} + minimal verify + the same body fingerprint (SHA-256) kept with each id in a Map`,
          hookguard,
          fingerprinting,
          undefined,
        ),
        ...httpFigures(
          'B1',
          `B1.${framework}.fingerprint`,
          `${name} + minimal verify + fingerprint + Map ÷ ${name} + minimal verify + Set: what the fingerprint guarantee costs any route`,
          fingerprinting,
          minimal,
          undefined,
        ),
      );
    }
    if (results.has('hookguard-duplicates')) {
      figures.push(
        ...httpFigures(
          'B1',
          `B1.${framework}.duplicates`,
          `${name} + hookguard, every delivery a duplicate ÷ bare ${name}`,
          [`${name} + hookguard (duplicates)`, get('hookguard-duplicates')],
          [`bare ${name}`, get('bare')],
          undefined,
        ),
      );
    }
  }
  if (results.has('direct')) {
    figures.push(
      ...httpFigures(
        'B1',
        `B1.${framework}.no-adapter`,
        `${name} reading the raw body itself + receiver.receive(bytes) ÷ bare ${name}`,
        [`${name} + receive() without adapter`, get('direct')],
        [`bare ${name}`, get('bare')],
        undefined,
      ),
    );
  }
  if (selected.has('B2')) {
    figures.push(
      ...httpFigures('B2', `B2.${framework}`, `${name} + hookguard ÷ ${name} by hand (standardwebhooks verify + Set)`, hookguard, [`${name} by hand`, get('by-hand')], B2_GOAL),
    );
  }
  if (selected.has('B7') && framework === B7_FRAMEWORK) {
    figures.push(
      ...httpFigures('B7', 'B7.http', `${name} + hookguard with BloomStore ÷ with MemoryStore`, [`${name} + hookguard (Bloom)`, get('hookguard-bloom')], hookguard, B7_GOAL),
    );
  }
  return figures;
}

/**
 * The HTTP figures of B1, B2 and B7: per framework, one set of interleaved rounds over every
 * variant the selected benchmarks need (the hookguard server's rounds serve B1, B2 and B7 alike).
 */
export async function runHttpBenchmarks(selected: ReadonlySet<BenchmarkId>, context: BenchContext): Promise<BenchOutcome> {
  const figures: Figure[] = [];
  const skipped: Skipped[] = [];
  const rounds = context.httpRounds;
  const durationSeconds = context.httpDurationSeconds;
  const warmupSeconds = context.quick ? 0.5 : 1.5;
  for (const framework of context.frameworks) {
    const variants = variantsFor(framework, selected, context);
    if (variants.length === 0) continue;
    context.log(`  ${FRAMEWORK_NAMES[framework]}: ${variants.map((variant) => variant.key).join(', ')}; ${rounds} rounds of ${durationSeconds} s, ${CONNECTIONS} connections`);
    let results: Results;
    try {
      results = await runHttpRounds(variants, {
        rounds,
        durationSeconds,
        warmupSeconds,
        connections: CONNECTIONS,
        log: context.log,
        serverNodeOptions: context.serverNodeOptions,
        ...(context.profileDirectory === undefined ? {} : { profileDirectory: context.profileDirectory }),
      });
    } catch (error) {
      const reason = `${FRAMEWORK_NAMES[framework]} rounds failed: ${error instanceof Error ? error.message : String(error)}`;
      for (const id of ['B1', 'B2', 'B7'] as const) {
        if (selected.has(id) && (id !== 'B7' || framework === B7_FRAMEWORK)) skipped.push({ id, reason });
      }
      continue;
    }
    figures.push(...frameworkFigures(framework, results, selected));
  }
  return { figures, skipped };
}
