import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

/** A Cloudflare Worker as a user writes it: the Web handler, the core and one verifier. */
const workerEntry = (handlerModule: string, secret: string): string => `
import { createReceiver, standardWebhooks } from '@hookguard/core';
import { webhookHandler } from '${handlerModule}';
const receiver = createReceiver({ verifier: standardWebhooks({ secret: ${JSON.stringify(secret)} }) });
receiver.on('message.received', () => undefined);
export default { fetch: webhookHandler(receiver) };
`;

/** What {@link workerBundle} produced. */
export type WorkerBundle = { code: string; bytes: number; gzipBytes: number; inputs: string[] };

/**
 * Bundles a Worker around `@hookguard/web` as wrangler does (esbuild, ES module, minified, the
 * `workerd`/`worker`/`browser` export conditions, no Node built-ins available). `from: 'source'`
 * bundles the TypeScript sources; `from: 'dist'` the built packages, as they are published.
 */
export async function workerBundle(from: 'source' | 'dist', secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'): Promise<WorkerBundle> {
  const result = await build({
    stdin: { contents: workerEntry(from === 'source' ? './index.ts' : '../dist/index.js', secret), resolveDir: fileURLToPath(new URL('.', import.meta.url)), loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    conditions: [...(from === 'source' ? ['@hookguard/source'] : []), 'workerd', 'worker', 'browser'],
    mainFields: ['module', 'main'],
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]!.text;
  return { code, bytes: Buffer.byteLength(code), gzipBytes: gzipSync(code, { level: 9 }).byteLength, inputs: Object.keys(result.metafile.inputs) };
}
