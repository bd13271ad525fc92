import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { BullMQQueue } from '@hookguard/bullmq';
import { createReceiver, standardWebhooks, type WebhookEvent } from '@hookguard/core';
import { RedisStore } from '@hookguard/redis';
import { Redis } from 'ioredis';
import { afterAll, expect, it } from 'vitest';
import { ROOT } from '../cross-process/app-process.js';
import { deleteRedisKeys } from '../support/redis-keys.js';
import { REDIS, describeWithRedis } from '../support/services.js';
import { SECRET, eventually, signedDelivery } from './queued-fixtures.js';

const CLI = fileURLToPath(new URL('../../packages/core/src/cli/main.ts', import.meta.url));
const MODULE = fileURLToPath(new URL('./cli-receiver.ts', import.meta.url));
const client = new Redis({ ...REDIS, maxRetriesPerRequest: 1 });
afterAll(() => client.disconnect());

function hookguard(args: string[], run: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@hookguard/source', CLI, ...args], {
      cwd: ROOT,
      env: { ...process.env, HOOKGUARD_TEST_RUN: run },
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
      expect(listed.out).toContain('evt_a\torder.created\t2 attempts');
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
