import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './launch/binaries.js';
import { bundleWorker, startScriptedWorkerd, startWorkerd, type WorkerdBuild } from './launch/runtimes.js';
import { describeRuntimeConformance, type KnownDefects } from './runtime-conformance.js';

const builds: Record<WorkerdBuild, { label: string; knownDefects: KnownDefects }> = {
  // Its clock reads 0 at module scope, where a Worker builds its MemoryStore: the store takes its
  // time origin at the first completion, so identical redeliveries are not logged as different.
  wrangler: { label: "wrangler 4's workerd 2026-11-17", knownDefects: {} },
  miniflare4: { label: "miniflare 4's workerd 2026-07-30", knownDefects: {} },
};

for (const [build, { label, knownDefects }] of Object.entries(builds) as [WorkerdBuild, (typeof builds)[WorkerdBuild]][]) {
  describeRuntimeConformance(`workerd (Cloudflare Workers; ${label})`, () => startScriptedWorkerd(build), knownDefects);
}

describe('the Worker bundle', () => {
  it('takes the Web Crypto build of the core and no Node built-in, as wrangler bundles it', async () => {
    const code = await bundleWorker(join(ROOT, 'test', 'runtimes', 'app', 'worker.ts'));
    expect(code).toContain('crypto.subtle.importKey');
    expect(code).not.toMatch(/\bfrom\s*["']node:|require\(["']node:/);
  });
});

describe("miniflare 4's workerd at startup", () => {
  it('refuses a Worker that creates an AbortController at module scope, so the suite above fails on one', async () => {
    const worker = 'const never = new AbortController().signal;\nexport default { fetch: () => new Response(String(never.aborted)) };\n';
    const outcome = await startWorkerd('miniflare4', worker).then(
      async (server) => {
        await server.stop();
        return 'it started';
      },
      (error: Error) => error.message,
    );
    expect(outcome).toMatch(/Disallowed operation called within global scope/);
  });
});
