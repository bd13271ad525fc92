import { createReceiver, github, MemoryStore, standardWebhooks, type ReceiveResult } from '@hookguard/core';
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Readable } from 'node:stream';
import { JSON_CONTENT_TYPE, minimalFingerprintingReceiver, minimalGitHubReceiver, minimalReceiver, RECEIVED } from '../http/by-hand.js';
import { EVENT_TYPE, SECRET } from '../http/deliveries.js';
import type { ServerCounters } from '../http/server-config.js';
import { hookguardNode, hookguardWeb, octokitWebhooks } from './adapter-modules.js';
import { GITHUB_SECRET } from './github-deliveries.js';

/**
 * The servers of the adapter rounds, all on bare node:http:
 * - `bare`: reads the raw body and answers 200, no verification (node:http's own cost);
 * - `minimal`: reads the raw body, then B1's minimal node:crypto verify and a `Set`;
 * - `minimal-fingerprint`: `minimal` plus a SHA-256 fingerprint of each body kept with its id and
 *   compared on a repeat (a `Map`): the least route that keeps hookguard's fingerprint guarantee;
 * - `hookguard`: `@hookguard/node` with Standard Webhooks and the memory store;
 * - `hookguard-github`: `@hookguard/node` with the GitHub verifier, one `issues.opened` handler;
 * - `octokit`: `@octokit/webhooks`' `createNodeMiddleware` with the same handler;
 * - `bare-github`: `bare`, sent the GitHub deliveries (what any receiver of them costs at least);
 * - `minimal-github`: reads the raw body, then the minimal node:crypto GitHub verify (one HMAC, a
 *   constant-time compare, `JSON.parse`) and a `Set` of delivery ids: the least a verifying,
 *   deduplicating GitHub receiver does;
 * - `web`: `@hookguard/web`'s `(Request) => Response` handler behind the few lines a Node host of
 *   such a function runs (a Web `Request` with the body as a stream in, the `Response` written back);
 * - `web-minimal`: the same host and function shape, reading `request.arrayBuffer()`, then the
 *   minimal verify and a `Set`: the least a verifying Web handler does on that host;
 * - `web-minimal-fingerprint`: `web-minimal` with the fingerprint of `minimal-fingerprint`.
 */
export const ADAPTER_SERVERS = ['bare', 'minimal', 'minimal-fingerprint', 'hookguard', 'hookguard-github', 'octokit', 'bare-github', 'minimal-github', 'web', 'web-minimal', 'web-minimal-fingerprint'] as const;
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

/** A Web `Request` of a node:http request, its body the request stream (as Node hosts of Web handlers build it). */
function toWebRequest(req: IncomingMessage): Request {
  const headers = new Headers();
  for (let index = 0; index < req.rawHeaders.length; index += 2) headers.append(req.rawHeaders[index]!, req.rawHeaders[index + 1]!);
  const init = { method: req.method ?? 'POST', headers, body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: 'half' };
  return new Request(`http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`, init);
}

async function writeWebResponse(res: ServerResponse, response: Response): Promise<void> {
  const headers: [string, string][] = [];
  response.headers.forEach((value, name) => headers.push([name, value]));
  res.writeHead(response.status, headers);
  res.end(await response.text());
}

function webListener(handler: (request: Request) => Promise<Response>): RequestListener {
  return (req, res) => {
    void handler(toWebRequest(req)).then((response) => writeWebResponse(res, response));
  };
}

/** The minimal routes' receivers, by server kind. */
const MINIMAL_RECEIVERS = {
  minimal: minimalReceiver,
  'minimal-fingerprint': minimalFingerprintingReceiver,
  'minimal-github': minimalGitHubReceiver,
  'web-minimal': minimalReceiver,
  'web-minimal-fingerprint': minimalFingerprintingReceiver,
} as const;

async function listenerFor(kind: AdapterServer, counters: ServerCounters): Promise<RequestListener> {
  if (kind === 'web-minimal' || kind === 'web-minimal-fingerprint') {
    const receive = MINIMAL_RECEIVERS[kind](counters);
    return webListener(async (request) => {
      const body = Buffer.from(await request.arrayBuffer());
      counters.requests++;
      // The three headers the minimal verify reads, as any Web handler gets them.
      const { headers } = request;
      const answer = receive(body, {
        'webhook-id': headers.get('webhook-id') ?? '',
        'webhook-timestamp': headers.get('webhook-timestamp') ?? '',
        'webhook-signature': headers.get('webhook-signature') ?? '',
      });
      return new Response(answer.body, { status: answer.status, headers: { 'content-type': JSON_CONTENT_TYPE } });
    });
  }
  if (kind === 'web') {
    const { webhookHandler } = await hookguardWeb();
    const receiver = createReceiver({ verifier: standardWebhooks({ secret: SECRET }), store: new MemoryStore(), warnings: { WARN_HOOKGUARD_STORE_NOT_SHARED: false } });
    receiver.on(EVENT_TYPE, () => {
      counters.processed++;
    });
    return webListener(webhookHandler(receiver, { onResult: countResult(counters) }));
  }
  if (kind === 'bare' || kind === 'bare-github' || kind === 'minimal' || kind === 'minimal-fingerprint' || kind === 'minimal-github') {
    const receive = kind === 'bare' || kind === 'bare-github' ? undefined : MINIMAL_RECEIVERS[kind](counters);
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

/** Starts the `kind` server on 127.0.0.1, on a free port; `onConnection` sees each client's socket. */
export async function startAdapterServer(
  kind: AdapterServer,
  counters: ServerCounters,
  onConnection?: (socket: Socket) => void,
): Promise<{ port: number; close: () => Promise<void> }> {
  const server: Server = createServer(await listenerFor(kind, counters));
  if (onConnection !== undefined) server.on('connection', onConnection);
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
