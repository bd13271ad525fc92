// Builds the dist/ of workspace packages (what an app gets from the registry) when a source file is
// newer than the build, and leaves a fresh build alone (CI builds them before the tests). The
// examples that serve the built packages run it from their `build:packages` script.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packages = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'packages');

function newestChange(dir: string): number {
  let newest = statSync(dir).mtimeMs;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestChange(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Runs `npm run build` in `packages/<name>` for each name whose `dist/index.js` is missing or older
 * than a file of its `src/`.
 *
 * @example
 * buildWorkspacePackages(['core', 'web']);
 */
export function buildWorkspacePackages(names: readonly string[]): void {
  for (const name of names) {
    const dir = join(packages, name);
    const built = join(dir, 'dist', 'index.js');
    if (existsSync(built) && statSync(built).mtimeMs >= newestChange(join(dir, 'src'))) continue;
    console.log(`building @hookguard/${name}`);
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: dir, stdio: 'inherit' });
  }
}
