// Untyped JavaScript, and options read from a file, get no compiler to refuse a misspelt option.
// Before, every factory below ignored one without a word: `readonly: true` left an inspector's
// replay on, `pth` made a middleware answer every request of the app, `retry: { attempt: 3 }`
// retried a failing event 25 times over a day. Each now throws ERR_HOOKGUARD_INVALID_OPTIONS at
// construction, naming the option probably meant.
import { BloomFilter, BloomStore } from '@hookguard/bloom';
import { startSnapshotting } from '@hookguard/bloom/node';
import { BullMQQueue } from '@hookguard/bullmq';
import {
  MemoryDeliveryLog,
  MemoryStore,
  createReceiver,
  github,
  hmacVerifier,
  once,
  shopify,
  slack,
  standardWebhooks,
  stripe,
  svix,
  unsafeNoVerification,
  type Receiver,
} from '@hookguard/core';
import { webhookHandler as expressHandler } from '@hookguard/express';
import { webhookHandler as honoHandler, webhookMiddleware as honoMiddleware } from '@hookguard/hono';
import { createInspector } from '@hookguard/inspector';
import { webhookMiddleware as nodeMiddleware } from '@hookguard/node';
import { HookguardInstrumentation } from '@hookguard/otel';
import { PgBossQueue } from '@hookguard/pg-boss';
import { PostgresDeliveryLog, PostgresStore } from '@hookguard/postgres';
import { RedisDeliveryLog, RedisStore } from '@hookguard/redis';
import { webhookHandler as webHandler } from '@hookguard/web';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';

const SECRET = `whsec_${Buffer.from('unknown-options-test-secret').toString('base64')}`;
// Never connected: every factory below refuses its options before it sends anything.
const client = new Redis({ lazyConnect: true });
const pool = new pg.Pool({ max: 1 });
afterAll(async () => {
  client.disconnect();
  await pool.end();
});

function receiver(): Receiver {
  return createReceiver({ verifier: standardWebhooks({ secret: SECRET }), logger: { warn: () => undefined, error: () => undefined } });
}

/** The error `make` throws, or a string saying it threw none. */
function thrownBy(make: () => unknown): unknown {
  try {
    make();
  } catch (error) {
    return error;
  }
  return 'nothing thrown';
}

