// `npm run bench` from the repository root: every benchmark, a results table, and a JSON file of
// every figure under bench/results/. `npm run bench -- --help` lists the options.
import { mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { staleBuilds } from './built-packages.js';
import { BENCHMARK_IDS, type BenchContext, type BenchmarkId, type BenchOutcome } from './benchmarks/benchmark.js';
import { runB3 } from './benchmarks/b3-standard-webhooks.js';
import { runB4 } from './benchmarks/b4-providers.js';
import { runB5 } from './benchmarks/b5-redis.js';
import { runB6 } from './benchmarks/b6-postgres.js';
import { runB7Figures } from './benchmarks/b7-bloom.js';
import { runB8 } from './benchmarks/b8-memory.js';
import { runHttpBenchmarks, wantsHttp } from './benchmarks/http-benchmarks.js';
import { runAdapterBenchmarks } from './adapters/adapter-benchmarks.js';
import { FRAMEWORKS, type Framework } from './http/server-config.js';
import type { Figure, Skipped } from './report/figures.js';
import { machineInfo } from './report/machine-info.js';
import { markdownTable } from './report/markdown-table.js';
import { writeResults } from './report/results-file.js';
import { terminalTable } from './report/terminal-table.js';

const USAGE = `Usage: npm run bench -- [B1 … B8] [--only B3,B5] [--quick] [--framework hono] [--duration 1] [--rounds 9] [--diagnose] [--profile] [--markdown]

  B1 … B8, --only   run only these benchmarks (default: all)
  --quick           fewer, shorter rounds: the whole suite in under a minute
  --framework       HTTP rounds (B1, B2, B7) for these only: fastify, hono, express, and the
                    adapters on bare node:http: node (@hookguard/node, with B2's octokit rounds), web
  --duration S      seconds per HTTP round (default 1, quick 0.5)
  --rounds N        interleaved HTTP rounds per variant (default 9, quick 3): more rounds, steadier medians
  --diagnose        B1 also runs each framework with receiver.receive() on its own raw body,
                    without the adapter, to tell the adapter's cost from the core's
  --server-node-options "…"  extra Node options for the HTTP server processes (experiments)
  --profile         HTTP servers write V8 CPU profiles of their rounds to bench/results/profiles/
                    (summarise one with: tsx bench/src/profile-summary.ts <file>)
  --markdown        also print the table as Markdown (for BENCHMARKS.md)

  B1  req/s: framework + hookguard ÷ the bare framework (Fastify, Hono, Express)
  B2  req/s: framework + hookguard ÷ the framework with standardwebhooks verify + a Set
  B3  Standard Webhooks verify: hookguard ÷ node:crypto reference; ÷ standardwebhooks
  B4  Stripe and GitHub verify: hookguard ÷ stripe constructEvent, @octokit/webhooks-methods
  B5  Redis store claim+complete ÷ raw SET NX PX + SET XX PX (needs Redis on 127.0.0.1:6379)
  B6  Postgres store claim+complete ÷ raw prepared statements (needs PostgreSQL on 127.0.0.1:5432)
  B7  Bloom store: bits per id, false-positive rate, HTTP req/s ÷ memory store
  B8  memory store bytes per id ÷ Map<string, number>`;

type Options = {
  selected: Set<BenchmarkId>;
  quick: boolean;
  profile: boolean;
  markdown: boolean;
  frameworks: Framework[];
  adapters: ('node' | 'web')[];
  durationSeconds: number | undefined;
  httpRounds: number | undefined;
  serverNodeOptions: string[];
  diagnose: boolean;
};

function parseArguments(argv: readonly string[]): Options {
  const selected = new Set<BenchmarkId>();
  const options: Options = { selected, quick: false, profile: false, markdown: false, frameworks: [], adapters: [], durationSeconds: undefined, httpRounds: undefined, serverNodeOptions: [], diagnose: false };
  const duration = (text: string): void => {
    const seconds = Number(text);
    if (!(seconds > 0)) throw new Error(`--duration needs a number of seconds; received '${text}'`);
    options.durationSeconds = seconds;
  };
  const rounds = (text: string): void => {
    const count = Number(text);
    if (!Number.isInteger(count) || count < 1) throw new Error(`--rounds needs a whole number of rounds, at least 1; received '${text}'`);
    options.httpRounds = count;
  };
  const frameworks = (text: string): void => {
    for (const part of text.split(',')) {
      const name = part.trim().toLowerCase();
      if (name === 'node' || name === 'web') {
        options.adapters.push(name);
        continue;
      }
      if (!(FRAMEWORKS as readonly string[]).includes(name)) throw new Error(`unknown framework '${part}'; choose from ${[...FRAMEWORKS, 'node', 'web'].join(', ')}`);
      options.frameworks.push(name as Framework);
    }
  };
  const select = (text: string): void => {
    for (const part of text.split(',')) {
      const id = part.trim().toUpperCase();
      if (id === '') continue;
      if (!(BENCHMARK_IDS as readonly string[]).includes(id)) throw new Error(`unknown benchmark '${part}'; choose from ${BENCHMARK_IDS.join(', ')}`);
      selected.add(id as BenchmarkId);
    }
  };
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index]!;
    if (argument === '--quick') options.quick = true;
    else if (argument === '--profile') options.profile = true;
    else if (argument === '--markdown') options.markdown = true;
    else if (argument === '--diagnose') options.diagnose = true;
    else if (argument === '--only') select(argv[++index] ?? '');
    else if (argument.startsWith('--only=')) select(argument.slice('--only='.length));
    else if (argument === '--server-node-options') options.serverNodeOptions.push(...(argv[++index] ?? '').split(' ').filter((part) => part !== ''));
    else if (argument === '--duration') duration(argv[++index] ?? '');
    else if (argument.startsWith('--duration=')) duration(argument.slice('--duration='.length));
    else if (argument === '--rounds') rounds(argv[++index] ?? '');
    else if (argument.startsWith('--rounds=')) rounds(argument.slice('--rounds='.length));
    else if (argument === '--framework') frameworks(argv[++index] ?? '');
    else if (argument.startsWith('--framework=')) frameworks(argument.slice('--framework='.length));
    else if (argument === '--help' || argument === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else if (argument.startsWith('-')) throw new Error(`unknown option '${argument}'\n\n${USAGE}`);
    else select(argument);
  }
  if (selected.size === 0) for (const id of BENCHMARK_IDS) selected.add(id);
  if (options.frameworks.length === 0 && options.adapters.length === 0) {
    options.frameworks.push(...FRAMEWORKS);
    options.adapters.push('node', 'web');
  }
  return options;
}

