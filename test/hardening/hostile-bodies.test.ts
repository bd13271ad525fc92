// Signed bodies built to hurt a JSON consumer, sent for certain (the fuzzers draw them only now
// and then): 100 000 levels of nesting, prototype keys, numbers beyond a double. Through receive()
// and every adapter over a socket.
import { createReceiver, silentLogger, standardWebhooks, type Receiver, type WebhookEvent } from '@hookguard/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADAPTERS, SECRET, exchange, listen, nowSeconds, prototypeKeys, requestHead, sdkSignature, watchProcess, type Listening } from './harness.js';

const DEPTH = 100_000;

type Case = { name: string; body: string; status: number; check?: (event: WebhookEvent) => void };

const cases: Case[] = [
  { name: `${DEPTH} unclosed [`, body: '['.repeat(DEPTH), status: 400 },
  { name: `${DEPTH} unclosed {"a":`, body: '{"a":'.repeat(DEPTH), status: 400 },
  {
    name: `${DEPTH} nested arrays`,
    body: `{"type":"deep","data":${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}}`,
    status: 200,
    check: (event) => expect(Array.isArray((event.payload as { data: unknown }).data)).toBe(true),
  },
  { name: `${DEPTH} nested objects`, body: `{"type":"deep","data":${'{"a":'.repeat(DEPTH)}0${'}'.repeat(DEPTH)}}`, status: 200 },
  {
    name: '__proto__, constructor and prototype keys',
    body: '{"type":"proto","__proto__":{"polluted":true,"type":"evil"},"constructor":{"prototype":{"polluted":true}},"data":{"__proto__":[1],"prototype":{"toString":"x"}}}',
    status: 200,
    check: (event) => {
      expect(event.type).toBe('proto');
      const payload = event.payload as Record<string, unknown>;
      expect(Object.getPrototypeOf(payload)).toBe(Object.prototype);
      expect(Object.hasOwn(payload, '__proto__')).toBe(true);
      expect(payload['polluted']).toBeUndefined();
    },
  },
  {
    name: 'a type only under __proto__',
    body: '{"__proto__":{"type":"evil"}}',
    status: 200,
    // The own-property read finds no type: the catch-all runs, the 'evil' handler does not.
    check: (event) => expect(event.type).toBe(''),
  },
  {
    name: 'numbers beyond a double',
    body: `{"type":"numbers","data":[1e999999,-1e999999,1e-999999,${'9'.repeat(20_000)},${'1'.repeat(5_000)}.${'1'.repeat(5_000)}]}`,
    status: 200,
    check: (event) => expect((event.payload as { data: number[] }).data.slice(0, 2)).toEqual([Infinity, -Infinity]),
  },
  { name: 'a lone surrogate escape', body: '{"type":"text","data":"\\ud800\\udfff\\udc00"}', status: 200 },
  { name: 'a NUL escape in the type', body: '{"type":"a\\u0000b"}', status: 200, check: (event) => expect(event.type).toBe('a\u0000b') },
];

function receiverWithEvents(): { receiver: Receiver; events: WebhookEvent[]; evil: WebhookEvent[] } {
  const receiver = createReceiver({ verifier: standardWebhooks({ secret: SECRET }), logger: silentLogger });
  const events: WebhookEvent[] = [];
  const evil: WebhookEvent[] = [];
  receiver.on('evil', (event) => void evil.push(event));
  receiver.on('*', (event) => void events.push(event));
  return { receiver, events, evil };
}

let sequence = 0;
function signed(body: string): { id: string; headers: Record<string, string> } {
  const id = `msg_body_${Date.now().toString(36)}_${sequence++}`;
  const seconds = nowSeconds();
  return { id, headers: { 'webhook-id': id, 'webhook-timestamp': String(seconds), 'webhook-signature': sdkSignature(id, seconds, body) } };
}

describe('hostile signed bodies', () => {
  const watch = watchProcess();
  const prototypesBefore = prototypeKeys();
  afterAll(async () => {
    await new Promise((resolve) => setImmediate(resolve));
    watch.dispose();
    expect(watch.faults).toEqual([]);
    expect(prototypeKeys()).toEqual(prototypesBefore);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(([] as unknown as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  describe('receive()', () => {
    it.each(cases)('$name → $status', async ({ body, status, check }) => {
      const { receiver, events, evil } = receiverWithEvents();
      const { id, headers } = signed(body);
      const result = await receiver.receive({ rawBody: body, headers });
      expect(result.status).toBe(status);
      expect(events).toHaveLength(status === 200 ? 1 : 0);
      expect(evil).toEqual([]);
      if (status === 200) {
        expect(events[0]!.id).toBe(id);
        check?.(events[0]!);
      }
    });

    it('refuses the same bodies unsigned with 401, before reading them as JSON', async () => {
      const { receiver, events } = receiverWithEvents();
      for (const { body } of cases) {
        const { headers } = signed('{}');
        const result = await receiver.receive({ rawBody: body, headers });
        expect(result.status).toBe(401);
      }
      expect(events).toEqual([]);
    });
  });

  describe.each(ADAPTERS)('%s over a socket', (adapter) => {
    let server: Listening;
    let state: ReturnType<typeof receiverWithEvents>;
    beforeAll(async () => {
      state = receiverWithEvents();
      server = await listen(adapter, state.receiver);
    });
    afterAll(() => server.close());

    it.each(cases)('$name → $status', async ({ body, status, check }) => {
      const { id, headers } = signed(body);
      const bytes = Buffer.from(body);
      const head = requestHead([['content-type', 'application/json'], ['content-length', String(bytes.byteLength)], ...Object.entries(headers)]);
      const answer = await exchange(server.port, head, [bytes]);
      expect(answer.status).toBe(status);
      const event = state.events.find((candidate) => candidate.id === id);
      expect(event !== undefined).toBe(status === 200);
      if (event !== undefined) check?.(event);
      expect(state.evil).toEqual([]);
    });
  });
});
