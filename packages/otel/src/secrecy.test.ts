// The hostile-input fuzz of test/hardening, run with the instrumentation on: no secret, no
// signature (sent or expected) and no payload fragment appears in any span name, attribute, status
// message, event or link, nor in any metric attribute, whatever a client sends, even when a handler
// throws an error whose message quotes the payload.
import { createReceiver, silentLogger, standardWebhooks, type Receiver } from '@hookguard/core';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADAPTERS, SECRET, exchange, expectedSignature, listen, type AdapterName, type Listening } from '../../../test/hardening/harness.js';
import { SECRET_FORMS, deliveries, expectedSignatures, markedBody, nodeStyleHeaders, signatureOf, toWire, type Delivery } from '../../../test/hardening/hostile-input.js';
import { setUpOtel, type OtelSetup } from './otel.fixtures.js';

const NUM_RUNS = 60;
const MARKER = `payload-marker-${randomBytes(9).toString('base64url')}`;
let otel: OtelSetup;
let receiver: Receiver;
const servers = new Map<AdapterName, Listening>();

beforeAll(async () => {
  otel = setUpOtel();
  receiver = createReceiver({ verifier: standardWebhooks({ secret: SECRET }), logger: silentLogger });
  receiver.on('*', async function quoteThePayload(event) {
    // A careless handler: its error message carries the payload.
    if (event.id.endsWith('msg_c') || event.id.endsWith('msg_d')) throw new Error(`refused ${JSON.stringify(event.payload)}`);
  });
  for (const adapter of ADAPTERS) servers.set(adapter, await listen(adapter, receiver));
});
afterAll(async () => {
  for (const server of servers.values()) await server.close();
  await otel.shutdown();
});

/** Everything the SDK holds now, as text: spans (names, attributes, status, events, links) and metric attributes. */
async function everythingRecorded(): Promise<string[]> {
  const lines: string[] = [];
  for (const span of otel.spans()) {
    lines.push(span.name, JSON.stringify(span.attributes), span.status.message ?? '');
    for (const event of span.events) lines.push(event.name, JSON.stringify(event.attributes ?? {}));
    for (const link of span.links) lines.push(JSON.stringify(link.attributes ?? {}));
  }
  for (const point of await otel.points()) lines.push(point.name, JSON.stringify(point.attributes));
  return lines;
}

function forbiddenFor(delivery: Delivery): string[] {
  const sent = signatureOf(delivery)
    .split(/[ ,]+/)
    .filter((part) => part.length >= 16);
  return [...SECRET_FORMS, ...expectedSignatures(delivery), ...sent, MARKER];
}

function assertNothingLeaks(forbidden: readonly string[], lines: readonly string[]): void {
  for (const line of lines) {
    for (const needle of forbidden) {
      if (line.includes(needle)) throw new Error(`leaked ${needle === MARKER ? 'the payload' : 'a secret or signature'} (${needle.slice(0, 12)}…) into telemetry: ${line.slice(0, 300)}`);
    }
  }
}

describe('telemetry never records secrets, signatures or payloads', () => {
  it('under the hostile-input fuzz, through receive() and every adapter', { timeout: 120_000 }, async () => {
    let run = 0;
    let spansSearched = 0;
    // Across every run: one batch alone may hold only requests refused before the receiver (431).
    const names = new Set<string>();
    await fc.assert(
      fc.asyncProperty(
        fc.constant(null).chain(() => deliveries(`t${run++}_`, 4, markedBody(MARKER))),
        fc.array(fc.constantFrom<'receive' | AdapterName>('receive', ...ADAPTERS), { minLength: 4, maxLength: 4 }),
        async (batch, routes) => {
          otel.exporter.reset();
          const forbidden: string[] = [];
          for (const [index, delivery] of batch.entries()) {
            forbidden.push(...forbiddenFor(delivery));
            const route = routes[index]!;
            if (route === 'receive') {
              await receiver.receive({ rawBody: delivery.body, headers: nodeStyleHeaders(delivery.headers) });
            } else {
              const wire = toWire(delivery);
              await exchange(servers.get(route)!.port, wire.head, wire.body, { giveUpMs: 5_000 });
            }
          }
          const recorded = await everythingRecorded();
          spansSearched += otel.spans().length;
          for (const span of otel.spans()) names.add(span.name);
          assertNothingLeaks(forbidden, recorded);
        },
      ),
      { numRuns: NUM_RUNS },
    );
    // The fuzz did produce telemetry to search: deliveries, handler runs and store calls.
    expect(spansSearched).toBeGreaterThan(NUM_RUNS);
    expect([...names].some((name) => name.startsWith('process '))).toBe(true);
  });

  it('does search what it is given: a payload or a signature in telemetry is found', () => {
    const delivery: Delivery = { kind: 'signed', headers: [['webhook-id', 'x'], ['webhook-timestamp', '1']], body: new TextEncoder().encode(MARKER), framing: 'length', id: 'x', expected: [] };
    expect(() => assertNothingLeaks(forbiddenFor(delivery), [`{"note":"${MARKER}"}`])).toThrow(/the payload/);
    expect(() => assertNothingLeaks(forbiddenFor(delivery), [expectedSignature('x', '1', delivery.body)])).toThrow(/signature/);
  });
});
