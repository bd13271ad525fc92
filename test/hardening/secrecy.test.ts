// No secret, no expected signature and no payload ever leaves through a log line, an error
// message, a delivery report or a response, whatever a client sends: wrong secrets, near misses,
// stale or malformed timestamps, and correct deliveries whose payloads carry a marker.
import { createReceiver, standardWebhooks, type DeliveryReport, type Receiver } from '@hookguard/core';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  ADAPTERS,
  SECRET,
  SECRET_KEY,
  capturingLogger,
  exchange,
  expectedSignature,
  listen,
  watchProcess,
  type AdapterName,
  type Listening,
} from './harness.js';
import { SECRET_FORMS, deliveries, expectedSignatures, markedBody, nodeStyleHeaders, toWire, type Delivery } from './hostile-input.js';

const NUM_RUNS = 100;
const MARKER = `payload-marker-${randomBytes(9).toString('base64url')}`;

describe('secrets, signatures and payloads stay out of logs, errors and responses', () => {
  const watch = watchProcess();
  const logger = capturingLogger();
  const reports: DeliveryReport[] = [];
  const servers = new Map<AdapterName, Listening>();
  let clock = Date.now();
  let receiver: Receiver;
  let deliveriesSent = 0;
  let linesSearched = 0;
  let reportsSearched = 0;
  let answersSearched = 0;

  // Anything written to the console instead of the logger is searched too.
  const consoleLines: string[] = [];
  beforeAll(async () => {
    for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void consoleLines.push(args.map((arg) => (typeof arg === 'string' ? arg : JSON.stringify(arg))).join(' ')));
    }
    receiver = createReceiver({
      verifier: standardWebhooks({ secret: SECRET, logger }),
      logger,
      // Rejections are logged once a minute per code; a clock a minute ahead at each call logs them all.
      now: () => (clock += 61_000),
      onDelivery: (report) => void reports.push(report),
    });
    receiver.on('*', (event) => {
      if (event.id.endsWith('msg_c')) throw new Error('the downstream API refused the call');
    });
    for (const adapter of ADAPTERS) servers.set(adapter, await listen(adapter, receiver));
  });
  afterAll(async () => {
    for (const server of servers.values()) await server.close();
    vi.restoreAllMocks();
    watch.dispose();
    console.log(`secrecy fuzz: ${NUM_RUNS} runs, ${deliveriesSent} deliveries, ${linesSearched} log lines, ${reportsSearched} delivery reports and ${answersSearched} answers searched`);
  });

  it('never writes the secret, an expected signature or the payload anywhere a client or an operator reads', { timeout: 60_000 }, async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constant(null).chain(() => deliveries(`s${run++}_`, 4, markedBody(MARKER))),
        fc.array(fc.constantFrom<'receive' | AdapterName>('receive', ...ADAPTERS), { minLength: 4, maxLength: 4 }),
        async (batch, routes) => {
          const seen: string[] = [];
          for (const [index, delivery] of batch.entries()) {
            deliveriesSent++;
            const route = routes[index]!;
            if (route === 'receive') {
              const result = await receiver.receive({ rawBody: delivery.body, headers: nodeStyleHeaders(delivery.headers) });
              seen.push(result.body, JSON.stringify(result.headers), ...describeError(result.error));
            } else {
              const wire = toWire(delivery);
              const answer = await exchange(servers.get(route)!.port, wire.head, wire.body, { giveUpMs: 5_000 });
              seen.push(answer.body, JSON.stringify(answer.headers));
            }
            assertNothingLeaks(delivery, [...seen, ...logger.lines, ...consoleLines, ...reports.flatMap((report) => [JSON.stringify(report), ...describeError(report.error)])]);
          }
          linesSearched += logger.lines.length;
          reportsSearched += reports.length;
          answersSearched += batch.length;
          logger.lines.length = 0;
          consoleLines.length = 0;
          reports.length = 0;
        },
      ),
      { numRuns: NUM_RUNS },
    );
    expect(watch.faults).toEqual([]);
  });

  it('does search the lines it is given: the marker and a signature are found when present', () => {
    const delivery: Delivery = { kind: 'signed', headers: [['webhook-id', 'x'], ['webhook-timestamp', '1']], body: new TextEncoder().encode(MARKER), framing: 'length', id: 'x', expected: [] };
    expect(() => assertNothingLeaks(delivery, [`body ${MARKER}`])).toThrow();
    expect(() => assertNothingLeaks(delivery, [`sig ${expectedSignature('x', '1', delivery.body)}`])).toThrow();
    expect(() => assertNothingLeaks(delivery, [`key ${SECRET_KEY.toString('hex')}`])).toThrow();
  });
});

function describeError(error: Error | undefined): string[] {
  if (error === undefined) return [];
  const out = [error.message, String(error.stack)];
  let cause: unknown = error.cause;
  while (cause instanceof Error) {
    out.push(cause.message);
    cause = cause.cause;
  }
  if (cause !== undefined) out.push(String(cause));
  return out;
}

function assertNothingLeaks(delivery: Delivery, lines: readonly string[]): void {
  const forbidden = [...SECRET_FORMS, ...expectedSignatures(delivery), MARKER];
  for (const line of lines) {
    for (const needle of forbidden) {
      if (line.includes(needle)) throw new Error(`leaked ${needle === MARKER ? 'the payload' : 'a secret or signature'} (${needle.slice(0, 12)}…) in: ${line.slice(0, 300)}`);
    }
  }
}
