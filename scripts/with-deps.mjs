#!/usr/bin/env node
// Runs a command with the workspace's dependencies installed. The quick start promises a fresh
// clone needs only Node and npm, so pnpm itself is fetched through npx at the pinned version.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pnpmVersion = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager.split('@')[1];
const pnpm = ['npx', '--yes', `pnpm@${pnpmVersion}`];

function run(argv) {
  const result = spawnSync(argv[0], argv.slice(1), {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, PATH: [join(root, 'node_modules', '.bin'), process.env.PATH].join(delimiter) },
  });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

// pnpm rewrites node_modules/.modules.yaml on every install, so an install newer than the
// lockfile is current; a fresh clone has no node_modules at all.
function installed() {
  const state = join(root, 'node_modules', '.modules.yaml');
  return existsSync(state) && statSync(state).mtimeMs >= statSync(join(root, 'pnpm-lock.yaml')).mtimeMs;
}

if (!installed() || process.env.HOOKGUARD_FORCE_INSTALL === '1') {
  const status = run([...pnpm, 'install', '--frozen-lockfile']);
  if (status !== 0) process.exit(status);
}
const [command, ...args] = process.argv.slice(2);
if (!command) process.exit(0);
process.exit(run(command === 'pnpm' ? [...pnpm, ...args] : [command, ...args]));
