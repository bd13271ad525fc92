// The server under soak: one example app around one receiver, in its own process so that its RSS is
// its own. Started by run-soak.ts with --expose-gc; configured through HOOKGUARD_SOAK_SERVER.
// Effects are streamed to the parent in batches and not kept here, so they cost this process no memory.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { MemoryStore, createReceiver, standardWebhooks, type DedupStore } from '@hookguard/core';
import { PostgresStore } from '@hookguard/postgres';
import { RedisStore } from '@hookguard/redis';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createApp as createExpressApp } from '../../examples/express/src/app.js';
import { createApp as createFastifyApp } from '../../examples/fastify/src/app.js';
import { createApp as createHonoApp } from '../../examples/hono/src/app.js';
import { EVENT_TYPE, NAMESPACE, SECRET } from '../cross-process/app-config.js';
import { SOAK_SERVER_ENV, isFailingEvent, type ServerMessage, type SoakServerConfig, type ParentMessage } from './soak-protocol.js';

const config = JSON.parse(process.env[SOAK_SERVER_ENV] ?? 'null') as SoakServerConfig;
if (config === null) throw new Error(`${SOAK_SERVER_ENV} is not set: this file is started by test/soak/run-soak.ts`);

const send = (message: ServerMessage): void => {
  if (process.connected) process.send?.(message);
};
process.on('disconnect', () => process.exit(0));

function openStore(): { store: DedupStore; close: () => Promise<void> } {
  const { store } = config;
  switch (store.kind) {
    case 'memory': {
      const memory = new MemoryStore({ sweepIntervalMs: 2_000 });
      return { store: memory, close: () => memory.close() };
    }
    case 'redis': {
      const client = new Redis({ host: '127.0.0.1', port: store.port });
      client.on('error', () => undefined);
      return { store: new RedisStore({ client, prefix: store.prefix }), close: async () => void (await client.quit()) };
    }
    case 'postgres': {
      const pool = new pg.Pool({ ...store.connection, max: 10 });
      pool.on('error', () => undefined);
      return { store: new PostgresStore({ pool, schema: store.schema }), close: () => pool.end() };
    }
  }
}

const opened = openStore();
const logCounts: Record<string, number> = {};
const count = (fields: Record<string, unknown>): void => {
  const code = typeof fields['code'] === 'string' ? fields['code'] : 'uncoded';
  logCounts[code] = (logCounts[code] ?? 0) + 1;
};
const receiver = createReceiver({
  verifier: standardWebhooks({ secret: SECRET }),
  store: opened.store,
  namespace: NAMESPACE,
  retentionMs: config.retentionMs,
  logger: { warn: count, error: count },
});

let effects: string[] = [];
const flush = (): void => {
  if (effects.length === 0) return;
  send({ type: 'effects', ids: effects });
  effects = [];
};
setInterval(flush, 50).unref();

receiver.on(EVENT_TYPE, (event, ctx) => {
  if (ctx.attempt === 1 && isFailingEvent(event.id, config.failEvery)) throw new Error(`transient failure of ${event.id}`);
  effects.push(event.id);
});

async function sample(): Promise<ServerMessage> {
  const collect = (globalThis as { gc?: () => void }).gc;
  // Twice, apart: the first pass may only queue finalizers whose memory the second frees, and V8
  // gives emptied pages back to the system from background threads, a moment after a collection.
  collect?.();
  await new Promise((resolve) => setTimeout(resolve, 250));
  collect?.();
  const usage = process.memoryUsage();
  return { type: 'sample', rss: usage.rss, heapUsed: usage.heapUsed, heapTotal: usage.heapTotal, external: usage.external, gc: collect !== undefined };
}

process.on('message', (message: ParentMessage) => {
  if (message.type === 'sample') void sample().then(send);
  if (message.type === 'flush') {
    flush();
    send({ type: 'flushed', logCounts });
  }
});

// Longer than the load generator's idle gaps, so a keep-alive connection is never closed under it.
function keepConnections(server: Server): void {
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 121_000;
}

async function listen(): Promise<number> {
  switch (config.framework) {
    case 'express': {
      const server = createExpressApp(receiver).listen(0, '127.0.0.1');
      keepConnections(server);
      await new Promise((resolve, reject) => server.once('listening', resolve).once('error', reject));
      return (server.address() as AddressInfo).port;
    }
    case 'hono': {
      const app = createHonoApp(receiver);
      return new Promise((resolve) => {
        const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => resolve(info.port)) as Server;
        keepConnections(server);
      });
    }
    case 'fastify': {
      const app = await createFastifyApp(receiver);
      await app.listen({ port: 0, host: '127.0.0.1' });
      return (app.server.address() as AddressInfo).port;
    }
  }
}

send({ type: 'listening', port: await listen() });