const cases: [string, () => unknown, RegExp][] = [
  ['createReceiver', () => createReceiver({ verifier: standardWebhooks({ secret: SECRET }), leaseMS: 300_000 } as never), /createReceiver\(\): unknown option 'leaseMS'\. Did you mean 'leaseMs'\?/],
  ['createReceiver retry', () => createReceiver({ verifier: standardWebhooks({ secret: SECRET }), retry: { attempt: 3 } } as never), /createReceiver\(\): retry: unknown option 'attempt'\. Did you mean 'attempts'\?/],
  ['createInspector', () => createInspector({ receiver: receiver(), authorize: () => true, readonly: true } as never), /createInspector\(\): unknown option 'readonly'\. Did you mean 'readOnly'\?/],
  ['@hookguard/node webhookMiddleware', () => nodeMiddleware(receiver(), { pth: '/webhooks' } as never), /webhookMiddleware\(\): unknown option 'pth'\. The options are path, onResult\./],
  ['@hookguard/express webhookHandler', () => expressHandler(receiver(), { onresult: () => undefined } as never), /webhookHandler\(\): unknown option 'onresult'\. Did you mean 'onResult'\?/],
  ['@hookguard/hono webhookMiddleware', () => honoMiddleware(receiver(), { path: '/webhooks' } as never), /webhookMiddleware\(\): unknown option 'path'\. The options are onResult\./],
  ['@hookguard/hono webhookHandler', () => honoHandler(receiver(), { onresult: () => undefined } as never), /webhookHandler\(\): unknown option 'onresult'/],
  ['@hookguard/web webhookHandler', () => webHandler(receiver(), { onresult: () => undefined } as never), /webhookHandler\(\): unknown option 'onresult'/],
  ['MemoryStore', () => new MemoryStore({ sweepInterval: 1_000 } as never), /new MemoryStore\(\): unknown option 'sweepInterval'\. Did you mean 'sweepIntervalMs'\?/],
  ['MemoryDeliveryLog', () => new MemoryDeliveryLog({ payload: true } as never), /new MemoryDeliveryLog\(\): unknown option 'payload'\. Did you mean 'payloads'\?/],
  ['BloomStore', () => new BloomStore({ expectedItems: 1_000, falsePositiveRate: 1e-6, retention: 1_000 } as never), /new BloomStore\(\): unknown option 'retention'\. Did you mean 'retentionMs'\?/],
  ['BloomFilter', () => new BloomFilter({ bits: 64, hashCount: 3, seeds: 1 } as never), /new BloomFilter\(\): unknown option 'seeds'\. Did you mean 'seed'\?/],
  ['HookguardInstrumentation', () => new HookguardInstrumentation({ enable: false } as never), /new HookguardInstrumentation\(\): unknown option 'enable'\. Did you mean 'enabled'\?/],
  ['startSnapshotting', () => startSnapshotting(new BloomStore({ expectedItems: 1_000, falsePositiveRate: 1e-6, retentionMs: 60_000 }), { path: '/tmp/never-written.snapshot', interval: 5_000 } as never), /startSnapshotting\(\): unknown option 'interval'\. Did you mean 'intervalMs'\?/],
  ['RedisStore', () => new RedisStore({ client, commandTimeout: 500 } as never), /new RedisStore\(\): unknown option 'commandTimeout'\. Did you mean 'commandTimeoutMs'\?/],
  ['RedisDeliveryLog', () => new RedisDeliveryLog({ client, maxlength: 10 } as never), /new RedisDeliveryLog\(\): unknown option 'maxlength'\. Did you mean 'maxLength'\?/],
  ['PostgresStore', () => new PostgresStore({ pool, statementTimeout: 2_000 } as never), /new PostgresStore\(\): unknown option 'statementTimeout'\. Did you mean 'statementTimeoutMs'\?/],
  ['PostgresDeliveryLog', () => new PostgresDeliveryLog({ pool, retention: 1_000 } as never), /new PostgresDeliveryLog\(\): unknown option 'retention'\. Did you mean 'retentionMs'\?/],
  ['BullMQQueue', () => new BullMQQueue({ connection: client, lockDuration: 3_000 } as never), /new BullMQQueue\(\): unknown option 'lockDuration'\. Did you mean 'lockDurationMs'\?/],
  ['BullMQQueue retention', () => new BullMQQueue({ connection: client, retention: { completed: 1_000 } } as never), /new BullMQQueue\(\): retention: unknown option 'completed'\. Did you mean 'completedMs'\?/],
  ['PgBossQueue', () => new PgBossQueue({ pool, pollInterval: 500 } as never), /new PgBossQueue\(\): unknown option 'pollInterval'\. Did you mean 'pollIntervalMs'\?/],
  ['PgBossQueue retention', () => new PgBossQueue({ pool, retention: { completed: 60 } } as never), /new PgBossQueue\(\): retention: unknown option 'completed'\. Did you mean 'completedSeconds'\?/],
  ['standardWebhooks', () => standardWebhooks({ secret: SECRET, toleranceSec: 60 } as never), /standardWebhooks\(\): unknown option 'toleranceSec'\. Did you mean 'toleranceSeconds'\?/],
  ['svix', () => svix({ secret: SECRET, tolerance: 60 } as never), /svix\(\): unknown option 'tolerance'\. Did you mean 'toleranceSeconds'\?/],
  ['stripe', () => stripe({ secret: 'whsec_test', tolerance: 60 } as never), /stripe\(\): unknown option 'tolerance'\. Did you mean 'toleranceSeconds'\?/],
  ['github', () => github({ secret: 'github-secret', retention: 1_000 } as never), /github\(\): unknown option 'retention'\. Did you mean 'retentionMs'\?/],
  ['shopify', () => shopify({ secret: 'shopify-secret', idheader: 'x-shopify-event-id' } as never), /shopify\(\): unknown option 'idheader'\. Did you mean 'idHeader'\?/],
  ['slack', () => slack({ secret: 'slack-secret' } as never), /slack\(\): unknown option 'secret'\. The options are now, logger, signingSecret, toleranceSeconds\./],
  ['hmacVerifier', () => hmacVerifier({ secret: 'in-house', header: 'x-signature', id: 'header:x-id', type: 'json:type', algo: 'sha256' } as never), /hmacVerifier\(\): unknown option 'algo'\. Did you mean 'algorithm'\?/],
];

