import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createReceiver, MemoryStore, standardWebhooks, type DedupStore, type ReceiveResult, type Receiver } from '@hookguard/core';
import { byHandReceiver, JSON_CONTENT_TYPE, minimalFingerprintingReceiver, minimalReceiver, RECEIVED, type Answer } from './by-hand.js';
import { EVENT_TYPE, SECRET } from './deliveries.js';
import type { ServerConfig, ServerCounters } from './server-config.js';

/** A listening server. */
export type RunningServer = { port: number; close(): Promise<void> };

const PATH = '/webhooks';
const RETENTION_MS = 4 * 24 * 60 * 60 * 1000;

// Packages are imported when their server starts, so one that fails to load only costs its rounds.
async function createStore(config: ServerConfig): Promise<DedupStore> {
  if (config.store === 'memory') return new MemoryStore();
  const { BloomStore } = await import('@hookguard/bloom');
  return new BloomStore({ expectedItems: 2_000_000, falsePositiveRate: 1e-6, retentionMs: RETENTION_MS });
}

async function createBenchReceiver(config: ServerConfig, counters: ServerCounters): Promise<Receiver> {
  const store = await createStore(config);
  const receiver = createReceiver({
    verifier: standardWebhooks({ secret: SECRET }),
    store,
    acceptFalsePositives: config.store === 'bloom',
    // One process on purpose: the rounds measure the store's cost, not a deployment.
    warnings: { WARN_HOOKGUARD_STORE_NOT_SHARED: false },
  });
  receiver.on(EVENT_TYPE, () => {
    counters.processed++;
  });
  return receiver;
}

function countResult(counters: ServerCounters): (result: ReceiveResult) => void {
  return (result) => {
    counters.requests++;
    if (result.outcome === 'duplicate') counters.duplicates++;
    else if (result.outcome !== 'processed') counters.errors++;
  };
}

function listening(server: Server): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const ready = (): void => {
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    };
    if (server.listening) ready();
    else server.once('listening', ready).once('error', reject);
  });
}

/** The routes that verify by hand, by handling. */
const ROUTE_RECEIVERS = { 'by-hand': byHandReceiver, minimal: minimalReceiver, 'minimal-fingerprint': minimalFingerprintingReceiver } as const;

/** What a route without the adapter does with the raw body it read: answer, count. */
type Answerer = (body: Buffer, headers: Record<string, string>) => Answer | Promise<Answer>;

async function answererFor(config: ServerConfig, counters: ServerCounters): Promise<Answerer> {
  if (config.handling === 'by-hand' || config.handling === 'minimal' || config.handling === 'minimal-fingerprint') {
    const receive = ROUTE_RECEIVERS[config.handling](counters);
    return (body, headers) => {
      counters.requests++;
      return receive(body, headers);
    };
  }
  if (config.handling === 'direct') {
    const receiver = await createBenchReceiver(config, counters);
    const count = countResult(counters);
    return async (body, headers) => {
      const result = await receiver.receive({ rawBody: body, headers });
      count(result);
      return { status: result.status, body: result.body };
    };
  }
  return () => {
    counters.requests++;
    counters.processed++;
    return { status: 200, body: RECEIVED };
  };
}

// Every route without the adapter reads the raw body the framework's own cheapest way, so bare,
// by-hand, minimal (with or without the fingerprint) and direct servers differ only in what they
// do with it.
async function startExpress(config: ServerConfig, counters: ServerCounters): Promise<RunningServer> {
  const { express } = await import('../modules/express.js');
  const app = express();
  if (config.handling === 'hookguard') {
    const { webhookHandler } = await import('@hookguard/express');
    app.post(PATH, webhookHandler(await createBenchReceiver(config, counters), { onResult: countResult(counters) }));
  } else {
    const answer = await answererFor(config, counters);
    app.post(PATH, express.raw({ type: '*/*', limit: '1mb' }), async (req, res) => {
      const { status, body } = await answer(req.body as Buffer, req.headers as Record<string, string>);
      res.status(status);
      res.setHeader('content-type', JSON_CONTENT_TYPE);
      res.end(body);
    });
  }
  return listening(app.listen(0, '127.0.0.1', () => {}));
}

async function startHono(config: ServerConfig, counters: ServerCounters): Promise<RunningServer> {
  const { Hono } = await import('hono');
  const { serve } = await import('@hono/node-server');
  const app = new Hono();
  if (config.handling === 'hookguard') {
    const { webhookHandler } = await import('@hookguard/hono');
    app.post(PATH, webhookHandler(await createBenchReceiver(config, counters), { onResult: countResult(counters) }));
  } else {
    const answer = await answererFor(config, counters);
    app.post(PATH, async (c) => {
      // @hono/node-server serves arrayBuffer() straight from the Node request, without a Web stream.
      const { status, body } = await answer(Buffer.from(await c.req.arrayBuffer()), c.req.header());
      return c.body(body, status as 200, { 'content-type': JSON_CONTENT_TYPE });
    });
  }
  return listening(serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server);
}

async function startFastify(config: ServerConfig, counters: ServerCounters): Promise<RunningServer> {
  const { default: Fastify } = await import('fastify');
  const app = Fastify({ logger: false });
  if (config.handling === 'hookguard') {
    const { hookguard } = await import('@hookguard/fastify');
    await app.register(hookguard, { receiver: await createBenchReceiver(config, counters), path: PATH, onResult: countResult(counters) });
  } else {
    const answer = await answererFor(config, counters);
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => {
      done(null, body);
    });
    app.post(PATH, async (request, reply) => {
      const { status, body } = await answer(request.body as Buffer, request.headers as Record<string, string>);
      return reply.code(status).header('content-type', JSON_CONTENT_TYPE).send(body);
    });
  }
  await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    port: (app.server.address() as AddressInfo).port,
    close: () => app.close(),
  };
}

/** Starts the server `config` describes on 127.0.0.1, on a free port. */
export function startServer(config: ServerConfig, counters: ServerCounters): Promise<RunningServer> {
  switch (config.framework) {
    case 'express':
      return startExpress(config, counters);
    case 'hono':
      return startHono(config, counters);
    case 'fastify':
      return startFastify(config, counters);
  }
}
