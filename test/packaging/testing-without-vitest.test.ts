import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// @hookguard/core/testing is for applications' tests, whatever runner they use (node:test, jest):
// its signers must load where no vitest is installed. The core is built from source into a project
// outside the workspace, where nothing but @hookguard/core can be resolved, and plain `node` imports it.
const root = new URL('../..', import.meta.url).pathname;
const core = join(root, 'packages', 'core');
let project: string;

function node(script: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: project, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), 'hookguard-testing-'));
  const installed = join(project, 'node_modules', '@hookguard', 'core');
  mkdirSync(installed, { recursive: true });
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  cpSync(join(core, 'package.json'), join(installed, 'package.json'));
  const build = spawnSync(
    process.execPath,
    [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(core, 'tsconfig.build.json'), '--outDir', join(installed, 'dist'), '--declaration', 'false', '--declarationMap', 'false', '--sourceMap', 'false'],
    { encoding: 'utf8' },
  );
  // Type errors are the build's and the type check's to report (CI runs both); tsc emits anyway.
  expect(existsSync(join(installed, 'dist', 'testing', 'index.js')), build.stdout + build.stderr).toBe(true);
}, 60_000);

afterAll(() => {
  if (project) rmSync(project, { recursive: true, force: true });
});

describe('@hookguard/core/testing from the built package, without vitest', () => {
  it('cannot resolve vitest from the project (the premise of the other tests)', () => {
    const result = node(`await import('vitest');`);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('ERR_MODULE_NOT_FOUND');
  });

  it('imports signStripe in plain node and signs a delivery the core verifier accepts', () => {
    const result = node(`
      const { signStripe } = await import('@hookguard/core/testing');
      const { createReceiver, stripe } = await import('@hookguard/core');
      const secret = 'whsec_test_secret';
      const body = JSON.stringify({ id: 'evt_1', type: 'invoice.paid', created: Math.floor(Date.now() / 1000), data: { object: {} } });
      const headers = await signStripe({ secret, body });
      const receiver = createReceiver({ verifier: stripe({ secret }) });
      let runs = 0;
      receiver.on('invoice.paid', () => { runs++; });
      const result = await receiver.receive({ rawBody: body, headers });
      console.log(JSON.stringify({ status: result.status, outcome: result.outcome, runs, header: headers['stripe-signature'] }));
    `);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const printed = JSON.parse(result.stdout) as { status: number; outcome: string; runs: number; header: string };
    expect(printed).toMatchObject({ status: 200, outcome: 'processed', runs: 1 });
    expect(printed.header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
  });

  it('loads with require() too (require(esm), on by default from Node 20.19 and 22.12)', () => {
    const result = spawnSync(
      process.execPath,
      ['-e', `const { signStripe } = require('@hookguard/core/testing'); const { createReceiver } = require('@hookguard/core'); console.log(typeof signStripe, typeof createReceiver);`],
      { cwd: project, encoding: 'utf8' },
    );
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('function function');
  });

  it('ships the store contract suite at @hookguard/core/testing/contracts, which needs vitest', () => {
    const result = node(`await import('@hookguard/core/testing/contracts');`);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/Cannot find (package|module) 'vitest'/);
    expect(result.stderr).not.toContain('ERR_PACKAGE_PATH_NOT_EXPORTED');
  });
});
