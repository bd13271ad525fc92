/** Starts the scripted app (`../app/`) in each real runtime, on a free loopback port. */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { binaries, ROOT } from './binaries.js';
import { spawnServer, type RunningServer } from './spawn-server.js';

const APP = join(ROOT, 'test', 'runtimes', 'app');
/** Workspace packages resolve to their TypeScript sources, as in every other test. */
const SOURCE = '@hookguard/source';

/** The compatibility date of the Worker: no later than the older workerd's own date. */
export const COMPATIBILITY_DATE = '2026-07-30';

/** Which workerd build: see {@link binaries}. */
export type WorkerdBuild = keyof typeof binaries.workerd;

/**
 * Bundles a Worker module as wrangler does: the `workerd`, `worker` and `browser` export
 * conditions, no Node built-ins. Returns the bundled code.
 */
export async function bundleWorker(entry: string): Promise<string> {
  const args = [entry, '--bundle', '--format=esm', '--platform=neutral', '--main-fields=module,main', `--conditions=${SOURCE},workerd,worker,browser`, '--target=es2022', '--log-level=warning'];
  const { stdout } = await promisify(execFile)(binaries.esbuild, args, { maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/** Serves an ES module Worker in workerd; the module is written to a temporary directory. */
export async function startWorkerd(build: WorkerdBuild, workerCode: string): Promise<RunningServer> {
  const dir = await mkdtemp(join(tmpdir(), 'hookguard-workerd-'));
  await writeFile(join(dir, 'worker.js'), workerCode);
  await writeFile(
    join(dir, 'config.capnp'),
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "main", worker = .worker)],
  sockets = [(name = "http", address = "127.0.0.1:0", http = (), service = "main")],
);
const worker :Workerd.Worker = (
  modules = [(name = "worker.js", esModule = embed "worker.js")],
  compatibilityDate = "${COMPATIBILITY_DATE}",
);
`,
  );
  const server = await spawnServer({ command: binaries.workerd[build], args: ['serve', 'config.capnp', '--control-fd=3'], cwd: dir, portFrom: 'fd3' }).catch(
    async (error: unknown) => {
      await rm(dir, { recursive: true, force: true });
      throw error;
    },
  );
  return {
    ...server,
    async stop() {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The scripted app in workerd, bundled from its TypeScript sources. */
export async function startScriptedWorkerd(build: WorkerdBuild): Promise<RunningServer> {
  return startWorkerd(build, await bundleWorker(join(APP, 'worker.ts')));
}

/** The scripted app on `Bun.serve`, its imports resolved by Bun from node_modules. */
export function startScriptedBun(): Promise<RunningServer> {
  return spawnServer({
    command: binaries.bun,
    args: [`--conditions=${SOURCE}`, join(APP, 'bun-server.ts')],
    cwd: ROOT,
    env: { BUN_DISABLE_TELEMETRY: '1', DO_NOT_TRACK: '1' },
    portFrom: 'stdout',
  });
}

/**
 * The scripted app on `Deno.serve`, its imports resolved by Deno from node_modules. Deno asks for
 * `.ts` in relative imports; the workspace sources import `./x.js` (as Node's TypeScript does),
 * which `--sloppy-imports` maps to `./x.ts`. `permissions` are Deno's `--allow-*` flags.
 */
export function startScriptedDeno(permissions: readonly string[] = ['--allow-net=127.0.0.1']): Promise<RunningServer> {
  return spawnServer({
    command: binaries.deno,
    args: ['run', '--quiet', '--no-prompt', ...permissions, '--sloppy-imports', `--conditions=${SOURCE}`, join(APP, 'deno-server.ts')],
    cwd: ROOT,
    env: { DENO_NO_UPDATE_CHECK: '1', DENO_DIR: join(tmpdir(), 'hookguard-deno-dir') },
    portFrom: 'stdout',
  });
}
