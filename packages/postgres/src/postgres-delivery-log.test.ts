import { describeDeliveryLogContract } from '@hookguard/core/testing/contracts';
import type { DeliveryLogEntry, Logger } from '@hookguard/core';
import { afterAll, expect, it } from 'vitest';
import { PostgresDeliveryLog } from './postgres-delivery-log.js';
import { describeWithPostgres, testPool } from './postgres.fixtures.js';

const pool = testPool('hookguard-test-delivery-log', { max: 4 });
const schemas: string[] = [];
let sequence = 0;
const run = `${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`;

afterAll(async () => {
  for (const schema of schemas) await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pool.end();
});

async function openLog(options: { capacity?: number; payloads?: boolean; retentionMs?: number } = {}): Promise<PostgresDeliveryLog> {
  const schema = `hookguard_test_log_${run}_${++sequence}`;
  schemas.push(schema);
  const log = new PostgresDeliveryLog({ pool, schema, maxRows: options.capacity ?? 1_000, payloads: options.payloads ?? false, pruneIntervalMs: 0, ...(options.retentionMs === undefined ? {} : { retentionMs: options.retentionMs }) });
  await log.migrate();
  return log;
}

for (const payloads of [false, true]) {
  describeDeliveryLogContract(`PostgresDeliveryLog${payloads ? ' with payloads' : ''}`, { setup: () => ({ open: ({ capacity }) => openLog({ capacity, payloads }) }) });
}

const entry: DeliveryLogEntry = {
  at: Date.now(), namespace: 'mail', source: 'receive', id: 'evt_1', type: 'message.received', key: 'mail:evt_1',
  outcome: 'processed', status: 200, attempt: 1, durationMs: 2, errorCode: null, errorMessage: null, duplicate: false,
};

describeWithPostgres('PostgresDeliveryLog', () => {
  it('prune() deletes the records older than retentionMs and keeps the rest', async () => {
    const log = await openLog({ retentionMs: 3_600_000 });
    log.record({ ...entry, id: 'old', at: Date.now() - 2 * 3_600_000 });
    log.record({ ...entry, id: 'new' });
    await log.flush();
    expect(await log.prune()).toBe(1);
    expect((await log.list()).records.map((record) => record.id)).toEqual(['new']);
  });

  it('stores payloads redacted, never the secret values', async () => {
    const log = await openLog({ payloads: true });
    log.record({ ...entry, payload: { data: { password: 'hunter2', to: 'ada@example.com', subject: 'Hi' } } });
    await log.flush();
    const schema = schemas.at(-1)!;
    const { rows } = await pool.query(`SELECT payload::text AS payload FROM "${schema}".hookguard_deliveries`);
    expect(rows[0].payload).not.toMatch(/hunter2|ada@example\.com/);
    expect((await log.list()).records[0]?.payload).toEqual({ data: { password: '[redacted]', to: '[redacted]', subject: 'Hi' } });
  });

  it('migrates twice and from several processes at once', async () => {
    const schema = `hookguard_test_log_${run}_many`;
    schemas.push(schema);
    const logs = Array.from({ length: 3 }, () => new PostgresDeliveryLog({ pool, schema, pruneIntervalMs: 0 }));
    await Promise.all(logs.map((log) => log.migrate()));
    await logs[0]!.migrate();
    logs[1]!.record(entry);
    await logs[1]!.flush();
    expect((await logs[2]!.list()).records).toHaveLength(1);
  });

  it('never throws from record() while the table is missing, and logs it once', async () => {
    const errors: string[] = [];
    const logger: Logger = { warn: () => undefined, error: (_fields, message) => void errors.push(message) };
    const log = new PostgresDeliveryLog({ pool, schema: `hookguard_test_log_${run}_absent`, logger, pruneIntervalMs: 0 });
    for (let index = 0; index < 3; index++) {
      expect(() => log.record(entry)).not.toThrow();
      await log.flush();
    }
    expect(errors).toEqual(['PostgresDeliveryLog: writing the delivery log failed; deliveries go on, their records are dropped until it works again']);
  });
});
