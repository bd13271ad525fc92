import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SECRET, signedDelivery } from './deliveries.fixtures.js';
import { workerBundle } from './worker-bundle.fixtures.js';

describe('a Worker bundle of @hookguard/web', () => {
  it('bundles with the core and one verifier, without any Node built-in, under 25 KB gzipped', async () => {
    const bundle = await workerBundle('source');
    expect(bundle.inputs.filter((input) => input.startsWith('node:') || input.includes('crypto/node.ts'))).toEqual([]);
    expect(bundle.inputs.some((input) => input.endsWith('crypto/web.ts'))).toBe(true);
    expect(bundle.code).not.toMatch(/\bBuffer\b|from\s*"node:|require\(/);
    expect(bundle.gzipBytes).toBeLessThan(25 * 1024);
  });

  it('runs as bundled, verifying with Web Crypto: a delivery, then its duplicate', async () => {
    const bundle = await workerBundle('source', SECRET);
    const directory = await mkdtemp(join(tmpdir(), 'hookguard-worker-'));
    try {
      const file = join(directory, 'worker.mjs');
      await writeFile(file, bundle.code);
      const worker = (await import(pathToFileURL(file).href)) as { default: { fetch: (request: Request) => Promise<Response> } };
      const { body, headers } = signedDelivery('msg_worker');
      const send = (): Promise<Response> => worker.default.fetch(new Request('https://worker.example/', { method: 'POST', headers, body }));
      expect(await (await send()).text()).toBe('{"received":true}');
      expect(await (await send()).text()).toBe('{"received":true,"duplicate":true}');
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
