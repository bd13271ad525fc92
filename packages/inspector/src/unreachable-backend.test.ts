// The inspector's pages while the queue's Redis takes connections and never answers (frozen, as a
// Redis stopped with SIGSTOP is): they answer 503 after readTimeoutMs instead of hanging, on a real
// BullMQ queue whose connection waits for an answer as long as it must.
import { BullMQQueue } from '@hookguard/bullmq';
import { MemoryDeliveryLog, createReceiver, standardWebhooks, type LogFields } from '@hookguard/core';
import { Redis } from 'ioredis';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createInspector } from './create-inspector.js';
import { CsrfTokens } from './csrf.js';
import { SECRET } from './inspector.fixtures.js';

const sockets = new Set<Socket>();
const frozen = createServer((socket) => {
  sockets.add(socket.on('error', () => undefined));
});
let connection: Redis;

beforeAll(async () => {
  await new Promise<void>((resolve) => frozen.listen(0, '127.0.0.1', resolve));
  connection = new Redis({ host: '127.0.0.1', port: (frozen.address() as AddressInfo).port, maxRetriesPerRequest: null });
  connection.on('error', () => undefined);
});

afterAll(async () => {
  connection.disconnect();
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => frozen.close(() => resolve()));
});

function frozenReceiver(): { receiver: ReturnType<typeof createReceiver>; warnings: { fields: LogFields; message: string }[] } {
  const warnings: { fields: LogFields; message: string }[] = [];
  const receiver = createReceiver({
    verifier: standardWebhooks({ secret: SECRET }),
    deliveryLog: new MemoryDeliveryLog(),
    queue: new BullMQQueue({ connection, name: 'frozen' }),
    namespace: 'mail',
    logger: { warn: (fields, message) => void warnings.push({ fields, message }), error: () => undefined },
  });
  return { receiver, warnings };
}

it('answers 503 after readTimeoutMs when the queue never answers, and says so in the logs', { timeout: 10_000 }, async () => {
  const { receiver, warnings } = frozenReceiver();
  const inspector = createInspector({ receiver, authorize: () => true, readTimeoutMs: 300 });
  // Before, this never answered: BullMQ's connection waits for Redis as long as it takes.
  const page = await inspector(new Request('http://app.test/hookguard/dead-letters'));
  expect(page.status).toBe(503);
  expect(page.headers.get('retry-after')).toBe('5');
  expect(await page.text()).toMatch(/did not answer within 300 ms/);
  expect(warnings).toEqual([{ fields: expect.objectContaining({ code: 'ERR_HOOKGUARD_STORE_UNAVAILABLE', path: '/hookguard/dead-letters' }), message: expect.stringMatching(/waited 300 ms/) }]);
  // The deliveries page reads only the in-process log: it is not held up.
  expect((await inspector(new Request('http://app.test/hookguard/'))).status).toBe(200);
});

it('answers a replay 503 after readTimeoutMs when the queue never answers, saying what was replayed', { timeout: 10_000 }, async () => {
  const { receiver, warnings } = frozenReceiver();
  const csrfSecret = 'replay-test-secret';
  const inspector = createInspector({ receiver, authorize: () => true, readTimeoutMs: 300, csrfSecret });
  const token = await new CsrfTokens(csrfSecret).issue();
  const replay = (body: string): Promise<Response> =>
    inspector(
      new Request('http://app.test/hookguard/replay', {
        method: 'POST',
        body: `${body}&csrf=${token}`,
        headers: { cookie: `hookguard_csrf=${token}`, 'content-type': 'application/x-www-form-urlencoded' },
      }),
    );
  // Before, both never answered: the replay waited on the queue as long as it took.
  for (const body of ['key=mail%3Aevt_1&key=mail%3Aevt_2', 'all=1']) {
    const answer = await replay(body);
    expect(answer.status).toBe(503);
    expect(answer.headers.get('retry-after')).toBe('5');
    expect(await answer.text()).toMatch(/did not answer within 300 ms: 0 of the events were replayed/);
  }
  expect(warnings).toEqual([
    { fields: expect.objectContaining({ code: 'ERR_HOOKGUARD_STORE_UNAVAILABLE', path: '/hookguard/replay' }), message: expect.stringMatching(/waited 300 ms/) },
    { fields: expect.objectContaining({ code: 'ERR_HOOKGUARD_STORE_UNAVAILABLE', path: '/hookguard/replay' }), message: expect.stringMatching(/waited 300 ms/) },
  ]);
});
