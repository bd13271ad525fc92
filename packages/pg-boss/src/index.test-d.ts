// Compile-time checks (tsc only): PgBossQueue is a WebhookQueue that joins store transactions.
import type { WebhookQueue } from '@hookguard/core';
import type { Pool } from 'pg';
import { PgBossQueue } from './index.js';

declare const pool: Pool;

export const queue: WebhookQueue = new PgBossQueue({ pool, schema: 'jobs', expireInSeconds: 120 });
export const joins: ((store: Parameters<NonNullable<WebhookQueue['joinsTransactionsOf']>>[0]) => boolean) = (store) => new PgBossQueue({ pool }).joinsTransactionsOf(store);

// @ts-expect-error the pool is required
export const missing = new PgBossQueue({ schema: 'jobs' });
