// Builds the dist/ of @hookguard/core and @hookguard/web (what a Worker gets from the registry) when
// a source file is newer than the build, and leaves a fresh build alone (CI builds them before the
// tests). `npm run build:packages`; the wrangler.jsonc test runs it too.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packages = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'packages');

function newestChange(dir: string): number {
  let newest = statSync(dir).mtimeMs;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestChange(path) : statSync(path).mtimeMs);
  }
  return newest;
}

for (const name of ['core', 'web']) {
  const dir = join(packages, name);
  const built = join(dir, 'dist', 'index.js');
  if (existsSync(built) && statSync(built).mtimeMs >= newestChange(join(dir, 'src'))) continue;
  console.log(`building @hookguard/${name}`);
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: dir, stdio: 'inherit' });
}
