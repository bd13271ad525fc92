/**
 * Where the runtimes' binaries are. They come from the npm registry as the platform packages that
 * `bun`, `deno` and `workerd` list as optional dependencies: those three run an install script
 * that pnpm refuses without an `allowBuilds` entry, while the platform packages need none. They are
 * dev dependencies of `@hookguard/hono`, whose tests these are.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const fromHono = createRequire(join(ROOT, 'packages', 'hono', 'package.json'));

function packageDir(name: string): string {
  return dirname(fromHono.resolve(`${name}/package.json`));
}

/** The binaries of this platform (Linux x64 glibc, as on every machine of this project). */
export const binaries = {
  /**
   * Two builds of workerd: the one `wrangler` runs today, and the older one `miniflare` 4 runs,
   * which refuses more at module scope (an `AbortController`, for one).
   */
  workerd: {
    wrangler: join(packageDir('@cloudflare/workerd-linux-64'), 'bin', 'workerd'),
    miniflare4: join(packageDir('workerd-linux-64-2026-07-30'), 'bin', 'workerd'),
  },
  bun: join(packageDir('@oven/bun-linux-x64'), 'bin', 'bun'),
  deno: join(packageDir('@deno/linux-x64-glibc'), 'deno'),
  esbuild: join(packageDir('esbuild'), 'bin', 'esbuild'),
};