const argv = process.argv.slice(2).filter((argument) => argument !== '--');
let options: Options;
try {
  options = parseArguments(argv);
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(2);
}
const stale = staleBuilds();
if (stale.length > 0) {
  console.error(`The built packages are missing or older than their source (${stale.join(', ')}): run \`npm run build\` (the root \`npm run bench\` does).`);
  process.exit(2);
}
const startedAt = new Date();
const runStarted = performance.now();
const log = (line: string): void => {
  const elapsed = ((performance.now() - runStarted) / 1000).toFixed(1).padStart(6);
  process.stderr.write(line.trim() === '' ? '\n' : `${elapsed} s  ${line.replace(/^\n/, '')}\n`);
};
let profileDirectory: string | undefined;
if (options.profile) {
  profileDirectory = fileURLToPath(new URL(`../results/profiles/${startedAt.toISOString().replaceAll(':', '-')}/`, import.meta.url));
  mkdirSync(profileDirectory, { recursive: true });
}
const context: BenchContext = {
  quick: options.quick,
  log,
  profileDirectory,
  frameworks: FRAMEWORKS.filter((name) => options.frameworks.includes(name)),
  adapters: options.adapters,
  // Nine rounds of a second rather than three of three: the same time per variant, each pair of
  // sides measured closer together, and the rotating order covers every position of up to nine
  // variants. Medians repeated far closer run to run (BENCHMARKS.md, "Signatures compared as text").
  httpDurationSeconds: options.durationSeconds ?? (options.quick ? 0.5 : 1),
  httpRounds: options.httpRounds ?? (options.quick ? 3 : 9),
  serverNodeOptions: options.serverNodeOptions,
  diagnose: options.diagnose,
};
const machine = machineInfo();
log(`hookguard benchmarks (${options.quick ? 'quick' : 'full'}): ${[...options.selected].join(' ')}`);
log(`Node ${machine.node}, ${machine.cpuModel}, ${machine.cores} cores, load average ${machine.loadAverageAtStart}`);