describe('a misspelt option', () => {
  it.each(cases)('%s: throws ERR_HOOKGUARD_INVALID_OPTIONS at construction, naming the option', (_name, make, message) => {
    const error = thrownBy(make);
    expect(error).toMatchObject({ code: 'ERR_HOOKGUARD_INVALID_OPTIONS' });
    expect((error as Error).message).toMatch(message);
  });

  it('receiver.work: rejects with ERR_HOOKGUARD_INVALID_OPTIONS before it starts a worker', async () => {
    const never = (): Promise<never> => Promise.reject(new Error('the queue was used'));
    const queue = { name: 'never-used', enqueue: never, work: never, find: never, deadLetters: never, replay: never };
    const queued = createReceiver({ verifier: standardWebhooks({ secret: SECRET }), queue, logger: { warn: () => undefined, error: () => undefined } });
    await expect(queued.work({ concurency: 4 } as never)).rejects.toMatchObject({
      code: 'ERR_HOOKGUARD_INVALID_OPTIONS',
      message: expect.stringMatching(/receiver\.work\(\): unknown option 'concurency'\. The options are concurrency\./),
    });
  });

  it('once(): rejects with ERR_HOOKGUARD_INVALID_OPTIONS before it runs fn', async () => {
    let ran = 0;
    await expect(once(new MemoryStore(), 'reply:1', async () => ++ran, { retention: 60_000 } as never)).rejects.toMatchObject({
      code: 'ERR_HOOKGUARD_INVALID_OPTIONS',
      message: expect.stringMatching(/once\('reply:1'\): unknown option 'retention'\. Did you mean 'retentionMs'\?/),
    });
    expect(ran).toBe(0);
  });

  it('ctx.once: fails the handler with ERR_HOOKGUARD_INVALID_OPTIONS before it runs fn (logger is the receiver\'s)', async () => {
    const errors: string[] = [];
    const inline = createReceiver({ verifier: unsafeNoVerification(), logger: { warn: () => undefined, error: (_fields, message) => void errors.push(message) } });
    let ran = 0;
    let thrown: unknown;
    inline.on('ping', async (_event, ctx) => {
      thrown = await ctx.once('reply:1', async () => ++ran, { logger: console } as never).catch((error: unknown) => error);
    });
    await inline.receive({ rawBody: JSON.stringify({ id: 'evt_1', type: 'ping' }), headers: { 'content-type': 'application/json' } });
    expect(thrown).toMatchObject({ code: 'ERR_HOOKGUARD_INVALID_OPTIONS', message: expect.stringMatching(/ctx\.once\('reply:1'\): unknown option 'logger'\. The options are leaseMs, retentionMs, waitMs, signal\./) });
    expect(ran).toBe(0);
  });

  it('leaves every option a factory does take alone (the lists are checked against the option types by the compiler)', () => {
    expect(thrownBy(() => nodeMiddleware(receiver(), { path: '/webhooks', onResult: () => undefined }))).toBe('nothing thrown');
    expect(thrownBy(() => new MemoryDeliveryLog({ capacity: 10, payloads: true }))).toBe('nothing thrown');
    expect(thrownBy(() => standardWebhooks({ secret: SECRET, toleranceSeconds: 60, now: Date.now }))).toBe('nothing thrown');
  });
});
