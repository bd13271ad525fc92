import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { spawnTs } from '../cross-process/app-process.js';
import type { SoakResult } from './run-soak.js';

const SOAK = fileURLToPath(new URL('./soak.ts', import.meta.url));

type Row = { framework: string; store: string } & ({ result: SoakResult; violations: string[] } | { skipped: string });

let running: ChildProcess | undefined;
afterEach(() => {
  // A run cut short by the test's timeout; its server exits with it (it watches its IPC channel).
  if (running !== undefined && running.exitCode === null && running.signalCode === null) running.kill('SIGKILL');
});

it('runs the soak script in --quick mode: every framework with memory, Redis and Postgres, nothing lost, nothing doubled', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hookguard-soak-'));
  try {
    const json = join(dir, 'results.json');
    const run = spawnTs(SOAK, { args: ['--quick', '--json', json] });
    running = run;
    let output = '';
    run.stdout?.on('data', (chunk: Buffer) => void (output += chunk.toString()));
    run.stderr?.on('data', (chunk: Buffer) => void (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => run.once('exit', resolve));
    console.log(output);
    expect(code, output).toBe(0);
    const { rows } = JSON.parse(await readFile(json, 'utf8')) as { rows: Row[] };
    expect(rows.map((row) => `${row.framework}+${row.store}`)).toEqual(['express+memory', 'hono+memory', 'fastify+memory', 'express+redis', 'express+postgres']);
    for (const row of rows) {
      if ('skipped' in row) {
        expect(process.env['CI'], `${row.store} may be skipped only outside CI`).not.toBe('true');
        continue;
      }
      const { result } = row;
      expect(row.violations, `${row.framework}+${row.store}`).toEqual([]);
      expect(result.lost).toBe(0);
      expect(result.doubled).toBe(0);
      expect(result.unfinished).toBe(0);
      expect(Object.keys(result.answers).sort()).toEqual(['200', '409', '500'].filter((answer) => answer in result.answers));
      expect(result.answers['500']).toBe(result.failingEvents);
      expect(result.requests).toBeGreaterThan(result.deliveries);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 300_000);
