// One app process: an example app (examples/<framework>/src/app.ts) around a receiver on a shared
// store, configured by the parent through HOOKGUARD_TEST_APP and reporting over IPC. Started by
// app-process.ts as `node --import tsx --conditions=@hookguard/source test/cross-process/app.ts`.
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createReceiver, isWebhookError, standardWebhooks, type DedupStore, type Logger, type WebhookEvent } from '@hookguard/core';
import { PostgresStore } from '@hookguard/postgres';
import { RedisStore } from '@hookguard/redis';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createApp as createExpressApp } from '../../examples/express/src/app.js';
import { createApp as createFastifyApp } from '../../examples/fastify/src/app.js';
import { createApp as createHonoApp } from '../../examples/hono/src/app.js';
import { APP_CONFIG_ENV, EVENT_TYPE, NAMESPACE, SECRET, type AppConfig, type AppMessage } from './app-config.js';

const config = JSON.parse(process.env[APP_CONFIG_ENV] ?? 'null') as AppConfig;
if (config === null) throw new Error(`${APP_CONFIG_ENV} is not set: this file is started by test/cross-process/app-process.ts`);

function report(message: AppMessage): void {
  if (process.connected) process.send?.(message);
}

// The parent is gone (a crashed test run): do not outlive it.
process.on('disconnect', () => process.exit(0));

/** Where effects and dead letters are counted: the store's own database, never this process. */
type Ledger = {
  store: DedupStore;
  recordEffect(id: string): Promise<void>;
  recordDeadLetter(id: string): Promise<void>;
};

function openLedger(): Ledger {
  const { store } = config;
  if (store.kind === 'redis') {
    const client = new Redis({ host: '127.0.0.1', port: store.port });
    client.on('error', () => undefined);
    return {
      store: new RedisStore({ client, prefix: store.prefix, ...(store.commandTimeoutMs === undefined ? {} : { commandTimeoutMs: store.commandTimeoutMs }) }),
      recordEffect: async (id) => void (await client.hincrby(`${store.prefix}effects`, id, 1)),
      recordDeadLetter: async (id) => void (await client.hincrby(`${store.prefix}dead-letters`, id, 1)),
    };
  }
  const pool = new pg.Pool({ ...store.connection, application_name: store.applicationName, max: store.poolMax ?? 10 });
  // A terminated idle connection is reported here; the pool replaces it.
  pool.on('error', () => undefined);
  return {
    store: new PostgresStore({
      pool,
      schema: store.schema,
      ...(store.statementTimeoutMs === undefined ? {} : { statementTimeoutMs: store.statementTimeoutMs }),
    }),
    recordEffect: async (id) => void (await pool.query(`INSERT INTO "${store.schema}".effects (id, pid) VALUES ($1, $2)`, [id, process.pid])),
    recordDeadLetter: async (id) => void (await pool.query(`INSERT INTO "${store.schema}".dead_letters (id) VALUES ($1)`, [id])),
  };
}

/**
 * Counts effects between being applied and being recorded by `ctx.once`; once closed, holds every
 * new effect back and tells when none is left in that window.
 */
class EffectGate {
  #open = true;
  #inWindow = 0;
  #idle: (() => void) | undefined;

