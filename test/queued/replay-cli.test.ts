import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { BullMQQueue } from '@hookguard/bullmq';
import { createReceiver, standardWebhooks, type WebhookEvent } from '@hookguard/core';
import { RedisStore } from '@hookguard/redis';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../cross-process/app-process.js';
import { deleteRedisKeys } from '../support/redis-keys.js';
import { REDIS, describeWithRedis } from '../support/services.js';
import { SECRET, eventually, signedDelivery } from './queued-fixtures.js';

const CLI = fileURLToPath(new URL('../../packages/core/src/cli/main.ts', import.meta.url));
const MODULE = fileURLToPath(new URL('./cli-receiver.ts', import.meta.url));
const client = new Redis({ ...REDIS, maxRetriesPerRequest: 1 });
afterAll(() => client.disconnect());

function hookguard(args: string[], run: string, env: Record<string, string> = {}): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@hookguard/source', CLI, ...args], {
      cwd: ROOT,
      env: { ...process.env, HOOKGUARD_TEST_RUN: run, ...env },
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

describeWithRedis('the hookguard command', () => {
  it('lists dead letters and replays them all with --all-dead, from the stored payloads', { timeout: 60_000 }, async () => {
    const run = `hgcli-${randomUUID().slice(0, 8)}`;
    const queue = new BullMQQueue({ connection: client, name: `${run}-q` });
    const receiver = createReceiver({
      verifier: standardWebhooks({ secret: SECRET }),
      store: new RedisStore({ client, prefix: `${run}:dedup:` }),
      queue,
      namespace: run,
      retry: { attempts: 2, minDelayMs: 10, maxDelayMs: 20 },
      logger: { warn: () => undefined, error: () => undefined },
    });
    let fixed = false;
    const succeeded: string[] = [];
    receiver.on('order.created', (event: WebhookEvent) => {
      // Quoting an address and a token, as a handler's error quoting the payload does.
      if (!fixed) throw new Error('not yet for ada@example.com password=hunter2');
      succeeded.push(event.id);
    });
    const worker = await receiver.work();
    try {
      for (const id of ['evt_a', 'evt_b']) {
        const { body, headers } = signedDelivery(id, 'order.created', {});
        expect((await receiver.receive({ rawBody: body, headers })).outcome).toBe('queued');
      }
      await eventually(async () => (await queue.deadLetters()).length === 2, 20_000, () => 'not dead-lettered');
      const listed = await hookguard(['dead-letters', '--receiver', MODULE], run);
      expect(listed.code).toBe(0);
      expect(listed.out).toContain(`evt_a\torder.created\t2 attempts\t${run}:evt_a\t`);
      // The engine keeps the error as thrown; the listing masks it, as the delivery log does.
      expect(listed.out).toContain('not yet for [redacted] password=[redacted]');
      expect(listed.out).not.toMatch(/ada@example\.com|hunter2/);
      expect(listed.out).toContain('2 dead-lettered event(s)');
      fixed = true;
      const replayed = await hookguard(['replay', '--receiver', MODULE, '--all-dead'], run);
      expect(replayed.code).toBe(0);
      await eventually(() => succeeded.length === 2, 20_000, () => `succeeded: ${succeeded.join(',')}`);
      expect(succeeded.sort()).toEqual(['evt_a', 'evt_b']);
      const unknown = await hookguard(['replay', '--receiver', MODULE, 'evt_unknown'], run);
      expect(unknown.code).toBe(1);
      expect(unknown.out).toContain('no stored event for evt_unknown');
      expect(unknown.out).not.toContain('namespace');
      // A key of another receiver (two receivers sharing one queue list each other's dead letters).
      const foreign = await hookguard(['replay', '--receiver', MODULE, 'billing:evt_a'], run);
      expect(foreign.code).toBe(1);
      expect(foreign.out).toContain(`no stored event for billing:evt_a (a key of the namespace 'billing'? This receiver's namespace is '${run}'`);
      const usage = await hookguard(['replay'], run);
      expect(usage.code).toBe(2);
      expect(usage.out).toContain('--receiver <module> is required');
    } finally {
      await worker.close();
      await queue.close();
      await deleteRedisKeys(client, `${run}:*`, `bull:${run}-q:*`);
    }
  });
});

// Node from 23 on may strip the types itself (process.features.typescript), and load the module.
const nodeLoadsTypeScript = Boolean((process.features as { typescript?: unknown }).typescript);
it.skipIf(nodeLoadsTypeScript)('says to run a TypeScript receiver module through tsx when node cannot load it', async () => {
  const compiled = fileURLToPath(new URL('../../packages/core/dist/cli/main.js', import.meta.url));
  const result = await new Promise<{ code: number | null; out: string }>((resolve) => {
    const child = spawn(process.execPath, [compiled, 'dead-letters', '--receiver', MODULE], { cwd: ROOT });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('exit', (code) => resolve({ code, out }));
  });
  expect(result.code).toBe(1);
  expect(result.out).toContain('is TypeScript, which node does not load by itself: run the command through tsx');
});

describe('the hookguard command against a Redis that never answers', () => {
  it('fails after --timeout-ms with a message saying what to check, instead of waiting forever', { timeout: 30_000 }, async () => {
    // Takes connections and never answers, as a Redis stopped with SIGSTOP does.
    const sockets = new Set<Socket>();
    const frozen = createServer((socket) => {
      sockets.add(socket.on('error', () => undefined));
    });
    await new Promise<void>((resolve) => frozen.listen(0, '127.0.0.1', resolve));
    try {
      const port = String((frozen.address() as AddressInfo).port);
      const listed = await hookguard(['dead-letters', '--receiver', MODULE, '--timeout-ms', '500'], 'frozen', { HOOKGUARD_TEST_REDIS_PORT: port });
      expect(listed.code).toBe(1);
      expect(listed.out).toMatch(/The bullmq queue did not answer within 500 ms: check that its Redis or PostgreSQL is reachable/);
      const replayed = await hookguard(['replay', '--receiver', MODULE, '--timeout-ms', '500', 'evt_1'], 'frozen', { HOOKGUARD_TEST_REDIS_PORT: port });
      expect(replayed.code).toBe(1);
      expect(replayed.out).toMatch(/did not answer within 500 ms/);
      expect((await hookguard(['dead-letters', '--receiver', MODULE, '--timeout-ms', 'soon'], 'frozen')).code).toBe(2);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => frozen.close(() => resolve()));
    }
  });
});
