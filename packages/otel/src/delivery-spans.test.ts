// Every outcome of the status table (README.md), delivered over real HTTP through each adapter,
// produces one CONSUMER `process <namespace>` span with the right attributes and status, its
// store and handler child spans, and the right metric increments, with the real OpenTelemetry SDK.
import { MemoryStore, createReceiver, silentLogger, standardWebhooks, type DedupStore, type Receiver, type ReceiverOptions } from '@hookguard/core';
import { RedisStore } from '@hookguard/redis';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Redis } from 'ioredis';
import { createServer } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeServer, fetchDriver, originOf, type Framework } from '../../../test/conformance/drivers/driver.js';
import { expressFramework } from '../../../test/conformance/drivers/express.js';
import { fastifyFramework } from '../../../test/conformance/drivers/fastify.js';
import { honoFramework } from '../../../test/conformance/drivers/hono.js';
import { nodeFramework } from '../../../test/conformance/drivers/node.js';
import { webFramework } from '../../../test/conformance/drivers/web.js';
import { PATH, type WireRequest } from '../../../test/conformance/wire-request.js';
import { webhookMiddleware } from '@hookguard/node';
import { setUpOtel, total, type MetricPoint, type OtelSetup } from './otel.fixtures.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const OTHER_SECRET = 'whsec_bm90IHRoZSBlbmRwb2ludCdzIHNlY3JldCBhdCBhbGw=';
const SYSTEM = standardWebhooks({ secret: SECRET }).name;

type Send = { id: string; type?: string; body?: string; signedWith?: string; omit?: string };

function wire(send: Send): WireRequest {
  const body = send.body ?? JSON.stringify({ type: send.type ?? 'message.received', data: { text: 'hello' } });
  const now = new Date();
  const headers: [string, string][] = [
    ['content-type', 'application/json'],
    ['webhook-id', send.id],
    ['webhook-timestamp', String(Math.floor(now.getTime() / 1000))],
    ['webhook-signature', new Webhook(send.signedWith ?? SECRET).sign(send.id, now, body)],
  ];
  return { path: PATH, headers: headers.filter(([name]) => name !== send.omit), body: new TextEncoder().encode(body), chunked: false, stalls: false };
}

/** A case of the status table: how the receiver is set up, what is sent, what telemetry must say. */
type OutcomeCase = {
  row: string;
  options?: (namespace: string) => Partial<ReceiverOptions>;
  handler?: 'ok' | 'throws' | 'hangs';
  /** Sent first, their telemetry not checked (a delivery the duplicate repeats). */
  before?: Send[];
  send: Send;
  /** Held in the store before the delivery arrives (another delivery is running it). */
  heldElsewhere?: boolean;
  status: number;
  outcome: string;
  errorType?: string;
  spanError: boolean;
  /** Child span names. */
  children: string[];
  attempt?: number;
  verificationFailure?: boolean;
  deadLetter?: boolean;
};

