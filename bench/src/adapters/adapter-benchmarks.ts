import type { BenchContext, BenchmarkId, BenchOutcome } from '../benchmarks/benchmark.js';
import { pairedFigure, type Figure, type Goal } from '../report/figures.js';
import { median, series } from '../report/statistics.js';
import { workerBundle } from '../../../packages/web/src/worker-bundle.fixtures.js';
import { VS_MINIMAL_GOAL } from '../benchmarks/http-benchmarks.js';
import type { AdapterServer } from './adapter-servers.js';
import { runAdapterRounds, type AdapterRound, type AdapterVariant } from './adapter-rounds.js';

/** Issue 17: the same GitHub deliveries through @hookguard/node at least 1.2× @octokit/webhooks. */
const OCTOKIT_GOAL: Goal = { op: '>=', value: 1.2 };
/** Issue 17: a Worker with @hookguard/web, the core and one verifier under 25 KB gzipped. */
const BUNDLE_BUDGET_BYTES = 25 * 1024;
const BUNDLE_GOAL: Goal = { op: '<=', value: 1 };
const CONNECTIONS = 50;
const SATURATED = 0.9;

const percent = (share: number): string => `${Math.round(share * 100)} %`;

function notesFor(numerator: AdapterRound[], denominator: AdapterRound[]): string[] {
  const both = [...numerator, ...denominator];
  const notes = [
    `server CPU ${percent(median(numerator.map((round) => round.serverCpuShare)))} vs ${percent(median(denominator.map((round) => round.serverCpuShare)))}, ` +
      `generator CPU ${percent(median(numerator.map((round) => round.generatorCpuShare)))} vs ${percent(median(denominator.map((round) => round.generatorCpuShare)))} (medians)`,
  ];
  const saturated = both.filter((round) => round.generatorCpuShare >= SATURATED).length;
  if (saturated > 0) notes.push(`the load generator used ≥ ${percent(SATURATED)} of a core in ${saturated} of ${both.length} rounds, so req/s flatters the slower side: judge by req/CPU-s`);
  const failed = both.reduce((sum, round) => sum + round.non2xx + round.errors + round.counters.errors, 0);
  if (failed > 0) notes.push(`${failed} requests failed or were refused`);
  const repeated = both.reduce((sum, round) => sum + round.repeated, 0);
  if (repeated > 0) notes.push(`${repeated} requests reused a delivery (pool exhausted)`);
  return notes;
}

/** Two figures per comparison: by req/s, and by requests per second of the server's own CPU time. */
function figures(
  id: BenchmarkId,
  key: string,
  what: string,
  [numeratorLabel, numerator]: [string, AdapterRound[]],
  [denominatorLabel, denominator]: [string, AdapterRound[]],
  goal?: Goal,
  goalOn: 'both' | 'cpu' = 'both',
): Figure[] {
  const common = { id, ...(goal === undefined ? {} : { goal }) };
  return [
    pairedFigure({
      id,
      ...(goal === undefined || goalOn === 'cpu' ? {} : { goal }),
      key: `${key}.rps`,
      title: `${what}, req/s`,
      numerator: series(numeratorLabel, 'req/s', numerator.map((round) => round.requestsPerSecond)),
      denominator: series(denominatorLabel, 'req/s', denominator.map((round) => round.requestsPerSecond)),
      notes: notesFor(numerator, denominator),
    }),
    pairedFigure({
      ...common,
      key: `${key}.cpu`,
      title: `${what}, req per server CPU-s`,
      numerator: series(numeratorLabel, 'req/CPU-s', numerator.map((round) => round.requestsPerCpuSecond)),
      denominator: series(denominatorLabel, 'req/CPU-s', denominator.map((round) => round.requestsPerCpuSecond)),
    }),
  ];
}

