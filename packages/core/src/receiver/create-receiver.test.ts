import { describe, expect, it, vi } from 'vitest';
import { WebhookError } from '../errors/webhook-error.js';
import { JobRun } from '../queue/job-run.js';
import type { JobProcessor, QueueWorkOptions, QueuedEvent, WebhookQueue } from '../queue/webhook-queue.js';
import { once } from '../once/once.js';
import { MemoryStore } from '../store/memory-store.js';
import { standardWebhooks, unsafeNoVerification } from '../verifiers/index.js';
import { createReceiver } from './create-receiver.js';
import { FlakyStore, SECRET, captureLogs, json, manualClock, signed, signedBody, testReceiver, transactionalMemoryStore } from './receiver.fixtures.js';
import type { DeliveryReport, WebhookEvent } from './types.js';

describe('receive(): the status table', () => {
  it('answers 200 {"received":true} and runs the handler once for a valid delivery', async () => {
    const { receiver, clock } = testReceiver();
    const seen: { event: WebhookEvent; attempt: number; header: string | undefined }[] = [];
    receiver.on('message.received', (event, ctx) => {
      seen.push({ event, attempt: ctx.attempt, header: ctx.headers.get('Webhook-Id') });
    });
    const result = await receiver.receive(signed('msg_1', 'message.received', clock.now(), { text: 'hi' }));
    expect(result).toMatchObject({ outcome: 'processed', status: 200, body: '{"received":true}' });
    expect(result.headers['content-type']).toMatch(/^application\/json/);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ attempt: 1, header: 'msg_1', event: { id: 'msg_1', type: 'message.received' } });
    expect(seen[0]?.event.payload).toMatchObject({ data: { text: 'hi' } });
    expect(seen[0]?.event.timestamp?.getTime()).toBe(Math.floor(clock.now() / 1000) * 1000);
  });

  it('answers 200 duplicate without running the handler again for a redelivery', async () => {
    const { receiver, clock } = testReceiver();
    const handler = vi.fn();
    receiver.on('message.received', handler);
    await receiver.receive(signed('msg_1', 'message.received', clock.now()));
    clock.advance(30_000);
    const again = await receiver.receive(signed('msg_1', 'message.received', clock.now()));
    expect(again).toMatchObject({ outcome: 'duplicate', status: 200 });
    expect(json(again.body)).toEqual({ received: true, duplicate: true });
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('answers 409 with Retry-After while another delivery holds the lease, and runs the handler once', async () => {
    const { receiver, clock } = testReceiver({ leaseMs: 20_000 });
    let finish!: () => void;
    const handler = vi.fn(() => new Promise<void>((resolve) => (finish = resolve)));
    receiver.on('message.received', handler);
    const first = receiver.receive(signed('msg_1', 'message.received', clock.now()));
    await vi.waitFor(() => expect(handler).toHaveBeenCalledTimes(1));
    const second = await receiver.receive(signed('msg_1', 'message.received', clock.now()));
    expect(second).toMatchObject({ outcome: 'in_progress', status: 409 });
    expect(second.headers['retry-after']).toBe('20');
    expect(json(second.body)).toEqual({ error: 'ERR_HOOKGUARD_IN_PROGRESS' });
    finish();
    expect(await first).toMatchObject({ outcome: 'processed', status: 200 });
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('answers 401 to a bad signature before touching the store, so a forged id cannot be marked seen', async () => {
    const store = new FlakyStore();
    const { receiver, clock } = testReceiver({ store });
    const handler = vi.fn();
    receiver.on('*', handler);
    const forged = signed('msg_1', 'message.received', clock.now());
    forged.headers['webhook-signature'] = 'v1,' + Buffer.alloc(32, 7).toString('base64');
    const result = await receiver.receive(forged);
    expect(result).toMatchObject({ outcome: 'rejected', status: 401 });
    expect(json(result.body)).toEqual({ error: 'ERR_HOOKGUARD_SIGNATURE_MISMATCH' });
    expect(store.calls).toEqual([]);
    expect(await receiver.receive(signed('msg_1', 'message.received', clock.now()))).toMatchObject({ outcome: 'processed' });
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('answers 401 to a delivery signed with another secret', async () => {
    const otherSecret = 'whsec_' + Buffer.from('another-secret-entirely-32-bytes').toString('base64');
    const clock = manualClock();
    const { receiver } = testReceiver({ verifier: standardWebhooks({ secret: otherSecret, now: clock.now }) });
    receiver.on('*', () => undefined);
    const result = await receiver.receive(signed('msg_1', 'message.received', clock.now()));
    expect(result.status).toBe(401);
    expect(json(result.body)).toEqual({ error: 'ERR_HOOKGUARD_SIGNATURE_MISMATCH' });
  });

  it.each([
    ['webhook-id', 'ERR_HOOKGUARD_MISSING_HEADER'],
    ['webhook-timestamp', 'ERR_HOOKGUARD_MISSING_HEADER'],
    ['webhook-signature', 'ERR_HOOKGUARD_MISSING_HEADER'],
  ])('answers 400 when the %s header is missing', async (header, code) => {
    const { receiver, clock } = testReceiver();
    const delivery = signed('msg_1', 'message.received', clock.now());
    delete delivery.headers[header];
    const result = await receiver.receive(delivery);
    expect(result.status).toBe(400);
    expect(json(result.body)).toEqual({ error: code });
  });

  it('answers 401 to a timestamp older than the tolerance and to one too far in the future', async () => {
    const { receiver, clock } = testReceiver();
    const old = await receiver.receive(signed('msg_1', 'message.received', clock.now() - 301_000));
    expect(old.status).toBe(401);
    expect(json(old.body)).toEqual({ error: 'ERR_HOOKGUARD_TIMESTAMP_TOO_OLD' });
    const future = await receiver.receive(signed('msg_2', 'message.received', clock.now() + 301_000));
    expect(future.status).toBe(401);
    expect(json(future.body)).toEqual({ error: 'ERR_HOOKGUARD_TIMESTAMP_TOO_NEW' });
  });

  it('answers 400 to an authentic body that is not JSON, and to an empty one', async () => {
    const { receiver, clock } = testReceiver();
    const broken = await receiver.receive(signedBody('msg_1', '{"type":', clock.now()));
    expect(broken.status).toBe(400);
    expect(json(broken.body)).toEqual({ error: 'ERR_HOOKGUARD_INVALID_BODY' });
    const empty = await receiver.receive(signedBody('msg_2', '', clock.now()));
    expect(empty.status).toBe(400);
    expect(json(empty.body)).toEqual({ error: 'ERR_HOOKGUARD_EMPTY_BODY' });
  });

  it('answers 400 to an authentic event without an id', async () => {
    const logs = captureLogs();
    const receiver = createReceiver({ verifier: unsafeNoVerification(), logger: logs.logger });
    receiver.on('*', () => undefined);
    const result = await receiver.receive({ rawBody: '{"type":"a.b"}', headers: {} });
    expect(result.status).toBe(400);
    expect(json(result.body)).toEqual({ error: 'ERR_HOOKGUARD_MISSING_EVENT_ID' });
  });

  it('answers 200 ignored for a type nobody handles, without a store round trip', async () => {
    const store = new FlakyStore();
    const { receiver, clock } = testReceiver({ store });
    receiver.on('message.received', () => undefined);
    const result = await receiver.receive(signed('evt_1', 'domain.verified', clock.now()));
    expect(result).toMatchObject({ outcome: 'ignored', status: 200 });
    expect(json(result.body)).toEqual({ received: true, ignored: true });
    expect(store.calls).toEqual([]);
  });

  it('answers 413 to a body over maxBodyBytes, and to a declared Content-Length over it without reading', async () => {
    const { receiver, clock } = testReceiver({ maxBodyBytes: 100 });
    const big = signed('msg_1', 'message.received', clock.now(), { text: 'x'.repeat(200) });
    const result = await receiver.receive(big);
    expect(result.status).toBe(413);
    expect(json(result.body)).toEqual({ error: 'ERR_HOOKGUARD_BODY_TOO_LARGE' });
    let pulled = 0;
    const stream = (async function* () {
      pulled++;
      yield new Uint8Array(10);
    })();
    const declared = await receiver.receive({ rawBody: stream, headers: { ...big.headers, 'content-length': '5000000' } });
    expect(declared.status).toBe(413);
    expect(pulled).toBe(0);
  });

  it('refuses an endless streamed body at maxBodyBytes without buffering it', async () => {
    const { receiver } = testReceiver({ maxBodyBytes: 64 * 1024 });
    let produced = 0;
    const endless = (async function* () {
      for (;;) {
        produced += 16 * 1024;
        yield new Uint8Array(16 * 1024);
      }
    })();
    const result = await receiver.receive({ rawBody: endless, headers: {} });
    expect(result.status).toBe(413);
    expect(produced).toBeLessThanOrEqual(80 * 1024);
  });

  it('answers 408 when a streamed body does not arrive within bodyTimeoutMs', async () => {
    const { receiver } = testReceiver({ bodyTimeoutMs: 50 });
    const drip = (async function* () {
      yield new TextEncoder().encode('{');
      await new Promise((resolve) => setTimeout(resolve, 5_000));
    })();
    const result = await receiver.receive({ rawBody: drip, headers: {} });
    expect(result.status).toBe(408);
    expect(json(result.body)).toEqual({ error: 'ERR_HOOKGUARD_BODY_TIMEOUT' });
  });

  it('reads a streamed body exactly as the bytes arrived', async () => {
    const { receiver, clock } = testReceiver();
    const handler = vi.fn();
    receiver.on('message.received', handler);
    const delivery = signed('msg_1', 'message.received', clock.now(), { text: 'ünïcødé ✓ 日本' });
    const bytes = new TextEncoder().encode(delivery.rawBody);
    const chunks = (async function* () {
      for (let offset = 0; offset < bytes.length; offset += 7) yield bytes.subarray(offset, offset + 7);
    })();
    expect(await receiver.receive({ rawBody: chunks, headers: delivery.headers })).toMatchObject({ status: 200 });
    expect(handler.mock.calls[0]?.[0].payload).toMatchObject({ data: { text: 'ünïcødé ✓ 日本' } });
  });

  it('answers 500 when a handler throws, releases the claim, and runs again on the retry', async () => {
    const { receiver, clock, logs } = testReceiver();
    const errors: unknown[] = [];
    receiver.onError((error) => void errors.push(error));
    const attempts: number[] = [];
    receiver.on('message.received', (_event, ctx) => {
      attempts.push(ctx.attempt);
      if (ctx.attempt === 1) throw new Error('mail server down');
    });
    const failed = await receiver.receive(signed('msg_1', 'message.received', clock.now()));
    expect(failed).toMatchObject({ outcome: 'failed', status: 500 });
    expect(json(failed.body)).toEqual({ error: 'ERR_HOOKGUARD_HANDLER_FAILED' });
    expect(failed.body).not.toContain('mail server down');
    expect(errors).toHaveLength(1);
    expect(logs.codes('error')).toContain('ERR_HOOKGUARD_HANDLER_FAILED');
    clock.advance(5_000);
    expect(await receiver.receive(signed('msg_1', 'message.received', clock.now()))).toMatchObject({ outcome: 'processed' });
    expect(attempts).toEqual([1, 2]);
  });

  it('answers 503 with Retry-After when the store is down, and processes the redelivery once it is back', async () => {
    const store = new FlakyStore();
    const { receiver, clock } = testReceiver({ store });
    const handler = vi.fn();
    receiver.on('message.received', handler);
    store.down = true;
    const down = await receiver.receive(signed('msg_1', 'message.received', clock.now()));
    expect(down).toMatchObject({ outcome: 'unavailable', status: 503 });
    expect(down.headers['retry-after']).toBe('5');
    expect(json(down.body)).toEqual({ error: 'ERR_HOOKGUARD_STORE_UNAVAILABLE' });
    expect(down.body).not.toContain('ECONNREFUSED');
    expect(handler).not.toHaveBeenCalled();
    store.down = false;
    expect(await receiver.receive(signed('msg_1', 'message.received', clock.now()))).toMatchObject({ outcome: 'processed' });
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it("runs the handlers without dedup when the store is down and onStoreError is 'process', and says so", async () => {
    const store = new FlakyStore();
    const reports: DeliveryReport[] = [];
    const { receiver, clock, logs } = testReceiver({ store, onStoreError: 'process', onDelivery: (report) => void reports.push(report) });
    const handler = vi.fn();
    receiver.on('message.received', handler);
    store.down = true;
    expect(await receiver.receive(signed('msg_1', 'message.received', clock.now()))).toMatchObject({ outcome: 'processed', status: 200 });
    expect(handler).toHaveBeenCalledTimes(1);
    expect(reports[0]).toMatchObject({ dedupSkipped: true, outcome: 'processed' });
    expect(logs.lines.some((line) => line.level === 'warn' && line.message.includes('without dedup'))).toBe(true);
  });

  it('answers a protocol handshake directly, without dedup or handlers', async () => {
    const receiver = createReceiver({
      verifier: { name: 'handshaking', verify: async () => ({ id: undefined, type: undefined, timestamp: undefined, payload: undefined, reply: { challenge: 'abc' } }) },
      logger: captureLogs().logger,
    });
    const handler = vi.fn();
    receiver.on('*', handler);
    const result = await receiver.receive({ rawBody: '{}', headers: {} });
    expect(result).toMatchObject({ outcome: 'handshake', status: 200 });
    expect(json(result.body)).toEqual({ challenge: 'abc' });
    expect(handler).not.toHaveBeenCalled();
  });

  it('never throws, whatever the adapter hands over', async () => {
    const { receiver } = testReceiver();
    const garbage = [
      { rawBody: 42, headers: {} },
      { rawBody: null, headers: null },
      { rawBody: '{}', headers: { 'webhook-id': ['a', 'b'] } },
      undefined,
    ];
    for (const input of garbage) {
      // @ts-expect-error deliberately wrong input
      const result = await receiver.receive(input);
      expect(result.status).toBeGreaterThanOrEqual(400);
      expect(() => JSON.parse(result.body)).not.toThrow();
    }
  });

  it('accepts Web Headers and header names in any case', async () => {
    const { receiver, clock } = testReceiver();
    receiver.on('message.received', () => undefined);
    const delivery = signed('msg_1', 'message.received', clock.now());
    const upper = Object.fromEntries(Object.entries(delivery.headers).map(([name, value]) => [name.toUpperCase(), value]));
    expect((await receiver.receive({ rawBody: delivery.rawBody, headers: upper })).status).toBe(200);
    const again = signed('msg_2', 'message.received', clock.now());
    expect((await receiver.receive({ rawBody: again.rawBody, headers: new Headers(again.headers) })).status).toBe(200);
  });
});

describe('receive(): dedup keys', () => {
  it('namespaces keys so two endpoints sharing a store never collide on one id', async () => {
    const store = new MemoryStore();
    const a = testReceiver({ store, namespace: 'provider-a' });
    const b = testReceiver({ store, namespace: 'provider-b' });
    a.receiver.on('*', () => undefined);
    b.receiver.on('*', () => undefined);
    expect((await a.receiver.receive(signed('evt_1', 'x.y', a.clock.now()))).outcome).toBe('processed');
    expect((await b.receiver.receive(signed('evt_1', 'x.y', b.clock.now()))).outcome).toBe('processed');
    expect((await b.receiver.receive(signed('evt_1', 'x.y', b.clock.now()))).outcome).toBe('duplicate');
  });

  it("never shares a key with once(): a key spelled '<namespace>:<event id>' neither hides the event nor is skipped by it", async () => {
    const store = new MemoryStore();
    const { receiver, clock } = testReceiver({ store, namespace: 'agent' });
    const ran: string[] = [];
    receiver.on('*', (event) => void ran.push(event.id));
    const toolCall = vi.fn(() => 'tool result');
    expect(await once(store, 'agent:evt_1', toolCall)).toBe('tool result');
    expect((await receiver.receive(signed('evt_1', 'x.y', clock.now()))).outcome).toBe('processed');
    expect((await receiver.receive(signed('evt_2', 'x.y', clock.now()))).outcome).toBe('processed');
    expect(await once(store, 'agent:evt_2', toolCall)).toBe('tool result');
    expect(ran).toEqual(['evt_1', 'evt_2']);
    expect(toolCall).toHaveBeenCalledTimes(2);
  });

  it('warns when a known id comes back with a different body, and still answers duplicate', async () => {
    const { receiver, clock, logs } = testReceiver();
    receiver.on('*', () => undefined);
    await receiver.receive(signed('evt_1', 'x.y', clock.now(), { amount: 1 }));
    const reused = await receiver.receive(signed('evt_1', 'x.y', clock.now(), { amount: 2 }));
    expect(reused.outcome).toBe('duplicate');
    expect(logs.codes('warn')).toContain('WARN_HOOKGUARD_FINGERPRINT_MISMATCH');
  });

  it('marks duplicates from an inexact store as probable in the result, the report and the logs', async () => {
    const reports: DeliveryReport[] = [];
    const store = new FlakyStore(new MemoryStore(), { exact: false });
    const { receiver, clock, logs } = testReceiver({ store, acceptFalsePositives: true, onDelivery: (report) => void reports.push(report) });
    receiver.on('*', () => undefined);
    await receiver.receive(signed('evt_1', 'x.y', clock.now()));
    const again = await receiver.receive(signed('evt_1', 'x.y', clock.now()));
    expect(again).toMatchObject({ outcome: 'duplicate', probable: true });
    expect(reports[1]).toMatchObject({ outcome: 'duplicate', probable: true });
    expect(logs.lines.some((line) => line.fields['probable'] === true)).toBe(true);
  });
});

describe('receive(): reports', () => {
  it('reports every delivery to onDelivery with its outcome, key and attempt, without the payload', async () => {
    const reports: DeliveryReport[] = [];
    const { receiver, clock } = testReceiver({ onDelivery: (report) => void reports.push(report) });
    receiver.on('message.received', () => undefined);
    await receiver.receive(signed('msg_1', 'message.received', clock.now(), { secret: 'payload-value' }));
    await receiver.receive(signed('msg_1', 'message.received', clock.now()));
    expect(reports.map((report) => report.outcome)).toEqual(['processed', 'duplicate']);
    expect(reports[0]).toMatchObject({ id: 'msg_1', type: 'message.received', key: 'standard-webhooks:msg_1', attempt: 1, status: 200 });
    expect(JSON.stringify(reports)).not.toContain('payload-value');
    expect(JSON.stringify(reports)).not.toContain(SECRET);
  });

  it('keeps going when the onDelivery hook throws', async () => {
    const { receiver, clock, logs } = testReceiver({
      onDelivery: () => {
        throw new Error('metrics down');
      },
    });
    receiver.on('*', () => undefined);
    expect((await receiver.receive(signed('msg_1', 'a.b', clock.now()))).status).toBe(200);
    expect(logs.lines.some((line) => line.message.includes('onDelivery'))).toBe(true);
  });
});

describe('receiver.work()', () => {
  it("hands the queue the receiver's logger, so a worker's lost locks and unrecorded outcomes reach the app's logs", async () => {
    const { logger } = captureLogs();
    let options: QueueWorkOptions | undefined;
    const queue: WebhookQueue = {
      name: 'recording',
      enqueue: async () => undefined,
      work: async (_processor, workOptions) => {
        options = workOptions;
        return { close: async () => undefined };
      },
      find: async () => undefined,
      deadLetters: async () => [],
      replay: async () => false,
    };
    const receiver = createReceiver({ verifier: standardWebhooks({ secret: SECRET }), queue, logger });
    await (await receiver.work({ concurrency: 3 })).close();
    expect(options).toMatchObject({ concurrency: 3 });
    expect(options?.logger).toBe(logger);
  });

  // As JobLocks aborts a run whose lock no renewal was confirmed for: nobody may have taken the
  // job over, so the queue would still accept its completion.
  const lockLapse = (): WebhookError =>
    new WebhookError('ERR_HOOKGUARD_LEASE_LOST', "The lock on job 'j1' may have lapsed", {
      cause: new WebhookError('ERR_HOOKGUARD_QUEUE_UNAVAILABLE', "The 'recording' queue answered no lock renewal for 30000 ms."),
    });

  it.each([false, true])(
    'fails a queued run whose handler read ctx.signal and returned after the job lock lapsed, so the queue runs it again (transactional: %s)',
    async (transactional) => {
      let processor: JobProcessor | undefined;
      const queue: WebhookQueue = {
        name: 'recording',
        enqueue: async () => undefined,
        work: async (given) => {
          processor = given;
          return { close: async () => undefined };
        },
        find: async () => undefined,
        deadLetters: async () => [],
        replay: async () => false,
      };
      const receiver = createReceiver({
        verifier: standardWebhooks({ secret: SECRET }),
        queue,
        store: transactionalMemoryStore(),
        namespace: 'jobs',
        logger: captureLogs().logger,
      });
      const sent: number[] = [];
      let lapseDuring: JobRun | undefined;
      const handler = async (_event: WebhookEvent, ctx: { attempt: number; signal: AbortSignal }): Promise<void> => {
        lapseDuring?.abort(lockLapse());
        // Stops at the signal without throwing, as a handler may.
        if (ctx.signal.aborted) return;
        sent.push(ctx.attempt);
      };
      if (transactional) receiver.on('order.paid', handler, { transaction: true });
      else receiver.on('order.created', handler);
      await receiver.work();
      const event: QueuedEvent = {
        key: 'jobs:evt_1',
        namespace: 'jobs',
        id: 'evt_1',
        type: transactional ? 'order.paid' : 'order.created',
        alias: null,
        payload: { sku: 'a-1' },
        timestamp: null,
        headers: {},
        acceptedAt: Date.now(),
      };
      const first = new JobRun(1);
      lapseDuring = first;
      await expect(processor!(event, first)).rejects.toMatchObject({ code: 'ERR_HOOKGUARD_LEASE_LOST' });
      // The queue's next run, its lock held throughout (a transactional run's record rolled back).
      lapseDuring = undefined;
      await expect(processor!(event, new JobRun(2))).resolves.toBeUndefined();
      expect(sent).toEqual([2]);
    },
  );
});