/** A real client of a Redis that is not there (nothing listens on port 1): every command fails. */
function deadRedis(): Redis {
  const client = new Redis({ host: '127.0.0.1', port: 1, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  return client;
}

const CASES: OutcomeCase[] = [
  { row: 'handlers succeeded', send: { id: 'evt_ok' }, status: 200, outcome: 'processed', spanError: false, children: ['claim memory', 'handler message.received', 'complete memory'], attempt: 1 },
  { row: 'handled before', before: [{ id: 'evt_dup' }], send: { id: 'evt_dup' }, status: 200, outcome: 'duplicate', spanError: false, children: ['claim memory'] },
  { row: 'no handler for its type', send: { id: 'evt_ign', type: 'invoice.paid' }, status: 200, outcome: 'ignored', spanError: false, children: [] },
  { row: 'another delivery of it is running', heldElsewhere: true, send: { id: 'evt_busy' }, status: 409, outcome: 'in_progress', errorType: 'ERR_HOOKGUARD_IN_PROGRESS', spanError: false, children: ['claim memory'] },
  { row: 'bad signature', send: { id: 'evt_forged', signedWith: OTHER_SECRET }, status: 401, outcome: 'rejected', errorType: 'ERR_HOOKGUARD_SIGNATURE_MISMATCH', spanError: false, children: [], verificationFailure: true },
  { row: 'signature headers missing', send: { id: 'evt_bare', omit: 'webhook-signature' }, status: 400, outcome: 'rejected', errorType: 'ERR_HOOKGUARD_MISSING_HEADER', spanError: false, children: [], verificationFailure: true },
  { row: 'authentic but not JSON', send: { id: 'evt_text', body: 'plain text' }, status: 400, outcome: 'rejected', errorType: 'ERR_HOOKGUARD_INVALID_BODY', spanError: false, children: [] },
  { row: 'body over maxBodyBytes', options: () => ({ maxBodyBytes: 16 }), send: { id: 'evt_big' }, status: 413, outcome: 'rejected', errorType: 'ERR_HOOKGUARD_BODY_TOO_LARGE', spanError: false, children: [] },
  {
    row: 'the store is down',
    options: (namespace) => ({ store: new RedisStore({ client: deadRedis() }), namespace }),
    send: { id: 'evt_down' },
    status: 503,
    outcome: 'unavailable',
    errorType: 'ERR_HOOKGUARD_STORE_UNAVAILABLE',
    spanError: true,
    children: ['claim redis'],
  },
  { row: 'a handler threw', handler: 'throws', send: { id: 'evt_throws' }, status: 500, outcome: 'failed', errorType: 'TypeError', spanError: true, children: ['claim memory', 'handler message.received', 'release memory'], attempt: 1 },
  {
    row: 'failed maxAttempts times',
    options: () => ({ maxAttempts: 1 }),
    handler: 'throws',
    send: { id: 'evt_dead' },
    status: 200,
    outcome: 'dead_lettered',
    spanError: false,
    children: ['claim memory', 'handler message.received', 'complete memory'],
    attempt: 1,
    deadLetter: true,
  },
  {
    row: 'handlers ran past handlerTimeoutMs',
    options: () => ({ handlerTimeoutMs: 50 }),
    handler: 'hangs',
    send: { id: 'evt_slow' },
    status: 500,
    outcome: 'failed',
    errorType: 'ERR_HOOKGUARD_HANDLER_TIMEOUT',
    spanError: true,
    children: ['claim memory', 'handler message.received', 'release memory'],
    attempt: 1,
  },
];

const FRAMEWORKS: Framework[] = [expressFramework, honoFramework, fastifyFramework, nodeFramework, webFramework];

let otel: OtelSetup;
beforeAll(() => {
  otel = setUpOtel();
});
afterAll(async () => {
  await otel.shutdown();
});

function receiverFor(testCase: OutcomeCase, namespace: string): { receiver: Receiver; store: DedupStore; close(): void } {
  const store = new MemoryStore();
  const receiver = createReceiver({ verifier: standardWebhooks({ secret: SECRET }), store, namespace, logger: silentLogger, ...testCase.options?.(namespace) });
  receiver.on('message.received', async function onMessage(_event, ctx) {
    if (testCase.handler === 'throws') throw new TypeError('the mail API refused the call');
    if (testCase.handler === 'hangs') await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
  });
  return {
    receiver,
    store,
    close() {
      const client = (receiver as unknown as { options: { store: { client?: Redis } } }).options.store.client;
      client?.disconnect();
    },
  };
}

function consumerSpans(spans: readonly ReadableSpan[], namespace: string): ReadableSpan[] {
  return spans.filter((span) => span.name === `process ${namespace}` && span.kind === SpanKind.CONSUMER);
}

describe.each(FRAMEWORKS)('telemetry of every outcome over HTTP: $name', (framework) => {
  it.each(CASES)('$row → $status $outcome', async (testCase) => {
    const namespace = `ns-${framework.name.replace(/\W+/g, '').toLowerCase()}-${CASES.indexOf(testCase)}`;
    const setup = receiverFor(testCase, namespace);
    const driver = await framework.start(setup.receiver, 'socket');
    try {
      for (const earlier of testCase.before ?? []) await driver.send(wire(earlier));
      if (testCase.heldElsewhere) {
        const held = await setup.store.claim(`${namespace}:${testCase.send.id}`, { leaseMs: 60_000, retentionMs: 60_000 });
        expect(held.status).toBe('claimed');
      }
      otel.exporter.reset();
      const before = await otel.points();
      const response = await driver.send(wire(testCase.send));
      expect(response.status).toBe(testCase.status);

      const spans = otel.spans();
      const [span, ...others] = consumerSpans(spans, namespace);
      expect(others).toEqual([]);
      expect(span).toBeDefined();
      const delivery = span!;
      const expected: Record<string, unknown> = {
        'messaging.system': SYSTEM,
        'messaging.operation.type': 'process',
        'messaging.operation.name': 'process',
        'messaging.destination.name': namespace,
        'hookguard.outcome': testCase.outcome,
        'hookguard.response.status_code': testCase.status,
      };
      const verified = !testCase.verificationFailure && testCase.errorType !== 'ERR_HOOKGUARD_BODY_TOO_LARGE';
      if (verified) expected['messaging.message.id'] = testCase.send.id;
      if (verified && testCase.errorType !== 'ERR_HOOKGUARD_INVALID_BODY') expected['hookguard.event.type'] = testCase.send.type ?? 'message.received';
      if (testCase.attempt !== undefined) expected['hookguard.attempt'] = testCase.attempt;
      if (testCase.errorType !== undefined) expected['error.type'] = testCase.errorType;
      expect(delivery.attributes).toMatchObject(expected);
      if (testCase.errorType === undefined) expect(delivery.attributes).not.toHaveProperty('error.type');
      expect(delivery.status.code).toBe(testCase.spanError ? SpanStatusCode.ERROR : SpanStatusCode.UNSET);

      const children = spans.filter((child) => child.parentSpanContext?.spanId === delivery.spanContext().spanId);
      expect(children.map((child) => child.name).sort()).toEqual([...testCase.children].sort());
      for (const child of children) expect(child.spanContext().traceId).toBe(delivery.spanContext().traceId);
      const handler = children.find((child) => child.name.startsWith('handler '));
      if (handler !== undefined) {
        expect(handler.attributes).toMatchObject({ 'hookguard.handler.pattern': 'message.received', 'code.function.name': 'onMessage' });
        expect(handler.status.code).toBe(testCase.handler === 'throws' ? SpanStatusCode.ERROR : SpanStatusCode.UNSET);
        if (testCase.handler === 'throws') expect(handler.attributes['error.type']).toBe('TypeError');
        expect(handler.events).toEqual([]);
      }

      const added = await otel.since(before);
      const where = { 'messaging.destination.name': namespace };
      expect(total(added, 'hookguard.deliveries', { ...where, 'hookguard.outcome': testCase.outcome, 'messaging.system': SYSTEM })).toBe(1);
      expect(total(added, 'hookguard.deliveries')).toBe(1);
      expect(total(added, 'messaging.client.consumed.messages', where)).toBe(1);
      expect(total(added, 'messaging.process.duration', { ...where, 'messaging.operation.name': 'process' })).toBe(1);
      if (testCase.errorType !== undefined) expect(total(added, 'messaging.process.duration', { ...where, 'error.type': testCase.errorType })).toBe(1);
      expect(total(added, 'hookguard.verification.failures')).toBe(testCase.verificationFailure ? 1 : 0);
      if (testCase.verificationFailure) expect(total(added, 'hookguard.verification.failures', { ...where, 'error.type': testCase.errorType })).toBe(1);
      expect(total(added, 'hookguard.dead_letters')).toBe(testCase.deadLetter ? 1 : 0);
      if (testCase.deadLetter) expect(total(added, 'hookguard.dead_letters', { ...where, 'hookguard.mode': 'inline' })).toBe(1);
      for (const child of children.filter((other) => !other.name.startsWith('handler '))) {
        const [operation, store] = child.name.split(' ');
        expect(total(added, 'hookguard.store.duration', { 'hookguard.store': store, 'hookguard.store.operation': operation })).toBeGreaterThanOrEqual(1);
      }
      expect(total(added, 'hookguard.store.duration')).toBe(children.filter((child) => !child.name.startsWith('handler ')).length);
      expectLowCardinality(added, testCase.send.id);
    } finally {
      await driver.close();
      setup.close();
    }
  });
});

/** No metric point carries the event id, the dedup key, or an attribute outside the known set. */
function expectLowCardinality(points: readonly MetricPoint[], id: string): void {
  const allowed = new Set(['messaging.system', 'messaging.destination.name', 'messaging.operation.name', 'error.type', 'hookguard.outcome', 'hookguard.mode', 'hookguard.store', 'hookguard.store.operation']);
  for (const point of points) {
    for (const [name, value] of Object.entries(point.attributes)) {
      expect(allowed, `${point.name} has attribute ${name}`).toContain(name);
      expect(String(value)).not.toContain(id);
    }
  }
}

describe('the delivery span in its trace', () => {
  it('is a child of the active HTTP server span, and the handler sees the delivery span as active', async () => {
    const namespace = 'ns-parent';
    const receiver = createReceiver({ verifier: standardWebhooks({ secret: SECRET }), namespace, logger: silentLogger });
    let activeInHandler: string | undefined;
    receiver.on('message.received', () => {
      activeInHandler = trace.getActiveSpan()?.spanContext().spanId;
    });
    const middleware = webhookMiddleware(receiver, { path: PATH });
    // What @opentelemetry/instrumentation-http does for each request: a SERVER span made active.
    const tracer = otel.tracerProvider.getTracer('http-server');
    const server = createServer((req, res) => {
      tracer.startActiveSpan('POST /webhooks', { kind: SpanKind.SERVER }, (span) => {
        void middleware(req, res).finally(() => span.end());
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const driver = fetchDriver(originOf(server), () => closeServer(server));
    try {
      otel.exporter.reset();
      expect((await driver.send(wire({ id: 'evt_child' }))).status).toBe(200);
      const spans = otel.spans();
      const serverSpan = spans.find((span) => span.kind === SpanKind.SERVER)!;
      const [delivery] = consumerSpans(spans, namespace);
      expect(delivery?.parentSpanContext?.spanId).toBe(serverSpan.spanContext().spanId);
      expect(delivery?.spanContext().traceId).toBe(serverSpan.spanContext().traceId);
      const handler = spans.find((span) => span.name === 'handler message.received')!;
      expect(activeInHandler).toBe(handler.spanContext().spanId);
      expect(handler.parentSpanContext?.spanId).toBe(delivery?.spanContext().spanId);
    } finally {
      await driver.close();
    }
  });
});
