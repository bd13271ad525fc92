// Queued mode on BullMQ (the machine's Redis): the accepting request's span is injected into the
// job as W3C trace context, and the worker's CONSUMER span for each run links to it; retries and
// the dead letter are measured.
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { randomUUID } from 'node:crypto';
import { createReceiver, standardWebhooks, type WebhookEvent } from '@hookguard/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRET, eventually, queuedBackend, queuedReceiver, sendOnce, signedDelivery, type QueuedSetup } from '../../../test/queued/queued-fixtures.js';
import { setUpOtel, total, type OtelSetup } from './otel.fixtures.js';

let otel: OtelSetup;
beforeAll(() => {
  otel = setUpOtel();
});
afterAll(async () => {
  await otel.shutdown();
});

function spansNamed(name: string): ReadableSpan[] {
  return otel.spans().filter((span) => span.name === name);
}

function childrenOf(span: ReadableSpan): string[] {
  return otel
    .spans()
    .filter((child) => child.parentSpanContext?.spanId === span.spanContext().spanId)
    .map((child) => child.name)
    .sort();
}

describe('queued mode telemetry (BullMQ)', () => {
  let setup: QueuedSetup | undefined;
  afterAll(async () => {
    await setup?.close();
  });

  it('links the worker span of each run to the acceptance span whose context travelled with the job', async () => {
    const handled: string[] = [];
    setup = await queuedReceiver('bullmq');
    const namespace = setup.receiver.options.namespace;
    setup.receiver.on('message.received', async function deliver(event) {
      handled.push(event.id);
    });
    const before = await otel.points();
    const sent = await sendOnce(setup.url, 'evt_queued_1', 'message.received', { text: 'hello' }, 10_000);
    expect(sent.status).toBe(200);

    const [acceptance, ...more] = spansNamed(`process ${namespace}`);
    expect(more).toEqual([]);
    expect(acceptance!.kind).toBe(SpanKind.CONSUMER);
    expect(acceptance!.attributes).toMatchObject({
      'messaging.operation.type': 'process',
      'messaging.operation.name': 'accept',
      'messaging.destination.name': namespace,
      'messaging.message.id': 'evt_queued_1',
      'hookguard.outcome': 'queued',
      'hookguard.mode': 'queued',
      'hookguard.attempt': 1,
    });
    expect(childrenOf(acceptance!)).toEqual(['claim redis', 'complete redis']);
    const stored = await setup.queue.find(`${namespace}:evt_queued_1`);
    const traceparent = stored?.event.trace?.['traceparent'];
    expect(traceparent).toBe(`00-${acceptance!.spanContext().traceId}-${acceptance!.spanContext().spanId}-01`);

    const worker = await setup.receiver.work();
    try {
      await eventually(() => spansNamed(`process ${namespace}`).length === 2, 15_000, () => `${spansNamed(`process ${namespace}`).length} process spans`);
    } finally {
      await worker.close();
    }
    expect(handled).toEqual(['evt_queued_1']);
    const run = spansNamed(`process ${namespace}`).find((span) => span !== acceptance)!;
    expect(run.kind).toBe(SpanKind.CONSUMER);
    expect(run.links.map((link) => link.context.spanId)).toEqual([acceptance!.spanContext().spanId]);
    expect(run.links[0]!.context.traceId).toBe(acceptance!.spanContext().traceId);
    expect(run.attributes).toMatchObject({
      'messaging.operation.type': 'process',
      'messaging.operation.name': 'process',
      'messaging.message.id': 'evt_queued_1',
      'hookguard.event.type': 'message.received',
      'hookguard.outcome': 'processed',
      'hookguard.queue': setup.queue.name,
      'hookguard.attempt': 1,
    });
    expect(run.status.code).toBe(SpanStatusCode.UNSET);
    expect(childrenOf(run)).toEqual(['handler message.received']);

    const added = await otel.since(before);
    const where = { 'messaging.destination.name': namespace };
    expect(total(added, 'hookguard.deliveries', { ...where, 'hookguard.outcome': 'queued' })).toBe(1);
    expect(total(added, 'messaging.process.duration', { ...where, 'messaging.operation.name': 'accept' })).toBe(1);
    expect(total(added, 'messaging.process.duration', { ...where, 'messaging.operation.name': 'process' })).toBe(1);
    expect(total(added, 'messaging.client.consumed.messages', where)).toBe(2);
    expect(total(added, 'hookguard.dead_letters')).toBe(0);
  });
});

