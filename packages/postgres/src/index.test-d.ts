// Compile-time checks (tsc only): loading @hookguard/postgres types ctx.db of transactional handlers.
import type { Receiver, TransactionClient } from '@hookguard/core';
import type { PoolClient } from 'pg';
import './index.js';

declare const receiver: Receiver;

receiver.on(
  'order.paid',
  async (event, ctx) => {
    const client: PoolClient = ctx.db;
    await client.query('INSERT INTO orders (id) VALUES ($1)', [event.id]);
  },
  { transaction: true },
);

// @ts-expect-error the transaction client is a PoolClient, not anything
export const notAClient: TransactionClient = 1;
