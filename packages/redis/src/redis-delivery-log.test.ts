import { describeDeliveryLogContract } from '@hookguard/core/testing/contracts';
import type { DeliveryLogEntry, Logger } from '@hookguard/core';
import { Redis } from 'ioredis';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisDeliveryLog } from './redis-delivery-log.js';

const client = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });
const run = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
let sequence = 0;

afterAll(async () => {
  await client.quit();
});

/** Deletes every key under a test's own prefix (never the whole database: Redis is shared). */
async function dropPrefix(prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) await client.del(...keys);
  } while (cursor !== '0');
}

for (const payloads of [false, true]) {
  describeDeliveryLogContract(`RedisDeliveryLog${payloads ? ' with payloads' : ''}`, {
    setup: () => {
      const prefix = `hg-test-log-${run}-${++sequence}:`;
      return { open: ({ capacity }) => new RedisDeliveryLog({ client, prefix, maxLength: capacity, payloads }), teardown: () => dropPrefix(prefix) };
    },
    capacitySlack: 200,
  });
}

const entry: DeliveryLogEntry = {
  at: Date.now(), namespace: 'mail', source: 'receive', id: 'evt_1', type: 'message.received', key: 'mail:evt_1',
  outcome: 'processed', status: 200, attempt: 1, durationMs: 2, errorCode: null, errorMessage: null, duplicate: false,
};

describe('RedisDeliveryLog', () => {
  it('stores payloads redacted, never the secret values', async () => {
    const prefix = `hg-test-log-${run}-redact:`;
    const log = new RedisDeliveryLog({ client, prefix, payloads: true });
    log.record({ ...entry, payload: { data: { password: 'hunter2', to: 'ada@example.com', subject: 'Hi' } } });
    await log.flush();
    const raw = await client.xrange(`${prefix}{deliveries}`, '-', '+');
    expect(JSON.stringify(raw)).not.toMatch(/hunter2|ada@example\.com/);
    expect((await log.list()).records[0]?.payload).toEqual({ data: { password: '[redacted]', to: '[redacted]', subject: 'Hi' } });
    await dropPrefix(prefix);
  });

  it('never throws from record() while Redis is unreachable, and logs it once', async () => {
    const errors: string[] = [];
    const logger: Logger = { warn: () => undefined, error: (_fields, message) => void errors.push(message) };
    const down = new Redis({ host: '127.0.0.1', port: 1, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false });
    const log = new RedisDeliveryLog({ client: down, prefix: `hg-test-log-${run}-down:`, logger });
    for (let index = 0; index < 5; index++) {
      expect(() => log.record(entry)).not.toThrow();
      await log.flush();
    }
    expect(errors).toEqual(['RedisDeliveryLog: writing the delivery log failed; deliveries go on, their records are dropped until it works again']);
    down.disconnect();
  });

  it('gives up flush() after its timeoutMs while Redis accepts the connection but never answers (frozen), saying how many records were left', async () => {
    // A server that takes the connection and never answers, as a Redis stopped with SIGSTOP does.
    const sockets = new Set<Socket>();
    const frozen = createServer((socket) => {
      sockets.add(socket.on('error', () => undefined));
    });
    await new Promise<void>((resolve) => frozen.listen(0, '127.0.0.1', resolve));
    const warnings: { fields: Record<string, unknown>; message: string }[] = [];
    const logger: Logger = { warn: (fields, message) => void warnings.push({ fields, message }), error: () => undefined };
    const stuck = new Redis({ host: '127.0.0.1', port: (frozen.address() as AddressInfo).port });
    stuck.on('error', () => undefined);
    try {
      const log = new RedisDeliveryLog({ client: stuck, prefix: `hg-test-log-${run}-frozen:`, logger });
      for (let index = 0; index < 3; index++) log.record(entry);
      // Before, this never settled: a shutdown that flushes hung until Redis came back.
      await log.flush({ timeoutMs: 300 });
      expect(warnings).toEqual([
        { fields: expect.objectContaining({ code: 'ERR_HOOKGUARD_STORE_UNAVAILABLE', unwritten: 3 }), message: expect.stringMatching(/RedisDeliveryLog: flush\(\) gave up after 300 ms/) },
      ]);
    } finally {
      stuck.disconnect();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => frozen.close(() => resolve()));
    }
  });
});
