import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DeliveryLog, DeliveryLogEntry } from './delivery-log.js';

/** One delivery log under test: a fresh, empty log per test. */
export type DeliveryLogHarness = {
  /** Opens an empty log keeping at least `capacity` records. */
  open(options: { capacity: number }): DeliveryLog | Promise<DeliveryLog>;
  /** Called after each test; drop what the harness created. */
  teardown?(): Promise<void>;
};

/** Options for {@link describeDeliveryLogContract}. */
export type DeliveryLogContractOptions = {
  setup(): Promise<DeliveryLogHarness> | DeliveryLogHarness;
  /**
   * How many records past `capacity` the log may keep (Redis trims a stream with `MAXLEN ~` in
   * whole nodes of about 100 entries).
   * @default 0
   */
  capacitySlack?: number;
};

const T0 = Date.UTC(2026, 0, 1, 12);

function entry(index: number, overrides: Partial<DeliveryLogEntry> = {}): DeliveryLogEntry {
  return {
    at: T0 + index * 1_000,
    namespace: 'contract',
    source: 'receive',
    id: `evt_${index}`,
    type: index % 2 === 0 ? 'message.received' : 'invoice.paid',
    key: `contract:evt_${index}`,
    outcome: index % 3 === 0 ? 'failed' : 'processed',
    status: index % 3 === 0 ? 500 : 200,
    attempt: 1,
    durationMs: 3.5,
    errorCode: index % 3 === 0 ? 'ERR_HOOKGUARD_HANDLER_FAILED' : null,
    errorMessage: index % 3 === 0 ? 'Error: boom <b>' : null,
    duplicate: false,
    ...overrides,
  };
}

/**
 * The shared suite every {@link DeliveryLog} passes: newest first, filters, pagination without
 * repeats or gaps, bounded size, counts since a time, lookup by `seq`.
 *
 * @example
 * ```ts
 * import { describeDeliveryLogContract } from '@hookguard/core/testing/contracts';
 *
 * describeDeliveryLogContract('MemoryDeliveryLog', { setup: () => ({ open: ({ capacity }) => new MemoryDeliveryLog({ capacity }) }) });
 * ```
 */
export function describeDeliveryLogContract(name: string, options: DeliveryLogContractOptions): void {
  describe(`${name} (delivery log contract)`, () => {
    let harness: DeliveryLogHarness;
    beforeEach(async () => {
      harness = await options.setup();
    });
    afterEach(async () => {
      await harness.teardown?.();
    });

    async function filled(count: number, capacity = 1_000): Promise<DeliveryLog> {
      const log = await harness.open({ capacity });
      for (let index = 1; index <= count; index++) log.record(entry(index));
      await log.flush();
      return log;
    }

    it('lists records newest first, with every field as recorded', async () => {
      const log = await filled(3);
      const { records, next } = await log.list();
      expect(records.map((record) => record.id)).toEqual(['evt_3', 'evt_2', 'evt_1']);
      expect(next).toBeUndefined();
      const { seq, ...third } = records[0]!;
      expect(typeof seq).toBe('string');
      expect(third).toEqual(entry(3));
    });

    it('filters by outcome, exact type, type prefix and id or key', async () => {
      const log = await filled(12);
      const failed = await log.list({ outcome: 'failed' });
      expect(failed.records.map((record) => record.id)).toEqual(['evt_12', 'evt_9', 'evt_6', 'evt_3']);
      const paid = await log.list({ type: 'invoice.paid', outcome: 'processed' });
      expect(paid.records.map((record) => record.id)).toEqual(['evt_11', 'evt_7', 'evt_5', 'evt_1']);
      const messages = await log.list({ type: 'message.*' });
      expect(messages.records).toHaveLength(6);
      expect((await log.list({ id: 'evt_4' })).records.map((record) => record.id)).toEqual(['evt_4']);
      expect((await log.list({ id: 'contract:evt_5' })).records.map((record) => record.id)).toEqual(['evt_5']);
      expect((await log.list({ namespace: 'other' })).records).toEqual([]);
    });

    it('pages through every record once with the next cursor, filtered or not', async () => {
      const log = await filled(25);
      const seen: string[] = [];
      let before: string | undefined;
      do {
        const page = await log.list({ limit: 7, ...(before === undefined ? {} : { before }) });
        expect(page.records.length).toBeLessThanOrEqual(7);
        seen.push(...page.records.map((record) => record.id ?? ''));
        before = page.next;
      } while (before !== undefined);
      expect(seen).toEqual(Array.from({ length: 25 }, (_, index) => `evt_${25 - index}`));
      const firstFailed = await log.list({ outcome: 'failed', limit: 3 });
      expect(firstFailed.records.map((record) => record.id)).toEqual(['evt_24', 'evt_21', 'evt_18']);
      const secondFailed = await log.list({ outcome: 'failed', limit: 3, before: firstFailed.next! });
      expect(secondFailed.records.map((record) => record.id)).toEqual(['evt_15', 'evt_12', 'evt_9']);
    });

    it('keeps the newest records and at most its capacity (plus the backend slack)', async () => {
      const capacity = 50;
      const log = await harness.open({ capacity });
      for (let index = 1; index <= 400; index++) log.record(entry(index));
      await log.flush();
      const all = [];
      let before: string | undefined;
      do {
        const page = await log.list({ limit: 1_000, ...(before === undefined ? {} : { before }) });
        all.push(...page.records);
        before = page.next;
      } while (before !== undefined);
      expect(all.length).toBeGreaterThanOrEqual(capacity);
      expect(all.length).toBeLessThanOrEqual(capacity + (options.capacitySlack ?? 0));
      expect(all.slice(0, capacity).map((record) => record.id)).toEqual(Array.from({ length: capacity }, (_, index) => `evt_${400 - index}`));
    });

    it('counts records per outcome at or after a time', async () => {
      const log = await harness.open({ capacity: 1_000 });
      log.record(entry(1, { at: T0 - 2 * 3_600_000, outcome: 'failed' }));
      for (let index = 2; index <= 7; index++) log.record(entry(index));
      await log.flush();
      expect(await log.counts(T0 - 3_600_000)).toEqual({ processed: 4, failed: 2 });
      expect(await log.counts(T0 - 3_600_000, { namespace: 'other' })).toEqual({});
    });

    it('finds a record by its seq, and nothing for an unknown one', async () => {
      const log = await filled(5);
      const { records } = await log.list({ id: 'evt_2' });
      expect(await log.get(records[0]!.seq)).toEqual(records[0]);
      expect(await log.get('999999999')).toBeUndefined();
      expect(await log.get('not a seq')).toBeUndefined();
    });

    it('keeps payloads when it keeps them, and none otherwise', async () => {
      const log = await harness.open({ capacity: 10 });
      log.record(entry(1, { payload: { data: { note: 'hi' } } }));
      await log.flush();
      const [record] = (await log.list()).records;
      if (log.payloads) expect(record?.payload).toEqual({ data: { note: 'hi' } });
      else expect(record?.payload).toBeUndefined();
    });
  });
}
