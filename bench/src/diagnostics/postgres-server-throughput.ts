/**
 * B6's two sides measured in PostgreSQL alone: `pgbench` runs the store's claim and completion of
 * a new key (the statements `@hookguard/postgres` prepares, from its built `dist/`) and B6's two
 * raw statements, in alternating rounds on freshly truncated tables, and reports the pairs per
 * second the server completes. pgbench's own cost per statement is small and the same on both
 * sides, so the ratio is the server's; it is how a change to the SQL is judged apart from `pg`
 * and the store's JavaScript (store-pair-costs.ts splits those).
 *
 *   npm run build && node_modules/.bin/tsx bench/src/diagnostics/postgres-server-throughput.ts [--clients 10] [--seconds 6] [--rounds 6] [--claim-variants]
 *
 * Needs `pgbench` on the PATH (Debian: postgresql-client) and the PostgreSQL B6 uses. Each side
 * passes the claim's token to its completion with `\gset`; the raw claim makes its token with
 * `gen_random_uuid()` here, as the store's does, instead of taking one from the client.
 *
 * `--claim-variants` also runs the store's claim rewritten four ways, each followed by the store's
 * completion, to tell what parts of the claim statement cost the server (BENCHMARKS.md, B6):
 * - `text-answer`: a new key answers its token as text, the claim function's answer is the
 *   same json as text (no json built on the common path, none taken apart by pgbench);
 * - `scalar-fallback`: the claim function is reached through a scalar SQL function made for the
 *   run, a function call in the `coalesce` instead of a subquery over a set-returning function;
 * - `scalar-text`: both: a new key answers its token as text, and the claim function is reached
 *   through a scalar SQL function answering its json as text (what a schema version 3 would ship);
 * - `no-fallback`: no claim function at all (`NULL`): what the fallback's presence costs a new
 *   key. Not a correct claim: a key with a row would answer nothing.
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
    'claim-variants': { type: 'boolean', default: false },
  },
});

/** A new key per transaction: pgbench variables become the prepared statement's parameters. */
const KEY = `('pgbench:' || :n::text || ':' || :client_id::text)`;
const FINGERPRINT = `'${'f'.repeat(43)}'`;

/** `text` with `$1`, `$2`, … replaced by `substitutes[0]`, `substitutes[1]`, … */
function substitute(text: string, substitutes: readonly string[]): string {
  return text.replace(/\$(\d+)/g, (_, index: string) => substitutes[Number(index) - 1] ?? `$${index}`);
}

/** The statements the built store prepares for B6's table. */
const STORE_STATEMENTS = statements(tableNames(TABLE, undefined));

/** The store's claim of a new key, with the parameters pgbench fills in. */
function storeClaimText(): string {
  return substitute(STORE_STATEMENTS.plainClaim.text, [KEY, String(LEASE_MS), String(RETENTION_MS), FINGERPRINT]);
}

/** `claim` (ending in one SELECT of its answer) with the answer's token read into `:tok`: `token` is the SQL of it from `(answer)`. */
function readingToken(claim: string, token: (answer: string) => string): string {
  const select = claim.lastIndexOf('\nSELECT ');
  if (select < 0) throw new Error('the plain claim no longer ends in one SELECT; update postgres-server-throughput.ts');
  return `${claim.slice(0, select)}\nSELECT ${token(`(${claim.slice(select + '\nSELECT '.length)})`)} AS tok \\gset`;
}

/** A pair of the store's table: `claim`, then the store's completion with the token it read. */
function storePairScript(claim: string): string {
  const { complete } = STORE_STATEMENTS;
  return `\\set n random(1, 9000000000000000000)\n${claim}\n${substitute(complete.text, [KEY, ':tok', String(RETENTION_MS), 'NULL'])};\n`;
}

/** `text` with `search` replaced, failing when the store's statement no longer holds it. */
function rewrite(text: string, search: string | RegExp, replacement: (match: string, ...groups: string[]) => string): string {
  const rewritten = text.replace(search, replacement);
  if (rewritten === text) throw new Error(`the plain claim no longer holds ${String(search)}; update postgres-server-throughput.ts`);
  return rewritten;
}

/**
 * The scalar SQL function `scalar-fallback` calls: the claim function's answer as one json value;
 * `scalar-text` calls the same with `_text` appended, answering that json as text.
 */
const SCALAR_CLAIM = `${TABLE}_claim_scalar`;
/**
 * The claim function's answer, as a subquery over it in the store's claim. Groups: 1 the answer's
 * json, 2 the claim function, 3 its arguments.
 */
const FALLBACK = /\(SELECT (pg_catalog\.json_build_array\(out_status[^)]*\)) FROM ("?[a-z_]+_claim_v2"?)\((.*)\)\)\n\)/;