  async enter(): Promise<void> {
    if (!this.#open) await never();
    this.#inWindow++;
  }

  leave(): void {
    this.#inWindow--;
    if (this.#inWindow === 0) this.#idle?.();
  }

  close(): Promise<void> {
    this.#open = false;
    if (this.#inWindow === 0) return Promise.resolve();
    return new Promise((resolve) => (this.#idle = resolve));
  }
}

const never = (): Promise<never> => new Promise<never>(() => undefined);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const codeOf = (error: unknown): string | undefined => (isWebhookError(error) ? error.code : undefined);

const ledger = openLedger();
const gate = new EffectGate();
const failFirst = new Set(config.failFirst);
const poison = new Set(config.poison);
const block = new Set(config.block);

async function blockUntilKilled(id: string): Promise<never> {
  report({ type: 'blocked', id });
  if (config.quiesceOnBlock === true) {
    await gate.close();
    report({ type: 'quiescent' });
  }
  return never();
}

const logger: Logger = {
  warn: (fields, message) => report({ type: 'log', level: 'warn', message, code: typeof fields['code'] === 'string' ? fields['code'] : undefined }),
  error: (fields, message) => report({ type: 'log', level: 'error', message, code: typeof fields['code'] === 'string' ? fields['code'] : undefined }),
};

const receiver = createReceiver({
  verifier: standardWebhooks({ secret: SECRET }),
  store: ledger.store,
  namespace: NAMESPACE,
  leaseMs: config.leaseMs,
  ...(config.maxAttempts === undefined ? {} : { maxAttempts: config.maxAttempts }),
  logger,
  onDelivery: (delivery) =>
    report({
      type: 'delivery',
      id: delivery.id,
      outcome: delivery.outcome,
      status: delivery.status,
      attempt: delivery.attempt,
      leaseLost: delivery.leaseLost,
      dedupSkipped: delivery.dedupSkipped,
      code: delivery.error?.code,
    }),
  onDeadLetter: async (event) => {
    await ledger.recordDeadLetter(event.id);
    report({ type: 'dead-letter', id: event.id });
  },
});

/** The start of every handler, whatever the effect mode. */
async function begin(event: WebhookEvent, attempt: number, signal: AbortSignal): Promise<void> {
  report({ type: 'handler', id: event.id, attempt });
  signal.addEventListener('abort', () => report({ type: 'aborted', id: event.id, code: codeOf(signal.reason) }), { once: true });
  if (poison.has(event.id)) throw new Error(`poison event ${event.id}`);
  const sleepMs = config.sleepMs?.[event.id] ?? config.handlerDelayMs;
  if (sleepMs !== undefined) await sleep(sleepMs);
}

function failOnFirstAttempt(event: WebhookEvent, attempt: number): void {
  if (failFirst.has(event.id) && attempt === 1) throw new Error(`transient failure of ${event.id} on attempt 1`);
}

if (config.effect === 'transaction') {
  const { schema } = config.store as { schema: string };
  receiver.on(
    EVENT_TYPE,
    async (event, ctx) => {
      await begin(event, ctx.attempt, ctx.signal);
      await ctx.db.query(`INSERT INTO "${schema}".effects (id, pid) VALUES ($1, $2)`, [event.id, process.pid]);
      if (block.has(event.id)) await blockUntilKilled(event.id);
      failOnFirstAttempt(event, ctx.attempt);
    },
    { transaction: true },
  );
} else {
  receiver.on(EVENT_TYPE, async (event, ctx) => {
    await begin(event, ctx.attempt, ctx.signal);
    if (config.effect === 'once') {
      let entered = false;
      try {
        await ctx.once(`effect:${event.id}`, async () => {
          if (block.has(event.id)) await blockUntilKilled(event.id);
          await gate.enter();
          entered = true;
          await ledger.recordEffect(event.id);
        });
      } finally {
        if (entered) gate.leave();
      }
    } else if (block.has(event.id)) {
      await blockUntilKilled(event.id);
    }
    failOnFirstAttempt(event, ctx.attempt);
  });
}

async function listen(): Promise<number> {
  switch (config.framework) {
    case 'express': {
      const server = createExpressApp(receiver).listen(0, '127.0.0.1');
      await new Promise((resolve, reject) => server.once('listening', resolve).once('error', reject));
      return (server.address() as AddressInfo).port;
    }
    case 'hono': {
      const app = createHonoApp(receiver);
      return new Promise((resolve) => void serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => resolve(info.port)));
    }
    case 'fastify': {
      const app = await createFastifyApp(receiver);
      await app.listen({ port: 0, host: '127.0.0.1' });
      return (app.server.address() as AddressInfo).port;
    }
  }
}

report({ type: 'listening', port: await listen() });
