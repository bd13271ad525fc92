// The packages these benchmarks measure, loaded from where this workspace installs them: the
// adapters' built dist/ (as users run them), and @octokit/webhooks and esbuild from the dev
// dependencies of @hookguard/node and @hookguard/web, which already test against them.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const PACKAGES = new URL('../../../packages/', import.meta.url);

/** `@hookguard/node` as built. */
export async function hookguardNode(): Promise<typeof import('../../../packages/node/src/index.js')> {
  return import(new URL('node/dist/index.js', PACKAGES).href) as Promise<typeof import('../../../packages/node/src/index.js')>;
}

/** `@hookguard/web` as built. */
export async function hookguardWeb(): Promise<typeof import('../../../packages/web/src/index.js')> {
  return import(new URL('web/dist/index.js', PACKAGES).href) as Promise<typeof import('../../../packages/web/src/index.js')>;
}

/** The part of `@octokit/webhooks` the comparison uses. */
export type OctokitWebhooks = {
  Webhooks: new (options: { secret: string }) => { on(event: string, handler: () => void): void };
  createNodeMiddleware: (
    webhooks: unknown,
    options: { path: string; log?: Record<'debug' | 'info' | 'warn' | 'error', (...args: unknown[]) => void> },
  ) => (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, next?: () => void) => Promise<boolean>;
};

/** `@octokit/webhooks`, as installed for `@hookguard/node`'s tests. */
export async function octokitWebhooks(): Promise<OctokitWebhooks> {
  const path = createRequire(new URL('node/package.json', PACKAGES)).resolve('@octokit/webhooks');
  return import(pathToFileURL(path).href) as Promise<OctokitWebhooks>;
}
