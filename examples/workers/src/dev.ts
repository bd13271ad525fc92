// Run from examples/workers: WEBHOOK_SECRET=whsec_... PORT=8787 [MAIL_API_URL=http://…] npm start
//
// Serves the Worker locally in workerd, the runtime of Cloudflare Workers, on loopback: no account
// and no telemetry. It bundles src/worker.ts as wrangler does (the `workerd`, `worker` and
// `browser` export conditions, so the core verifies with Web Crypto) into dist/worker.js, then
// runs `workerd serve workerd.capnp`.
import { build } from 'esbuild';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

if (process.env['WEBHOOK_SECRET'] === undefined) {
  console.error('Set WEBHOOK_SECRET to your endpoint secret (whsec_…).');
  process.exit(1);
}

await build({
  entryPoints: [join(root, 'src', 'worker.ts')],
  outfile: join(root, 'dist', 'worker.js'),
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  mainFields: ['module', 'main'],
  // '@hookguard/source': inside this repository, the packages' TypeScript sources (no build needed).
  conditions: ['@hookguard/source', 'workerd', 'worker', 'browser'],
  target: 'es2022',
  logLevel: 'warning',
});

const workerd = join(dirname(createRequire(import.meta.url).resolve('@cloudflare/workerd-linux-64/package.json')), 'bin', 'workerd');
const address = `127.0.0.1:${process.env['PORT'] ?? '8787'}`;
// fd 3 reports the port workerd listens on (PORT=0 picks a free one).
const child = spawn(workerd, ['serve', 'workerd.capnp', `--socket-addr=http=${address}`, '--control-fd=3'], {
  cwd: root,
  stdio: ['ignore', 'inherit', 'inherit', 'pipe'],
});
(child.stdio[3] as Readable).setEncoding('utf8').on('data', (line: string) => {
  const port = /"port":(\d+)/.exec(line)?.[1];
  if (port !== undefined) console.log(`listening on http://127.0.0.1:${port}/webhooks`);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal === null ? 1 : 0)));
