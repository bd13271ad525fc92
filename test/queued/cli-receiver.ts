// The module `hookguard replay --receiver` loads in replay-cli.test.ts: the same receiver the
// test's app builds, as a user's app module exports it.
import { BullMQQueue } from '@hookguard/bullmq';
import { createReceiver, standardWebhooks } from '@hookguard/core';
import { RedisStore } from '@hookguard/redis';
import { Redis } from 'ioredis';

const run = process.env['HOOKGUARD_TEST_RUN'] ?? 'unset';
// Another port for the test of a Redis that never answers.
const client = new Redis({ host: '127.0.0.1', port: Number(process.env['HOOKGUARD_TEST_REDIS_PORT'] ?? 6379), maxRetriesPerRequest: 1 });
client.on('error', () => undefined);

export const receiver = createReceiver({
  verifier: standardWebhooks({ secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }),
  store: new RedisStore({ client, prefix: `${run}:dedup:` }),
  queue: new BullMQQueue({ connection: client, name: `${run}-q` }),
  namespace: run,
});
