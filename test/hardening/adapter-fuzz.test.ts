// Property-based fuzzing of each adapter over a real socket, with raw bytes (header lines Node's
// own client would refuse to write: illegal names, obs-text, 200 KiB values, thousands of lines,
// repeated scheme headers), hostile bodies, and deliveries signed by the Standard Webhooks SDK.
import { createReceiver, silentLogger, standardWebhooks, type Receiver } from '@hookguard/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADAPTERS, SECRET, exchange, listen, prototypeKeys, watchProcess, type Exchange, type Listening } from './harness.js';
import { deliveries, isJsonBody, signatureOf, toWire, type Delivery } from './hostile-input.js';

const NUM_RUNS = 150;

describe.each(ADAPTERS)('%s over a socket under hostile input (property-based)', (adapter) => {
  const watch = watchProcess();
  const prototypesBefore = prototypeKeys();
  let receiver: Receiver;
  let server: Listening;
  let calls: string[] = [];
  let signaturesSeen: string[] = [];
  const statuses = new Map<string, number>();
  let requests = 0;
  let elapsedMs = 0;

  beforeAll(async () => {
    receiver = createReceiver({ verifier: standardWebhooks({ secret: SECRET }), logger: silentLogger, bodyTimeoutMs: 2_000 });
    receiver.on('*', (event, ctx) => {
      calls.push(event.id);
      signaturesSeen.push(ctx.headers.get('webhook-signature') ?? '');
    });
    server = await listen(adapter, receiver);
  });
  afterAll(async () => {
    await server.close();
    await new Promise((resolve) => setImmediate(resolve));
    watch.dispose();
    const seen = [...statuses].map(([status, count]) => `${status}×${count}`).join(' ');
    console.log(`[${adapter}] socket fuzz: ${NUM_RUNS} runs, ${requests} requests in ${elapsedMs} ms; answers ${seen}`);
  });

  it('never answers 5xx or crashes, and runs handlers only for signed, first-seen, JSON deliveries', { timeout: 60_000 }, async () => {
    let run = 0;
    const started = performance.now();
    await fc.assert(
      fc.asyncProperty(
        fc.constant(null).chain(() => deliveries(`${adapter}${run++}_`, 5)),
        async (batch) => {
          calls = [];
          signaturesSeen = [];
          const expectedCalls = new Set<string>();
          const signedSignatures = new Set<string>();
          for (const delivery of batch) {
            const wire = toWire(delivery);
            requests++;
            const answer = await exchange(server.port, wire.head, wire.body, { giveUpMs: 5_000 });
            const status = answer.status === undefined ? 'closed' : String(answer.status);
            statuses.set(status, (statuses.get(status) ?? 0) + 1);
            checkAnswer(delivery, answer);
            if (delivery.kind === 'signed' && isJsonBody(delivery.body)) {
              expectedCalls.add(delivery.id);
              signedSignatures.add(signatureOf(delivery));
            }
          }
          expect(new Set(calls).size).toBe(calls.length);
          expect(new Set(calls)).toEqual(expectedCalls);
          // Every handler run was caused by a correctly signed request, not by a forgery of its id.
          for (const signature of signaturesSeen) expect(signedSignatures).toContain(signature);
        },
      ),
      { numRuns: NUM_RUNS },
    );
    elapsedMs = Math.round(performance.now() - started);
    await new Promise((resolve) => setImmediate(resolve));
    expect(watch.faults).toEqual([]);
    expect(prototypeKeys()).toEqual(prototypesBefore);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

/**
 * A signed delivery with a JSON body gets 200, with any other body 400. Anything else gets a 4xx,
 * or, when Node's HTTP parser refuses the bytes themselves, a 400/431 or a closed connection.
 */
function checkAnswer(delivery: Delivery, answer: Exchange): void {
  const summary = { kind: delivery.kind, status: answer.status, body: answer.body.slice(0, 80), error: answer.socketError };
  if (delivery.kind === 'signed') {
    expect(summary).toMatchObject({ status: isJsonBody(delivery.body) ? 200 : 400 });
    expect(answer.body).toMatch(isJsonBody(delivery.body) ? /^\{"received":true(,"duplicate":true)?\}$/ : /^\{"error":"ERR_HOOKGUARD_[A-Z_]+"\}$/);
    return;
  }
  if (answer.status === undefined) {
    // The server closed the connection without an answer: allowed for bytes HTTP cannot carry.
    expect(summary.status).toBeUndefined();
    return;
  }
  expect(answer.status, JSON.stringify(summary)).toBeGreaterThanOrEqual(400);
  expect(answer.status, JSON.stringify(summary)).toBeLessThan(500);
}
