/**
 * What B6's sides cost the PostgreSQL server, counted in instructions: a throwaway PostgreSQL
 * cluster runs under valgrind's callgrind on loopback, and each side runs in a backend of its own,
 * twice (the first count of pairs, then the second). The difference between the two runs of a
 * side, over the extra pairs, is one pair's server cost once warm, without the connection, the
 * tables' creation or the statements' preparation. Unlike CPU time, which on these machines moves
 * by a tenth from run to run, the counts repeat to a fraction of a percent, so they show what a
 * change to the store's SQL costs the server, or saves it.
 *
 *   npm run build && node_modules/.bin/tsx bench/src/diagnostics/postgres-instructions.ts [--counts 100,600] [--sides store,locked,raw,duplicate] [--keep dir]
 *
 * Sides: B6's three (`store`, `locked`, `raw`: claim + completion of a new key), and `duplicate`:
 * the store's claim of a key completed before the run. Autovacuum is off in the cluster, so no
 * background work lands in a count; the counts are the backend's alone (the WAL writer and the
 * checkpointer are processes of their own). Needs valgrind and PostgreSQL's server binaries
 * (`PG_BINDIR`, else `pg_config --bindir`, else the newest /usr/lib/postgresql/<version>/bin).
 * Run as root, the cluster belongs to the `postgres` user, as initdb refuses root.
 *
 * `--keep dir` copies each backend's callgrind file to `dir/<side>-<count>.cg`: `callgrind_annotate
 * --inclusive=yes` on the two files of a side shows where the extra pairs' instructions went.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { TABLE, dropBenchTables, postgresPairSides } from '../benchmarks/b6-postgres.js';
import { Pool, type PgPool } from '../modules/pg.js';

const { values } = parseArgs({
  options: {
    counts: { type: 'string', default: '100,600' },
    sides: { type: 'string', default: 'store,locked,raw,duplicate' },
    keep: { type: 'string' },
  },
});
const [fewer, more] = values.counts.split(',').map(Number) as [number, number];
const sides = values.sides.split(',');
if (!(fewer >= 0 && more > fewer) || sides.some((side) => !['store', 'locked', 'raw', 'duplicate'].includes(side))) {
  console.error('usage: postgres-instructions.ts [--counts fewer,more] [--sides store,locked,raw,duplicate]');
  process.exit(2);
}

function serverBinaries(): string {
  if (process.env.PG_BINDIR) return process.env.PG_BINDIR;
  try {
    return execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
  } catch {
    const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a)) : [];
    if (versions[0] === undefined) throw new Error('PostgreSQL server binaries not found: set PG_BINDIR');
    return `/usr/lib/postgresql/${versions[0]}/bin`;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Runs `command` as the cluster's owner: `postgres` when this process is root. */
function asOwner(command: string, args: string[]): [string, string[]] {
  return userInfo().uid === 0 ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
}

type Cluster = { port: number; outDir: string; stop: () => Promise<void> };

async function startCluster(): Promise<Cluster> {
  const bin = serverBinaries();
  const dir = mkdtempSync(join(tmpdir(), 'hookguard-pg-instructions-'));
  if (userInfo().uid === 0) chownSync(dir, Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })), Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })));
  const [initdb, initArgs] = asOwner(join(bin, 'initdb'), ['-D', join(dir, 'data'), '-A', 'trust', '-U', 'postgres']);
  execFileSync(initdb, initArgs, { stdio: 'ignore' });
  const port = await freePort();
  const [valgrind, serverArgs] = asOwner('valgrind', [
    '--tool=callgrind',
    `--callgrind-out-file=${join(dir, 'cg.%p')}`,
    join(bin, 'postgres'),
    '-D', join(dir, 'data'),
    '-p', String(port),
    '-c', 'listen_addresses=127.0.0.1',
    '-c', `unix_socket_directories=${dir}`,
    '-c', 'autovacuum=off',
  ]);
  const server: ChildProcess = spawn(valgrind, serverArgs, { stdio: 'ignore' });
  const exited = new Promise((resolve) => server.once('exit', resolve));
  const stop = async (): Promise<void> => {
    const [pgCtl, stopArgs] = asOwner(join(bin, 'pg_ctl'), ['-D', join(dir, 'data'), 'stop', '-m', 'fast', '-t', '120']);
    try {
      execFileSync(pgCtl, stopArgs, { stdio: 'ignore' });
    } catch {
      server.kill('SIGKILL');
    }
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  for (const deadline = Date.now() + 120_000; Date.now() < deadline; await sleep(500)) {
    const probe = new Pool({ ...connection(port), max: 1 });
    try {
      await probe.query('SELECT 1');
      return { port, outDir: dir, stop };
    } catch {
      // Still starting under valgrind.
    } finally {
      await probe.end().catch(() => {});
    }
  }
  await stop();
  throw new Error('PostgreSQL under valgrind did not accept connections within 2 minutes');
}

