import { createReceiver, github, MemoryStore, standardWebhooks, type ReceiveResult } from '@hookguard/core';
import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { JSON_CONTENT_TYPE, minimalReceiver, RECEIVED } from '../http/by-hand.js';
import { EVENT_TYPE, SECRET } from '../http/deliveries.js';
import type { ServerCounters } from '../http/server-config.js';
import { hookguardNode, octokitWebhooks } from './adapter-modules.js';
import { GITHUB_SECRET } from './github-deliveries.js';

/**
 * The servers of the adapter rounds, all on bare node:http:
 * - `bare`: reads the raw body and answers 200, no verification (node:http's own cost);
 * - `minimal`: reads the raw body, then B1's minimal node:crypto verify and a `Set`;
 * - `hookguard`: `@hookguard/node` with Standard Webhooks and the memory store;
 * - `hookguard-github`: `@hookguard/node` with the GitHub verifier, one `issues.opened` handler;
 * - `octokit`: `@octokit/webhooks`' `createNodeMiddleware` with the same handler.
 */
export const ADAPTER_SERVERS = ['bare', 'minimal', 'hookguard', 'hookguard-github', 'octokit'] as const;
export type AdapterServer = (typeof ADAPTER_SERVERS)[number];

const PATH = '/webhooks';

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function countResult(counters: ServerCounters): (result: ReceiveResult) => void {
  return (result) => {
    counters.requests++;
    if (result.outcome === 'duplicate') counters.duplicates++;
    else if (result.outcome !== 'processed') counters.errors++;
  };
}

async function listenerFor(kind: AdapterServer, counters: ServerCounters): Promise<RequestListener> {
  if (kind === 'bare' || kind === 'minimal') {
    const receive = kind === 'minimal' ? minimalReceiver(counters) : undefined;
    return (req, res) => {
      void readBody(req).then((body) => {
        counters.requests++;
        let answer = { status: 200, body: RECEIVED };
        if (receive === undefined) counters.processed++;
        else answer = receive(body, req.headers as Record<string, string>);
        res.statusCode = answer.status;
        res.setHeader('content-type', JSON_CONTENT_TYPE);
        res.end(answer.body);
      });
    };
  }
  if (kind === 'octokit') {
    const { Webhooks, createNodeMiddleware } = await octokitWebhooks();
    const webhooks = new Webhooks({ secret: GITHUB_SECRET });
    webhooks.on('issues.opened', () => {
      counters.processed++;
    });
    const quiet = (): void => undefined;
    const middleware = createNodeMiddleware(webhooks, { path: PATH, log: { debug: quiet, info: quiet, warn: quiet, error: quiet } });
    return (req, res) => {
      counters.requests++;
      void middleware(req, res);
    };
  }
  const { webhookMiddleware } = await hookguardNode();
  const verifier = kind === 'hookguard' ? standardWebhooks({ secret: SECRET }) : github({ secret: GITHUB_SECRET });
  // One process on purpose: the rounds measure the adapter's cost, not a deployment.
  const receiver = createReceiver({ verifier, store: new MemoryStore(), warnings: { WARN_HOOKGUARD_STORE_NOT_SHARED: false } });
  receiver.on(kind === 'hookguard' ? EVENT_TYPE : 'issues.opened', () => {
    counters.processed++;
  });
  return webhookMiddleware(receiver, { path: PATH, onResult: countResult(counters) });
}

/** Starts the `kind` server on 127.0.0.1, on a free port. */
export async function startAdapterServer(kind: AdapterServer, counters: ServerCounters): Promise<{ port: number; close: () => Promise<void> }> {
  const server: Server = createServer(await listenerFor(kind, counters));
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
