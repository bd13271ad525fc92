// Why queued mode exists, measured: a sender that posts each event once and never retries (as
// GitHub does), a 10 s timeout, handlers that fail their first two attempts for a third of the
// events and take 4 s for a tenth. Inline mode against queued mode (BullMQ), same events, same
// handlers, on the machine's Redis. Prints events lost and acknowledgement times.
// Run: node_modules/.bin/tsx --conditions=@hookguard/source bench/src/queued/never-retrying-sender.ts
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BullMQQueue } from '@hookguard/bullmq';
import { createReceiver, standardWebhooks, type QueueWorker, type Receiver } from '@hookguard/core';
import { webhookMiddleware } from '@hookguard/node';
import { RedisStore } from '@hookguard/redis';
import { Redis } from 'ioredis';
import { Webhook } from 'standardwebhooks';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const EVENTS = 500;
const signer = new Webhook(SECRET);
const silent = { warn: () => undefined, error: () => undefined };

async function scenario(mode: 'inline' | 'queued'): Promise<string> {
  const run = `hgnr-${randomUUID().slice(0, 6)}`;
  const client = new Redis({ host: '127.0.0.1', port: 6379 });
  const queue = mode === 'queued' ? new BullMQQueue({ connection: client, name: `${run}-q` }) : undefined;
  const receiver: Receiver = createReceiver({
    verifier: standardWebhooks({ secret: SECRET }),
    store: new RedisStore({ client, prefix: `${run}:` }),
    namespace: run,
    logger: silent,
    retry: { attempts: 10, minDelayMs: 100, maxDelayMs: 2_000 },
    ...(queue === undefined ? {} : { queue }),
  });
  const attempts = new Map<string, number>();
  const succeeded = new Set<string>();
  receiver.on('*', async (event) => {
    const n = Number(event.id.split('_')[1]);
    const attempt = (attempts.get(event.id) ?? 0) + 1;
    attempts.set(event.id, attempt);
    if (n % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 4_000));
    if (n % 3 === 0 && attempt <= 2) throw new Error('transient failure');
    succeeded.add(event.id);
  });
  const worker: QueueWorker | undefined = mode === 'queued' ? await receiver.work({ concurrency: 64 }) : undefined;
  const middleware = webhookMiddleware(receiver, { path: '/webhooks' });
  const server = createServer((req, res) => void middleware(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`;
  const times: number[] = [];
  const failedAnswers: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < EVENTS) {
        const id = `evt_${next++}`;
        const body = JSON.stringify({ type: 'order.created', timestamp: new Date().toISOString(), data: { id } });
        const now = new Date();
        const headers = { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': signer.sign(id, now, body) };
        const started = performance.now();
        try {
          const response = await fetch(url, { method: 'POST', body, headers, signal: AbortSignal.timeout(10_000) });
          await response.arrayBuffer();
          if (response.status >= 300) failedAnswers.push(id);
        } catch {
          failedAnswers.push(id);
        }
        times.push(performance.now() - started);
      }
    }),
  );
  // Give queued retries time to finish (backoff up to 2 s, 4 s handlers).
  const deadline = Date.now() + 60_000;
  while (mode === 'queued' && succeeded.size < EVENTS && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  await worker?.close();
  server.close();
  await queue?.close();
  client.disconnect();
  times.sort((a, b) => a - b);
  const at = (p: number): string => times[Math.min(times.length - 1, Math.floor(p * times.length))]!.toFixed(0);
  return `| ${mode} | ${EVENTS} | ${failedAnswers.length} | ${EVENTS - succeeded.size} | ${at(0.5)} ms | ${at(0.99)} ms | ${times.at(-1)!.toFixed(0)} ms |`;
}

console.log('| mode | events sent once | answered non-2xx or timed out | never handled (lost) | ack p50 | ack p99 | slowest ack |');
console.log('|---|---|---|---|---|---|---|');
console.log(await scenario('inline'));
console.log(await scenario('queued'));
