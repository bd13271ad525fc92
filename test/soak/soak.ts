// The soak run: 100 000 signed deliveries over HTTP (20 % duplicates, 5 % transient handler
// failures, concurrency 64) against each framework with the memory store, and against Redis and
// Postgres. Prints a Markdown table and exits 1 when an invariant fails.
//
//   node_modules/.bin/tsx --conditions=@hookguard/source test/soak/soak.ts [--quick]
//     [--framework express,hono,fastify] [--store memory,redis,postgres] [--all-combinations]
//     [--deliveries 100000] [--concurrency 64] [--seed n] [--json results.json]
//
// Redis (127.0.0.1:6379) and Postgres (127.0.0.1:5432) runs are skipped with a printed reason
// when nothing answers there, unless CI=true. Not part of `vitest run`; soak.test.ts runs --quick.
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { Framework } from '../cross-process/app-config.js';
import { listening, runSoak, violations, type SoakResult, type StoreKind } from './run-soak.js';

const FRAMEWORKS: readonly Framework[] = ['express', 'hono', 'fastify'];
const STORES: readonly StoreKind[] = ['memory', 'redis', 'postgres'];
const SERVICE_PORTS: Partial<Record<StoreKind, number>> = { redis: 6379, postgres: 5432 };

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    framework: { type: 'string' },
    store: { type: 'string' },
    'all-combinations': { type: 'boolean', default: false },
    deliveries: { type: 'string' },
    concurrency: { type: 'string', default: '64' },
    seed: { type: 'string' },
    json: { type: 'string' },
  },
});

function list<T extends string>(value: string | undefined, allowed: readonly T[], name: string): T[] {
  if (value === undefined) return [...allowed];
  const chosen = value.split(',').map((each) => each.trim());
  for (const each of chosen) if (!allowed.includes(each as T)) throw new Error(`--${name} ${each}: expected one of ${allowed.join(', ')}`);
  return chosen as T[];
}

const frameworks = list(values.framework, FRAMEWORKS, 'framework');
const stores = list(values.store, STORES, 'store');
const deliveries = Number(values.deliveries ?? (values.quick ? 3_000 : 100_000));
const concurrency = Number(values.concurrency);
// The RSS bound needs a run long enough to reach its steady state; a quick run only reports RSS.
const checkRss = !values.quick;

// Memory with every framework; Redis and Postgres with the first (or every one, on request).
const runs: { framework: Framework; store: StoreKind }[] = [];
for (const store of stores) {
  for (const framework of store === 'memory' || values['all-combinations'] ? frameworks : frameworks.slice(0, 1)) runs.push({ framework, store });
}

type Row = { framework: Framework; store: StoreKind } & ({ result: SoakResult; violations: string[] } | { skipped: string });
const rows: Row[] = [];
const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);

for (const run of runs) {
  const port = SERVICE_PORTS[run.store];
  if (port !== undefined && !(await listening(port))) {
    const reason = `nothing answers on 127.0.0.1:${port}`;
    if (process.env['CI'] === 'true') throw new Error(`--store ${run.store}: ${reason} (required under CI=true)`);
    console.warn(`Skipping ${run.framework} + ${run.store}: ${reason}.`);
    rows.push({ ...run, skipped: reason });
    continue;
  }
  process.stderr.write(`${run.framework} + ${run.store}: ${deliveries} deliveries… `);
  const result = await runSoak({ ...run, deliveries, concurrency, ...(values.seed === undefined ? {} : { seed: Number(values.seed) }) });
  const found = violations(result, { checkRss });
  process.stderr.write(`${Math.round(result.deliveriesPerSecond)}/s, ${found.length === 0 ? 'ok' : found.join('; ')}\n`);
  rows.push({ ...run, result, violations: found });
}

console.log(
  [
    '| framework | store | deliveries (requests) | deliveries/s | p50 | p99 | RSS start → warm → end (MB) | RSS after warm-up | heap warm → end (MB) | lost | doubled |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map((row) => {
      if ('skipped' in row) return `| ${row.framework} | ${row.store} | skipped: ${row.skipped} | | | | | | | | |`;
      const { result } = row;
      return (
        `| ${row.framework} | ${row.store} | ${result.deliveries} (${result.requests}) | ${Math.round(result.deliveriesPerSecond)} | ` +
        `${result.p50Ms.toFixed(1)} ms | ${result.p99Ms.toFixed(1)} ms | ${mb(result.rss.start)} → ${mb(result.rss.warm)} → ${mb(result.rss.end)} | ` +
        `${result.rssGrowth >= 0 ? '+' : ''}${(result.rssGrowth * 100).toFixed(1)} % | ${mb(result.heapUsed.warm)} → ${mb(result.heapUsed.end)} | ${result.lost} | ${result.doubled} |`
      );
    }),
  ].join('\n'),
);
for (const row of rows) if ('violations' in row && row.violations.length > 0) console.error(`${row.framework} + ${row.store}: ${row.violations.join('; ')}`);
if (values.json !== undefined) await writeFile(values.json, JSON.stringify({ deliveries, concurrency, checkRss, rows }, null, 2));
process.exitCode = rows.some((row) => 'violations' in row && row.violations.length > 0) ? 1 : 0;