/** Creates {@link SCALAR_CLAIM} and its `_text` twin: the store's own fallback subquery, as a function called with the same arguments. */
function scalarClaimFunction(): string {
  const fallback = FALLBACK.exec(storeClaimText());
  if (fallback === null) throw new Error('the plain claim no longer holds its fallback subquery; update postgres-server-throughput.ts');
  const [, answer, claimFunction] = fallback;
  return `CREATE OR REPLACE FUNCTION ${SCALAR_CLAIM}(p_key text, p_lease_ms float8, p_retention_ms float8, p_fingerprint text, p_mode text, p_wait_ms float8) RETURNS json LANGUAGE sql AS $body$
  SELECT ${answer} FROM ${claimFunction}(p_key, p_lease_ms, p_retention_ms, p_fingerprint, p_mode, p_wait_ms)
$body$;
CREATE OR REPLACE FUNCTION ${SCALAR_CLAIM}_text(p_key text, p_lease_ms float8, p_retention_ms float8, p_fingerprint text, p_mode text, p_wait_ms float8) RETURNS text LANGUAGE sql AS $body$
  SELECT ${answer}::text FROM ${claimFunction}(p_key, p_lease_ms, p_retention_ms, p_fingerprint, p_mode, p_wait_ms)
$body$`;
}
const NEW_KEY_ANSWER = "(SELECT pg_catalog.json_build_array('claimed', token, attempt, NULL, NULL, NULL, NULL) FROM inserted)";

/** The store's pair, and with `--claim-variants` its claim rewritten (see the head of this file). */
function storeScripts(): Record<string, string> {
  const claim = storeClaimText();
  const scripts: Record<string, string> = { store: storePairScript(readingToken(claim, (answer) => `${answer}->>1`)) };
  if (!values['claim-variants']) return scripts;
  const textAnswer = rewrite(rewrite(claim, NEW_KEY_ANSWER, () => '(SELECT token::text FROM inserted)'), FALLBACK, (_, answer, claimFunction, args) => `(SELECT ${answer}::text FROM ${claimFunction}(${args}))\n)`);
  scripts['text-answer'] = storePairScript(readingToken(textAnswer, (answer) => answer));
  const scalarFallback = rewrite(claim, FALLBACK, (_, _answer, _claimFunction, args) => `${SCALAR_CLAIM}(${args})\n)`);
  scripts['scalar-fallback'] = storePairScript(readingToken(scalarFallback, (answer) => `${answer}->>1`));
  const scalarText = rewrite(rewrite(claim, NEW_KEY_ANSWER, () => '(SELECT token::text FROM inserted)'), FALLBACK, (_, _answer, _claimFunction, args) => `${SCALAR_CLAIM}_text(${args})\n)`);
  scripts['scalar-text'] = storePairScript(readingToken(scalarText, (answer) => answer));
  scripts['no-fallback'] = storePairScript(readingToken(rewrite(claim, FALLBACK, () => 'NULL::json\n)'), (answer) => `${answer}->>1`));
  return scripts;
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
  if (values['claim-variants']) await pool.query(scalarClaimFunction());
  const scripts: Record<string, string> = {};
  for (const [side, script] of Object.entries({ ...storeScripts(), raw: rawScript() })) {
    scripts[side] = join(directory, `${side}.sql`);
    writeFileSync(scripts[side], script);
  }
  const sides = Object.keys(scripts);
  const results: Record<string, number[]> = Object.fromEntries(sides.map((side) => [side, []]));
  for (let round = 0; round < Number(values.rounds); round++) {
    for (let offset = 0; offset < sides.length; offset++) {
      const side = sides[(round + offset) % sides.length]!;
      await resetBenchTables(pool);
      results[side]!.push(pgbench(scripts[side]!));
      await expectEveryPairCompleted(pool, side === 'raw' ? RAW_TABLE : TABLE);
    }
    console.log(`round ${round + 1}: ${sides.map((side) => `${side} ${Math.round(results[side]!.at(-1)!)}`).join(', ')} pairs/s`);
  }
  console.log(`pgbench, ${values.clients} clients, ${values.seconds} s rounds, medians of ${values.rounds}, pairs/s and ÷ the store's:`);
  for (const side of sides) {
    const ratios = pairedRatios(results[side]!, results.store!);
    const spread = side === 'store' ? '' : ` (rounds ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`;
    console.log(`  ${side.padEnd(16)} ${String(Math.round(median(results[side]!))).padStart(6)}  ${(median(results[side]!) / median(results.store!)).toFixed(2)}${spread}`);
  }
  const ratios = pairedRatios(results.store!, results.raw!);
  console.log(`store ÷ raw ${(median(results.store!) / median(results.raw!)).toFixed(2)} (rounds ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`);
} finally {
  rmSync(directory, { recursive: true, force: true });
  await pool.query(`DROP FUNCTION IF EXISTS ${SCALAR_CLAIM}; DROP FUNCTION IF EXISTS ${SCALAR_CLAIM}_text`).catch(() => {});
  await dropBenchTables(pool).catch(() => {});
  await pool.end();
}