const figures: Figure[] = [];
const skipped: Skipped[] = [];
const extras: Record<string, unknown> = {};

async function step(ids: readonly BenchmarkId[], title: string, run: () => Promise<BenchOutcome>): Promise<void> {
  const started = performance.now();
  log('');
  log(title);
  try {
    const outcome = await run();
    figures.push(...outcome.figures);
    skipped.push(...outcome.skipped);
    Object.assign(extras, outcome.extras);
    for (const skip of outcome.skipped) log(`  skipped ${skip.id}: ${skip.reason}`);
  } catch (error) {
    const reason = `failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
    log(`  ${reason}`);
    for (const id of ids) skipped.push({ id, reason: reason.split('\n')[0]! });
  }
  log(`  (${((performance.now() - started) / 1000).toFixed(1)} s)`);
}

const { selected } = options;
if (selected.has('B3')) await step(['B3'], 'B3 Standard Webhooks verify', () => runB3(context));
if (selected.has('B4')) await step(['B4'], 'B4 Stripe and GitHub verify', () => runB4(context));
if (selected.has('B8')) await step(['B8'], 'B8 memory store bytes per id', () => runB8(context));
if (selected.has('B5')) await step(['B5'], 'B5 Redis store', () => runB5(context));
if (selected.has('B6')) await step(['B6'], 'B6 Postgres store', () => runB6(context));
if (selected.has('B7')) await step(['B7'], 'B7 Bloom store size and accuracy', () => runB7Figures(context));
if (wantsHttp(selected) && context.frameworks.length > 0) {
  const ids = (['B1', 'B2', 'B7'] as const).filter((id) => selected.has(id));
  await step(ids, `HTTP rounds (${ids.join(', ')})`, () => runHttpBenchmarks(selected, context));
}
if ((selected.has('B1') || selected.has('B2')) && context.adapters.length > 0) {
  const ids = (['B1', 'B2'] as const).filter((id) => selected.has(id));
  await step(ids, `@hookguard/node and @hookguard/web on bare node:http (${ids.join(', ')})`, () => runAdapterBenchmarks(selected, context));
}

const order = (figure: { id: string }): number => BENCHMARK_IDS.indexOf(figure.id as BenchmarkId);
figures.sort((a, b) => order(a) - order(b));
skipped.sort((a, b) => order(a) - order(b));
const path = await writeResults({
  startedAt: startedAt.toISOString(),
  finishedAt: new Date().toISOString(),
  command: `npm run bench${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`,
  mode: options.quick ? 'quick' : 'full',
  machine,
  loadAverageAtEnd: Math.round(loadavg()[0]! * 100) / 100,
  figures,
  skipped,
  extras,
});
console.log(`\n${terminalTable(figures, skipped)}`);
if (options.markdown) console.log(`\n${markdownTable(figures, skipped)}`);
const missed = figures.filter((figure) => figure.status === 'miss');
console.log(`\n${figures.length} figures, ${missed.length} missed goals${missed.length > 0 ? ` (${missed.map((figure) => figure.key).join(', ')})` : ''}; results in ${path}`);
