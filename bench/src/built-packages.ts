/**
 * The benchmarks measure hookguard as its users run it: the packages' built `dist/`, not their
 * TypeScript source through a loader (whose transforms add per-call work of their own). The root
 * `npm run bench` builds first; this check stops a direct run against a stale build.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGES = fileURLToPath(new URL('../../packages/', import.meta.url));

function newestSource(directory: string): number {
  let newest = 0;
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts') && !/\.(test|test-d|fixtures|bench)\.ts$/.test(entry.name)) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** Names of the packages whose `dist/` is missing or older than their source. */
export function staleBuilds(): string[] {
  const stale: string[] = [];
  for (const name of readdirSync(PACKAGES)) {
    const entry = join(PACKAGES, name, 'dist', 'index.js');
    if (!existsSync(entry) || statSync(entry).mtimeMs < newestSource(join(PACKAGES, name, 'src'))) stale.push(name);
  }
  return stale;
}
