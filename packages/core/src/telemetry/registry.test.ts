import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { createReceiver } from '../receiver/create-receiver.js';
import { silentLogger } from '../logging/logger.js';
import { standardWebhooks } from '../verifiers/standard-webhooks.js';
import type { DeliveryRecord, TelemetryRecord, TelemetrySubscriber } from './records.js';
import { TELEMETRY_REGISTRY_KEY, injectTraceContext, subscribeTelemetry, telemetryActive, type TelemetryRegistry } from './registry.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

function receiverWithHandler(calls: string[], options: { throws?: boolean } = {}) {
  const receiver = createReceiver({ verifier: standardWebhooks({ secret: SECRET }), logger: silentLogger });
  receiver.on('message.received', function record(event) {
    calls.push(event.id);
    if (options.throws === true) throw new TypeError('refused');
  });
  return receiver;
}

/** A delivery signed by the Standard Webhooks SDK. */
async function delivery(id: string, secret = SECRET): Promise<{ rawBody: string; headers: Record<string, string> }> {
  const rawBody = JSON.stringify({ type: 'message.received', data: {} });
  const now = new Date();
  const headers = { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': new Webhook(secret).sign(id, now, rawBody) };
  return { rawBody, headers };
}

/** A subscriber that records what it saw, in the order runs started and ended. */
function recorder(): TelemetrySubscriber & { seen: string[]; records: TelemetryRecord[] } {
  const seen: string[] = [];
  const records: TelemetryRecord[] = [];
  return {
    seen,
    records,
    async trace(record, run) {
      records.push(record);
      const label = record.kind === 'store' ? `store:${record.operation}` : record.kind === 'handler' ? `handler:${record.pattern}:${record.name}` : record.kind;
      seen.push(`start ${label}`);
      try {
        return await run();
      } finally {
        seen.push(`end ${label}`);
      }
    },
  };
}

describe('the telemetry registry', () => {
  it('is shared through globalThis under a Symbol.for key, so every copy of the core publishes to one list', () => {
    const registry = (globalThis as { [TELEMETRY_REGISTRY_KEY]?: TelemetryRegistry })[Symbol.for('hookguard.telemetry.v1') as typeof TELEMETRY_REGISTRY_KEY];
    expect(registry?.version).toBe(1);
    const subscriber = recorder();
    const unsubscribe = subscribeTelemetry(subscriber);
    expect(registry?.subscribers).toContain(subscriber);
    expect(telemetryActive()).toBe(true);
    unsubscribe();
    expect(registry?.subscribers).not.toContain(subscriber);
    expect(telemetryActive()).toBe(false);
  });

  it('publishes a delivery, its store calls and its handler, nested, with the report set before the answer', async () => {
    const subscriber = recorder();
    // Joined the way another copy of the core, or @hookguard/otel, joins: straight into the global registry.
    const registry = (globalThis as { [TELEMETRY_REGISTRY_KEY]?: TelemetryRegistry })[TELEMETRY_REGISTRY_KEY]!;
    registry.subscribers = [...registry.subscribers, subscriber];
    try {
      const calls: string[] = [];
      const result = await receiverWithHandler(calls).receive(await delivery('evt_1'));
      expect(result.outcome).toBe('processed');
      expect(calls).toEqual(['evt_1']);
      expect(subscriber.seen).toEqual([
        'start delivery',
        'start store:claim',
        'end store:claim',
        'start handler:message.received:record',
        'end handler:message.received:record',
        'start store:complete',
        'end store:complete',
        'end delivery',
      ]);
      const record = subscriber.records[0] as DeliveryRecord;
      expect(record).toMatchObject({ kind: 'delivery', namespace: 'standard-webhooks', system: 'standard-webhooks', store: 'memory', mode: 'inline', verificationFailed: false });
      expect(record.report).toMatchObject({ outcome: 'processed', status: 200, id: 'evt_1', type: 'message.received', attempt: 1 });
    } finally {
      registry.subscribers = registry.subscribers.filter((other) => other !== subscriber);
    }
  });

  it('marks a delivery the verifier refused, and runs no store call or handler for it', async () => {
    const subscriber = recorder();
    const unsubscribe = subscribeTelemetry(subscriber);
    try {
      const result = await receiverWithHandler([]).receive(await delivery('evt_2', 'whsec_bm90IHRoZSBlbmRwb2ludCdzIHNlY3JldCBhdCBhbGw='));
      expect(result.status).toBe(401);
      expect(subscriber.seen).toEqual(['start delivery', 'end delivery']);
      expect(subscriber.records[0]).toMatchObject({ verificationFailed: true, mode: undefined, report: { outcome: 'rejected', status: 401 } });
    } finally {
      unsubscribe();
    }
  });

  it('runs every handler exactly once whatever a subscriber does: one that throws is skipped, one that runs twice gets the first run', async () => {
    const throwing: TelemetrySubscriber = {
      trace() {
        throw new Error('a broken subscriber');
      },
    };
    const twice: TelemetrySubscriber = {
      async trace(_record, run) {
        await run();
        return run();
      },
    };
    const unsubscribeThrowing = subscribeTelemetry(throwing);
    const unsubscribeTwice = subscribeTelemetry(twice);
    try {
      const calls: string[] = [];
      const failing: string[] = [];
      expect((await receiverWithHandler(calls).receive(await delivery('evt_3'))).outcome).toBe('processed');
      expect(calls).toEqual(['evt_3']);
      expect((await receiverWithHandler(failing, { throws: true }).receive(await delivery('evt_4'))).status).toBe(500);
      expect(failing).toEqual(['evt_4']);
    } finally {
      unsubscribeThrowing();
      unsubscribeTwice();
    }
  });

  it('injects a trace context only when a subscriber writes one, and survives a subscriber that throws', () => {
    expect(injectTraceContext()).toBeUndefined();
    const unsubscribeBroken = subscribeTelemetry({ trace: (_record, run) => run(), inject: () => { throw new Error('broken'); } });
    const unsubscribe = subscribeTelemetry({ trace: (_record, run) => run(), inject: (carrier) => void (carrier['traceparent'] = '00-abc-def-01') });
    try {
      expect(injectTraceContext()).toEqual({ traceparent: '00-abc-def-01' });
    } finally {
      unsubscribe();
      unsubscribeBroken();
    }
    expect(injectTraceContext()).toBeUndefined();
  });
});

describe('a sleeping subscriber', () => {
  it('gets no record while it sleeps, and every record once it wakes', async () => {
    let asleep = true;
    const subscriber = { ...recorder(), sleeping: () => asleep };
    const unsubscribe = subscribeTelemetry(subscriber);
    try {
      expect(telemetryActive()).toBe(false);
      const calls: string[] = [];
      const receiver = receiverWithHandler(calls);
      expect((await receiver.receive(await delivery('evt_asleep'))).outcome).toBe('processed');
      expect(subscriber.records).toEqual([]);
      asleep = false;
      expect(telemetryActive()).toBe(true);
      expect((await receiver.receive(await delivery('evt_awake'))).outcome).toBe('processed');
      expect(subscriber.records.map((record) => record.kind)).toEqual(['delivery', 'store', 'handler', 'store']);
      expect(calls).toEqual(['evt_asleep', 'evt_awake']);
    } finally {
      unsubscribe();
    }
  });
});