async function bundleFigure(): Promise<{ figure: Figure; extras: Record<string, unknown> }> {
  const bundle = await workerBundle('dist');
  const figure = pairedFigure({
    id: 'B1',
    key: 'B1.web.worker-bundle',
    title: 'Worker bundle of @hookguard/web + core + standardWebhooks (esbuild, minified), gzip bytes ÷ 25 KB budget',
    numerator: series('gzip bytes', 'B', [bundle.gzipBytes]),
    denominator: series('budget', 'B', [BUNDLE_BUDGET_BYTES]),
    goal: BUNDLE_GOAL,
    notes: [`${bundle.bytes} bytes minified, ${bundle.gzipBytes} gzipped (level 9), from ${bundle.inputs.length} modules`],
  });
  return { figure, extras: { webWorkerBundle: { minifiedBytes: bundle.bytes, gzipBytes: bundle.gzipBytes, modules: bundle.inputs } } };
}

/**
 * The adapters on bare node:http: B1's `@hookguard/node` ÷ a bare node:http raw-body route, beside
 * the minimal-verify ceiling; B2's `@hookguard/node` ÷ `@octokit/webhooks`' `createNodeMiddleware`
 * on the same GitHub deliveries, beside what a bare route and the minimal GitHub verify reach
 * against octokit (the most any receiver, and any verifying one, can); and the size of a Worker
 * bundle of `@hookguard/web`.
 */
