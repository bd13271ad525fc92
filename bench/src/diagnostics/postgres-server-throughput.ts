/**
 * B6's two sides measured in PostgreSQL alone: `pgbench` runs the store's claim and completion of
 * a new key (the statements `@hookguard/postgres` prepares, from its built `dist/`) and B6's two
 * raw statements, in alternating rounds on freshly truncated tables, and reports the pairs per
 * second the server completes. pgbench's own cost per statement is small and the same on both
 * sides, so the ratio is the server's; it is how a change to the SQL is judged apart from `pg`
 * and the store's JavaScript (store-pair-costs.ts splits those).
 *
 *   npm run build && node_modules/.bin/tsx bench/src/diagnostics/postgres-server-throughput.ts [--clients 10] [--seconds 6] [--rounds 6]
 *
 * Needs `pgbench` on the PATH (Debian: postgresql-client) and the PostgreSQL B6 uses. Each side
 * passes the claim's token to its completion with `\gset`; the raw claim makes its token with
 * `gen_random_uuid()` here, as the store's does, instead of taking one from the client.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PostgresStore } from '@hookguard/postgres';
import type { PgPool } from '../modules/pg.js';
import { median, pairedRatios } from '../report/statistics.js';
import { LEASE_MS, RAW_CLAIM, RAW_COMPLETE, RAW_TABLE, RETENTION_MS, TABLE, connectBenchPostgres, dropBenchTables, postgresPairSides, resetBenchTables } from '../benchmarks/b6-postgres.js';

const dist = (path: string): string => new URL(`../../../packages/postgres/dist/${path}`, import.meta.url).href;
const { statements } = (await import(dist('sql/statements.js'))) as typeof import('../../../packages/postgres/src/sql/statements.js');
const { tableNames } = (await import(dist('sql/table-names.js'))) as typeof import('../../../packages/postgres/src/sql/table-names.js');

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '6' },
    rounds: { type: 'string', default: '6' },
  },
});

/** A new key per transaction: pgbench variables become the prepared statement's parameters. */
const KEY = `('pgbench:' || :n::text || ':' || :client_id::text)`;
const FINGERPRINT = `'${'f'.repeat(43)}'`;

/** `text` with `$1`, `$2`, … replaced by `substitutes[0]`, `substitutes[1]`, … */
function substitute(text: string, substitutes: readonly string[]): string {
  return text.replace(/\$(\d+)/g, (_, index: string) => substitutes[Number(index) - 1] ?? `$${index}`);
}

/**
 * The store's pair: its plain claim, answering `json` whose element 1 is the token (claim-row.ts),
 * read into `:tok`, then its completion with that token.
 */
function storeScript(): string {
  const { plainClaim, complete } = statements(tableNames(TABLE, undefined));
  const claim = substitute(plainClaim.text, [KEY, String(LEASE_MS), String(RETENTION_MS), FINGERPRINT]);
  const select = claim.lastIndexOf('\nSELECT ');
  if (select < 0) throw new Error('the plain claim no longer ends in one SELECT; update storeScript()');
  const claimReadingToken = `${claim.slice(0, select)}\nSELECT (${claim.slice(select + '\nSELECT '.length)})->>1 AS tok \\gset`;
  return `\\set n random(1, 9000000000000000000)\n${claimReadingToken}\n${substitute(complete.text, [KEY, ':tok', String(RETENTION_MS), 'NULL'])};\n`;
}

/** B6's raw pair, the token made by the server and read into `:tok`. */
function rawScript(): string {
  const claim = `${substitute(RAW_CLAIM.text, [KEY, String(RETENTION_MS), String(LEASE_MS), 'pg_catalog.gen_random_uuid()', FINGERPRINT])} RETURNING token AS tok \\gset`;
  return `\\set n random(1, 9000000000000000000)\n${claim}\n${substitute(RAW_COMPLETE.text, [KEY, ':tok', String(RETENTION_MS)])};\n`;
}

const CONNECTION = ['-h', '127.0.0.1', '-p', '5432', '-U', 'postgres'];

function pgbench(script: string): number {
  let output: string;
  try {
    output = execFileSync('pgbench', [...CONNECTION, '-n', '-M', 'prepared', '-c', values.clients, '-j', '2', '-T', values.seconds, '-f', script, 'test'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? String(error);
    throw new Error(`pgbench failed on ${script}:\n${stderr.split('\n').slice(0, 6).join('\n')}`);
  }
  const tps = /^tps = ([\d.]+)/m.exec(output);
  if (tps === null) throw new Error(`pgbench printed no tps:\n${output}`);
  return Number(tps[1]);
}

/** Fails when a side's completions matched nothing: the token did not reach them. */
async function expectEveryPairCompleted(pool: PgPool, table: string): Promise<void> {
  const { rows } = await pool.query<{ open: string; all: string }>(`SELECT count(*) FILTER (WHERE state <> 'completed') AS open, count(*) AS all FROM ${table}`);
  const { open, all } = rows[0]!;
  if (Number(all) === 0 || Number(open) > 0) throw new Error(`${table}: ${open} of ${all} pairs were not completed`);
}

const pool = await connectBenchPostgres();
if (typeof pool === 'string') throw new Error(pool);
const directory = mkdtempSync(join(tmpdir(), 'hookguard-pgbench-'));
try {
  await postgresPairSides(pool, PostgresStore);
  const scripts = { store: join(directory, 'store.sql'), raw: join(directory, 'raw.sql') };
  writeFileSync(scripts.store, storeScript());
  writeFileSync(scripts.raw, rawScript());
  const results: Record<keyof typeof scripts, number[]> = { store: [], raw: [] };
  const sides = Object.keys(scripts) as (keyof typeof scripts)[];
  for (let round = 0; round < Number(values.rounds); round++) {
    for (let offset = 0; offset < sides.length; offset++) {
      const side = sides[(round + offset) % sides.length]!;
      await resetBenchTables(pool);
      results[side].push(pgbench(scripts[side]));
      await expectEveryPairCompleted(pool, side === 'store' ? TABLE : RAW_TABLE);
    }
    console.log(`round ${round + 1}: store ${Math.round(results.store.at(-1)!)}, raw ${Math.round(results.raw.at(-1)!)} pairs/s`);
  }
  const ratios = pairedRatios(results.store, results.raw);
  console.log(
    `pgbench, ${values.clients} clients, ${values.seconds} s rounds, medians of ${values.rounds}: store ${Math.round(median(results.store))}, raw ${Math.round(median(results.raw))} pairs/s; store ÷ raw ${(median(results.store) / median(results.raw)).toFixed(2)} (rounds ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`,
  );
} finally {
  rmSync(directory, { recursive: true, force: true });
  await dropBenchTables(pool).catch(() => {});
  await pool.end();
}
