import { execFile } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { delivery, OTHER_SECRET, SECRET } from '../../../test/support/signed-delivery.js';
import { spawnWorkerd, type RunningWorkerd } from './workerd-process.fixtures.js';

const exampleDir = fileURLToPath(new URL('..', import.meta.url));
const testConfig = join(exampleDir, 'wrangler.test.json');

// workerd serves a wrangler config itself, bundling its `main` with esbuild as wrangler does: the
// packages resolve to their dist/, as they do for a Worker that installs them from the registry.
describe('examples/workers from wrangler.jsonc, bundled as wrangler does against the packages dist', () => {
  let workerd: RunningWorkerd;

  beforeAll(async () => {
    await promisify(execFile)('npm', ['run', 'build:packages', '--silent'], { cwd: exampleDir });
    const config = JSON.parse((await readFile(join(exampleDir, 'wrangler.jsonc'), 'utf8')).replace(/^\s*\/\/.*$/gm, '')) as Record<string, unknown>;
    // A deployed Worker gets WEBHOOK_SECRET from `wrangler secret put`; here it is a plain var.
    await writeFile(testConfig, JSON.stringify({ ...config, vars: { WEBHOOK_SECRET: SECRET } }));
    const esbuild = join(dirname(createRequire(import.meta.url).resolve('esbuild/package.json')), 'bin', 'esbuild');
    workerd = await spawnWorkerd(exampleDir, ['serve', 'wrangler.test.json'], { WORKERD_ESBUILD: esbuild });
  }, 120_000);

  afterAll(async () => {
    await workerd?.stop();
    await rm(testConfig, { force: true });
  });

  it('processes a signed delivery, answers its redelivery as a duplicate, refuses a forged one', async () => {
    const sent = delivery('msg_wrangler_config');
    const first = await fetch(`${workerd.origin}/webhooks`, sent);
    expect([first.status, await first.text()]).toEqual([200, '{"received":true}']);
    const again = await fetch(`${workerd.origin}/webhooks`, sent);
    expect([again.status, await again.text()]).toEqual([200, '{"received":true,"duplicate":true}']);
    const forged = await fetch(`${workerd.origin}/webhooks`, delivery('msg_wrangler_forged', OTHER_SECRET));
    expect([forged.status, await forged.text()]).toEqual([401, '{"error":"ERR_HOOKGUARD_SIGNATURE_MISMATCH"}']);
  });
});
