// A worker starting on a PostgreSQL that takes connections and never answers (stalled, or behind a
// dead proxy): pg-boss's start waits on the pool as long as it takes, and nothing reports an error.
import type { QueueWorker } from '@hookguard/core';
import pg from 'pg';
import { expect, it } from 'vitest';
import { expectStartSaysItWaits, startSilentServer, warningsKept } from '../../../test/support/stalled-start.js';
import { PgBossQueue } from './pg-boss-queue.js';

it('says every enqueueTimeoutMs that a starting worker still waits for PostgreSQL', async () => {
  const silent = await startSilentServer();
  const pool = new pg.Pool({ host: '127.0.0.1', port: silent.port, user: 'postgres', database: 'test', max: 2 });
  pool.on('error', () => undefined);
  const { logger, warnings } = warningsKept();
  const queue = new PgBossQueue({ pool, schema: 'hg_pgboss_never_created', name: 'stalled', enqueueTimeoutMs: 300, logger });
  let working: Promise<QueueWorker> | undefined;
  try {
    // Before, work() stayed pending without a word.
    const retry = { attempts: 1, minDelayMs: 50, maxDelayMs: 100 };
    ({ working } = await expectStartSaysItWaits(() => queue.work(async () => undefined, { concurrency: 1, retry }), warnings, { queue: 'pg-boss', backend: 'PostgreSQL' }));
  } finally {
    await silent.close();
  }
  // The connections cut: the start fails, and work() with it, and the warnings stop.
  await expect(working).rejects.toThrow();
  const count = warnings.length;
  await new Promise((resolve) => setTimeout(resolve, 700));
  expect(warnings).toHaveLength(count);
  await queue.close();
  await pool.end();
});
