import { describe, expect, it } from 'vitest';
import { createReceiver } from '../receiver/create-receiver.js';
import { SECRET, captureLogs, manualClock, signed } from '../receiver/receiver.fixtures.js';
import { standardWebhooks } from '../verifiers/index.js';
import type { DeliveryLog } from './delivery-log.js';
import { MemoryDeliveryLog } from './memory-delivery-log.js';

describe('receiver with a delivery log', () => {
  it('records every delivery: processed, duplicate, failed with its error, rejected, ignored', async () => {
    const clock = manualClock(Date.now());
    const { logger } = captureLogs();
    const log = new MemoryDeliveryLog({ payloads: true });
    const receiver = createReceiver({ verifier: standardWebhooks({ secret: SECRET }), deliveryLog: log, now: clock.now, logger, namespace: 'mail' });
    receiver.on('message.received', async (event) => {
      if ((event.payload as { data: { fail?: boolean } }).data.fail === true) throw new Error('mailbox <full>');
    });
    await receiver.receive(signed('evt_1', 'message.received', clock.now(), { to: 'ada@example.com' }));
    await receiver.receive(signed('evt_1', 'message.received', clock.now(), { to: 'ada@example.com' }));
    await receiver.receive(signed('evt_2', 'message.received', clock.now(), { fail: true }));
    const forged = signed('evt_3', 'message.received', clock.now());
    await receiver.receive({ rawBody: forged.rawBody.replace('1', '2'), headers: forged.headers });
    await receiver.receive(signed('evt_4', 'nobody.listens', clock.now()));

    const { records } = await log.list();
    expect(records.map((record) => [record.id, record.outcome, record.status, record.duplicate])).toEqual([
      ['evt_4', 'ignored', 200, false],
      [null, 'rejected', 401, false],
      ['evt_2', 'failed', 500, false],
      ['evt_1', 'duplicate', 200, true],
      ['evt_1', 'processed', 200, false],
    ]);
    const failed = records[2]!;
    expect(failed).toMatchObject({ namespace: 'mail', source: 'receive', type: 'message.received', key: 'mail:evt_2', attempt: 1, errorCode: 'ERR_HOOKGUARD_HANDLER_FAILED' });
    expect(failed.errorMessage).toContain('mailbox <full>');
    expect(records[4]?.payload).toMatchObject({ type: 'message.received', data: { to: 'ada@example.com' } });
    expect(records[1]?.errorCode).toBe('ERR_HOOKGUARD_SIGNATURE_MISMATCH');
    expect(await log.counts(clock.now() - 3_600_000)).toEqual({ ignored: 1, rejected: 1, failed: 1, duplicate: 1, processed: 1 });
  });

  it('answers every delivery when the log throws, and logs that once', async () => {
    const { logger, lines } = captureLogs();
    const broken: DeliveryLog = Object.assign(new MemoryDeliveryLog(), {
      record: () => {
        throw new Error('disk full');
      },
    });
    const receiver = createReceiver({ verifier: standardWebhooks({ secret: SECRET }), deliveryLog: broken, logger });
    receiver.on('*', () => undefined);
    const results = [];
    for (let index = 0; index < 3; index++) results.push(await receiver.receive(signed(`evt_${index}`, 'a.b', Date.now())));
    expect(results.map((result) => result.status)).toEqual([200, 200, 200]);
    expect(lines.filter((line) => line.level === 'error' && /delivery log threw/.test(line.message))).toHaveLength(1);
  });

  it('refuses a deliveryLog that is not one, saying which method is missing', () => {
    expect(() => createReceiver({ verifier: standardWebhooks({ secret: SECRET }), deliveryLog: { record: () => undefined } as never })).toThrow(
      /deliveryLog has no list\(\) method/,
    );
  });
});

describe('error messages in the delivery log', () => {
  it('keeps a handler error that quotes the payload with its emails and secret-looking values masked', async () => {
    const clock = manualClock(Date.now());
    const log = new MemoryDeliveryLog();
    const receiver = createReceiver({ verifier: standardWebhooks({ secret: SECRET }), deliveryLog: log, now: clock.now, logger: captureLogs().logger });
    receiver.on('message.received', (event) => {
      throw new Error(`could not reply to ${JSON.stringify((event.payload as { data: unknown }).data)}`);
    });
    await receiver.receive(signed('evt_1', 'message.received', clock.now(), { from: 'jane.doe@example.com', api_token: 'tok_SECRET_VALUE_123' }));
    const [record] = (await log.list()).records;
    expect(record?.errorMessage).toBe('Error: could not reply to {"from":"[redacted]","api_token":"[redacted]"}');
  });
});
