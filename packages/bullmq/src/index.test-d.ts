// Compile-time checks (tsc only): BullMQQueue is a WebhookQueue and takes an ioredis client.
import type { WebhookQueue } from '@hookguard/core';
import type { Redis } from 'ioredis';
import { BullMQQueue } from './index.js';

declare const connection: Redis;

export const queue: WebhookQueue = new BullMQQueue({ connection, name: 'webhooks', retention: { completedMs: 86_400_000 } });

// @ts-expect-error the connection is required
export const missing = new BullMQQueue({ name: 'webhooks' });

// @ts-expect-error retention is in milliseconds, a number
export const wrongRetention = new BullMQQueue({ connection, retention: { completedMs: '1 day' } });