describe('queued mode telemetry of failures (BullMQ)', () => {
  let setup: QueuedSetup | undefined;
  afterAll(async () => {
    await setup?.close();
  });

  it('marks each failed run as an error and counts the dead letter after the last attempt', async () => {
    setup = await queuedReceiver('bullmq', { retry: { attempts: 2, minDelayMs: 20, maxDelayMs: 40 } });
    const namespace = setup.receiver.options.namespace;
    setup.receiver.on('message.received', () => {
      throw new RangeError('the downstream API refused the call');
    });
    const before = await otel.points();
    expect((await sendOnce(setup.url, 'evt_poison', 'message.received', { text: 'hello' }, 10_000)).status).toBe(200);
    const worker = await setup.receiver.work();
    const runs = (): ReadableSpan[] => spansNamed(`process ${namespace}`).filter((span) => span.attributes['messaging.operation.name'] === 'process');
    try {
      await eventually(() => runs().length === 2, 15_000, () => `${runs().length} runs`);
    } finally {
      await worker.close();
    }
    const [first, last] = [...runs()].sort((a, b) => Number(a.attributes['hookguard.attempt']) - Number(b.attributes['hookguard.attempt']));
    expect(first!.attributes).toMatchObject({ 'hookguard.attempt': 1, 'hookguard.outcome': 'failed', 'error.type': 'RangeError' });
    expect(last!.attributes).toMatchObject({ 'hookguard.attempt': 2, 'hookguard.outcome': 'dead_lettered', 'error.type': 'RangeError' });
    for (const run of [first!, last!]) {
      expect(run.status.code).toBe(SpanStatusCode.ERROR);
      expect(run.links).toHaveLength(1);
      expect(run.events).toEqual([]);
    }
    const added = await otel.since(before);
    expect(total(added, 'hookguard.dead_letters', { 'messaging.destination.name': namespace, 'hookguard.mode': 'queued' })).toBe(1);
    expect(total(added, 'messaging.process.duration', { 'messaging.destination.name': namespace, 'messaging.operation.name': 'process', 'error.type': 'RangeError' })).toBe(2);
  });
});

describe('queued mode telemetry of a job whose runs were all lost (BullMQ)', () => {
  it('counts the dead letter BullMQ made of a job that stalled too often, with a span that ends dead-lettered', { timeout: 60_000 }, async () => {
    const run = randomUUID().slice(0, 8);
    // A job stalled more than maxStalledCount (1) times is failed by BullMQ at its next fetch,
    // without a run: before the span, nothing of it reached the dead-letter counter.
    const backend = await queuedBackend('bullmq', run, undefined, { lockSeconds: 1, maxStalledCount: 1 });
    const namespace = `lost-${run}`;
    const ran: number[] = [];
    const receiver = createReceiver({
      verifier: standardWebhooks({ secret: SECRET }),
      store: backend.store,
      queue: backend.queue,
      namespace,
      retry: { attempts: 5, minDelayMs: 20, maxDelayMs: 50 },
      logger: { warn: () => undefined, error: () => undefined },
    });
    receiver.on('order.created', (_event: WebhookEvent, ctx) => void ran.push(ctx.attempt));
    const key = `${namespace}:evt_lost`;
    const before = await otel.points();
    let worker: { close(): Promise<void> } | undefined;
    try {
      const { body, headers } = signedDelivery('evt_lost', 'order.created', {});
      expect((await receiver.receive({ rawBody: Buffer.from(body), headers })).body).toBe('{"received":true,"queued":true}');
      for (let lost = 0; lost < 2; lost++) {
        await eventually(async () => (await backend.takeAndDie()) === key, 20_000, () => `run ${lost + 1} was never taken`);
      }
      await eventually(async () => (await backend.queue.find(key))?.state === 'waiting', 20_000, () => 'the last lost run was never taken back');
      worker = await receiver.work();
      const lostSpans = (): ReadableSpan[] => spansNamed(`process ${namespace}`).filter((span) => span.attributes['hookguard.outcome'] === 'dead_lettered');
      await eventually(() => lostSpans().length === 1, 20_000, () => `${lostSpans().length} dead-lettered spans`);
      expect(ran).toEqual([]);
      const [span] = lostSpans();
      expect(span!.kind).toBe(SpanKind.CONSUMER);
      expect(span!.status.code).toBe(SpanStatusCode.ERROR);
      expect(span!.attributes).toMatchObject({ 'messaging.operation.name': 'process', 'error.type': 'ERR_HOOKGUARD_LEASE_LOST' });
      expect(span!.attributes['hookguard.attempt']).toBeGreaterThanOrEqual(2);
      const added = await otel.since(before);
      expect(total(added, 'hookguard.dead_letters', { 'messaging.destination.name': namespace, 'hookguard.mode': 'queued' })).toBe(1);
    } finally {
      await worker?.close();
      await backend.queue.close?.();
      await backend.store.close?.();
      await backend.close();
    }
  });
});