export async function runAdapterBenchmarks(selected: ReadonlySet<BenchmarkId>, context: BenchContext): Promise<BenchOutcome> {
  const out: Figure[] = [];
  let extras: Record<string, unknown> = {};
  const node = context.adapters.includes('node');
  const web = context.adapters.includes('web');
  if (selected.has('B1') && web) {
    const bundle = await bundleFigure();
    out.push(bundle.figure);
    extras = bundle.extras;
    context.log(`  Worker bundle of @hookguard/web: ${bundle.figure.notes[0]}`);
  }
  const variants: AdapterVariant[] = [];
  if (selected.has('B1') && node) {
    variants.push(
      { key: 'hookguard', deliveries: 'standard-webhooks' },
      { key: 'bare', deliveries: 'standard-webhooks' },
      { key: 'minimal', deliveries: 'standard-webhooks' },
      { key: 'minimal-fingerprint', deliveries: 'standard-webhooks' },
    );
  }
  if (selected.has('B1') && web) {
    variants.push(
      { key: 'web', deliveries: 'standard-webhooks' },
      { key: 'web-minimal', deliveries: 'standard-webhooks' },
      { key: 'web-minimal-fingerprint', deliveries: 'standard-webhooks' },
    );
  }
  if (selected.has('B2') && node) {
    variants.push(
      { key: 'hookguard-github', deliveries: 'github' },
      { key: 'octokit', deliveries: 'github' },
      { key: 'bare-github', deliveries: 'github' },
      { key: 'minimal-github', deliveries: 'github' },
    );
  }
  if (variants.length === 0) return { figures: out, skipped: [], extras };
  const rounds = context.httpRounds;
  context.log(`  node:http: ${variants.map((variant) => variant.key).join(', ')}; ${rounds} rounds of ${context.httpDurationSeconds} s, ${CONNECTIONS} connections`);
  const results = await runAdapterRounds(variants, {
    rounds,
    durationSeconds: context.httpDurationSeconds,
    warmupSeconds: context.quick ? 0.5 : 1.5,
    connections: CONNECTIONS,
    serverNodeOptions: context.serverNodeOptions,
    log: context.log,
    ...(context.profileDirectory === undefined ? {} : { profileDirectory: context.profileDirectory }),
  });
  const get = (key: AdapterServer): AdapterRound[] => results.get(key) ?? [];
  if (selected.has('B1') && node) {
    const hookguard: [string, AdapterRound[]] = ['node:http + @hookguard/node', get('hookguard')];
    const bare: [string, AdapterRound[]] = ['bare node:http', get('bare')];
    const minimal: [string, AdapterRound[]] = ['node:http + minimal verify + Set', get('minimal')];
    const fingerprinting: [string, AdapterRound[]] = ['node:http + minimal verify + fingerprint + Map', get('minimal-fingerprint')];
    out.push(
      ...figures('B1', 'B1.node', 'node:http + @hookguard/node ÷ bare node:http (raw body, no verification)', hookguard, bare),
      ...figures('B1', 'B1.node.ceiling', "node:http + minimal node:crypto verify + Set ÷ bare node:http: B1's ceiling for any verifying receiver", minimal, bare),
      ...figures('B1', 'B1.node.vs-minimal', 'node:http + @hookguard/node ÷ node:http + minimal node:crypto verify + Set', hookguard, minimal, VS_MINIMAL_GOAL, 'cpu'),
      // Issue 20: a guarantee whose cost no code removes, measured on its own. The fingerprint is
      // one SHA-256 of the body; this side pays it too, so the ratio is hookguard's cost beyond it.
      ...figures(
        'B1',
        'B1.node.vs-minimal-fingerprint',
        'node:http + @hookguard/node ÷ node:http + minimal verify + the same body fingerprint (SHA-256) kept with each id in a Map',
        hookguard,
        fingerprinting,
      ),
      ...figures(
        'B1',
        'B1.node.fingerprint',
        'node:http + minimal verify + fingerprint + Map ÷ node:http + minimal verify + Set: what the fingerprint guarantee costs any route',
        fingerprinting,
        minimal,
      ),
    );
  }
  if (selected.has('B1') && web) {
    const handler: [string, AdapterRound[]] = ['node:http → Request + @hookguard/web', get('web')];
    const minimal: [string, AdapterRound[]] = ['node:http → Request + arrayBuffer() + minimal verify + Set', get('web-minimal')];
    const fingerprinting: [string, AdapterRound[]] = ['node:http → Request + arrayBuffer() + minimal verify + fingerprint + Map', get('web-minimal-fingerprint')];
    out.push(
      ...figures(
        'B1',
        'B1.web.vs-minimal',
        '@hookguard/web handler ÷ a Web handler reading request.arrayBuffer() + minimal node:crypto verify + Set (both behind the same node:http → Request bridge)',
        handler,
        minimal,
        VS_MINIMAL_GOAL,
        'cpu',
      ),
      ...figures(
        'B1',
        'B1.web.vs-minimal-fingerprint',
        '@hookguard/web handler ÷ the same minimal Web handler plus the body fingerprint (SHA-256) kept with each id in a Map',
        handler,
        fingerprinting,
      ),
      ...figures(
        'B1',
        'B1.web.fingerprint',
        'the minimal Web handler with the body fingerprint + Map ÷ without it (+ Set): what the fingerprint guarantee costs any Web handler',
        fingerprinting,
        minimal,
      ),
    );
  }
  if (selected.has('B2') && node) {
    out.push(
      ...figures(
        'B2',
        'B2.node.octokit',
        'GitHub deliveries: node:http + @hookguard/node (verify, dedup, dispatch) ÷ @octokit/webhooks createNodeMiddleware (verify, dispatch)',
        ['@hookguard/node (GitHub)', get('hookguard-github')],
        ['@octokit/webhooks createNodeMiddleware', get('octokit')],
        OCTOKIT_GOAL,
      ),
      // How far above octokit any receiver can get: node:http's own cost is shared by every side.
      ...figures(
        'B2',
        'B2.node.octokit.ceiling',
        'GitHub deliveries: bare node:http (raw body, no verification) ÷ @octokit/webhooks createNodeMiddleware: the most any receiver reaches',
        ['bare node:http', get('bare-github')],
        ['@octokit/webhooks createNodeMiddleware', get('octokit')],
      ),
      ...figures(
        'B2',
        'B2.node.octokit.minimal',
        'GitHub deliveries: node:http + minimal node:crypto GitHub verify + Set ÷ @octokit/webhooks createNodeMiddleware: the most a verifying, deduplicating receiver reaches',
        ['node:http + minimal GitHub verify + Set', get('minimal-github')],
        ['@octokit/webhooks createNodeMiddleware', get('octokit')],
      ),
      ...figures(
        'B2',
        'B2.node.github.vs-minimal',
        'GitHub deliveries: node:http + @hookguard/node ÷ node:http + minimal node:crypto GitHub verify + Set',
        ['@hookguard/node (GitHub)', get('hookguard-github')],
        ['node:http + minimal GitHub verify + Set', get('minimal-github')],
      ),
    );
  }
  return { figures: out, skipped: [], extras };
}
