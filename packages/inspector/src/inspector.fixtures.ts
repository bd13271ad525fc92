// Shared by the inspector's tests: an app serving a receiver at /webhooks and the inspector at
// /hookguard over real node:http, deliveries signed by the standardwebhooks SDK, and Debian's
// chromium driven by playwright-core.
import type { Receiver } from '@hookguard/core';
import { webhookMiddleware } from '@hookguard/node';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import { createInspector, type InspectorOptions } from './create-inspector.js';
import { nodeHandler } from './node-handler.js';

export const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
export const TOKEN = 'inspector-test-token-0123456789';
const sdk = new Webhook(SECRET);

/** A delivery signed now by the Standard Webhooks SDK, as a provider posts it. */
export function signedDelivery(id: string, type: string, data: unknown): { method: 'POST'; headers: Record<string, string>; body: string } {
  const body = JSON.stringify({ type, timestamp: new Date().toISOString(), data });
  const now = new Date();
  return {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': sdk.sign(id, now, body) },
  };
}

/** Bearer-token authorization, as the example does it. */
export const bearer = (request: Request): boolean => request.headers.get('authorization') === `Bearer ${TOKEN}`;

export type App = { origin: string; close: () => Promise<void> };

/** A node:http server: the receiver at POST /webhooks, the inspector under /hookguard. */
export async function startApp(receiver: Receiver, options: Partial<InspectorOptions> = {}): Promise<App> {
  const webhooks = webhookMiddleware(receiver, { path: '/webhooks' });
  const inspector = nodeHandler(createInspector({ receiver, authorize: bearer, refreshMs: 250, ...options }));
  const server: Server = createServer((req, res) => {
    void webhooks(req, res, () => {
      if (req.url?.startsWith('/hookguard') === true) return void inspector(req, res);
      res.statusCode = 404;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Debian's chromium, headless, on a fresh profile directory. */
export async function launchChromium(options: { authorization?: string; viewport?: { width: number; height: number } } = {}): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const profile = await mkdtemp(join(tmpdir(), 'hookguard-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    // The fresh profile directory is Chromium's --user-data-dir (Playwright passes it as such).
    args: CHROMIUM_ARGS,
    viewport: options.viewport ?? { width: 1280, height: 800 },
    ...(options.authorization === undefined ? {} : { extraHTTPHeaders: { authorization: options.authorization } }),
  });
  return {
    context,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