function connection(port: number): { host: string; port: number; user: string; database: string } {
  return { host: '127.0.0.1', port, user: 'postgres', database: 'postgres' };
}

/** Runs `count` pairs (or duplicate claims) of `side` in a backend of its own; resolves with the backend's pid. */
async function runSide(cluster: Cluster, side: string, count: number): Promise<number> {
  const { PostgresStore } = await import('@hookguard/postgres');
  // The previous run's tables are dropped outside the measured backend: their size differs.
  const setup = new Pool({ ...connection(cluster.port), max: 1 });
  await dropBenchTables(setup);
  await setup.end();
  const pool: PgPool = new Pool({ ...connection(cluster.port), max: 1 });
  try {
    const { sides: pairs, nextKey } = await postgresPairSides(pool, PostgresStore);
    const { rows } = await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    if (side === 'duplicate') {
      // `more` keys completed first, in every run alike; then `count` claims of them.
      const keys = Array.from({ length: more }, nextKey);
      for (const key of keys) await pairs.store(key);
      const store = new PostgresStore({ pool, table: TABLE });
      for (const key of keys.slice(0, count)) {
        const claim = await store.claim(key, { leaseMs: 60_000, retentionMs: 259_200_000 });
        if (claim.status !== 'completed') throw new Error(`a duplicate claim answered ${claim.status}`);
      }
    } else {
      const pair = pairs[side as 'store' | 'locked' | 'raw'];
      for (let index = 0; index < count; index++) await pair(nextKey());
    }
    return rows[0]!.pid;
  } finally {
    await pool.end();
  }
}

/** The instructions callgrind counted for one backend, once it has exited and written its file. */
async function backendInstructions(cluster: Cluster, pid: number): Promise<number> {
  const file = join(cluster.outDir, `cg.${pid}`);
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(250)) {
    const summary = existsSync(file) ? /^summary: (\d+)/m.exec(readFileSync(file, 'utf8')) : null;
    if (summary !== null) return Number(summary[1]);
  }
  throw new Error(`callgrind wrote no count for backend ${pid}`);
}

const cluster = await startCluster();
try {
  const perPair = new Map<string, number>();
  for (const side of sides) {
    const counts: number[] = [];
    for (const count of [fewer, more]) {
      const pid = await runSide(cluster, side, count);
      console.error(`  ${side}: ${count} in backend ${pid}`);
      counts.push(await backendInstructions(cluster, pid));
      if (values.keep !== undefined) {
        mkdirSync(values.keep, { recursive: true });
        copyFileSync(join(cluster.outDir, `cg.${pid}`), join(values.keep, `${side}-${count}.cg`));
      }
    }
    perPair.set(side, (counts[1]! - counts[0]!) / (more - fewer));
  }
  console.log(`PostgreSQL server instructions per pair (per claim for duplicate), runs of ${fewer} and ${more}:`);
  for (const [side, instructions] of perPair) console.log(`${side.padEnd(10)}${Math.round(instructions).toLocaleString('en-US').padStart(12)}`);
  const store = perPair.get('store');
  for (const other of ['raw', 'locked']) {
    const value = perPair.get(other);
    if (store !== undefined && value !== undefined) console.log(`store ÷ ${other}: ${(store / value).toFixed(3)}`);
  }
} finally {
  await cluster.stop();
}
