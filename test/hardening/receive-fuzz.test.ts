// Property-based fuzzing of receive() itself: hostile bodies (any bytes, `__proto__` keys,
// 100 000 levels of nesting, numbers beyond doubles), hostile headers and every body form an
// adapter may hand over, mixed with deliveries signed by the Standard Webhooks SDK.
import { createReceiver, silentLogger, standardWebhooks, type ReceiveInput, type ReceiveResult } from '@hookguard/core';
import fc from 'fast-check';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { SECRET, prototypeKeys, watchProcess, type HeaderLine } from './harness.js';
import { deliveries, isJsonBody, nodeStyleHeaders, signatureOf, type Delivery } from './hostile-input.js';

const NUM_RUNS = 300;

type BodyForm = 'bytes' | 'array-buffer' | 'string' | 'node-stream' | 'web-stream' | 'string-chunks' | 'failing-stream';
type HeaderForm = 'node' | 'web' | 'as-written';

const bodyForm = fc.constantFrom<BodyForm>('bytes', 'array-buffer', 'string', 'node-stream', 'web-stream', 'string-chunks', 'failing-stream');
const headerForm = fc.constantFrom<HeaderForm>('node', 'web', 'as-written');
const exactUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function pieces(body: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let offset = 0; offset < body.byteLength; offset += 700) out.push(body.slice(offset, offset + 700));
  return out;
}

/** The body in the form an adapter might pass; `undefined` when that form cannot carry these bytes. */
function bodyAs(form: BodyForm, body: Uint8Array): ReceiveInput['rawBody'] | undefined {
  switch (form) {
    case 'bytes':
      return body;
    case 'array-buffer':
      return body.slice().buffer;
    case 'string':
    case 'string-chunks': {
      let text: string;
      try {
        text = exactUtf8.decode(body);
      } catch {
        return undefined;
      }
      return form === 'string' ? text : Readable.from(text.match(/[\s\S]{1,500}/g) ?? []);
    }
    case 'node-stream':
      return Readable.from(pieces(body));
    case 'web-stream': {
      const queue = pieces(body);
      return new ReadableStream<Uint8Array>({
        pull(controller) {
          const next = queue.shift();
          if (next === undefined) controller.close();
          else controller.enqueue(next);
        },
      }) as unknown as AsyncIterable<Uint8Array>;
    }
    case 'failing-stream':
      return (async function* () {
        yield body.slice(0, 10);
        throw new Error('connection reset by peer');
      })();
  }
}

function headersAs(form: HeaderForm, lines: readonly HeaderLine[]): ReceiveInput['headers'] {
  if (form === 'node') return nodeStyleHeaders(lines);
  const text = (part: string | Uint8Array): string => (typeof part === 'string' ? part : Buffer.from(part).toString('latin1'));
  if (form === 'web') {
    try {
      const headers = new Headers();
      for (const [name, value] of lines) headers.append(text(name), text(value));
      return headers;
    } catch {
      // A Headers object refuses what a runtime would have refused before any handler.
      return nodeStyleHeaders(lines);
    }
  }
  // Names as written (any case, even `__proto__`), repeated ones as arrays.
  const out: Record<string, string | string[]> = {};
  for (const [rawName, rawValue] of lines) {
    const name = text(rawName);
    const value = text(rawValue);
    const previous = Object.hasOwn(out, name) ? out[name] : undefined;
    Object.defineProperty(out, name, {
      value: previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value],
      enumerable: true,
      configurable: true,
      writable: true,
    });
  }
  return out;
}

describe('receive() under hostile input (property-based)', () => {
  const watch = watchProcess();
  const prototypesBefore = prototypeKeys();
  let runs = 0;
  let requests = 0;
  let handled = 0;
  let elapsedMs = 0;

  afterAll(async () => {
    await new Promise((resolve) => setImmediate(resolve));
    watch.dispose();
    console.log(`receive() fuzz: ${runs} runs, ${requests} deliveries, ${handled} handler calls, ${elapsedMs} ms`);
  });

  it('never throws, never answers 5xx for what a client sends, and runs handlers only for signed, first-seen, JSON deliveries', { timeout: 60_000 }, async () => {
    const started = performance.now();
    await fc.assert(
      fc.asyncProperty(
        fc.integer().chain((seed) => fc.tuple(fc.constant(seed), deliveries(`r${seed}_`, 6), fc.array(fc.tuple(bodyForm, headerForm), { minLength: 6, maxLength: 6 }))),
        async ([, batch, forms]) => {
          runs++;
          const receiver = createReceiver({ verifier: standardWebhooks({ secret: SECRET }), logger: silentLogger, bodyTimeoutMs: 2_000 });
          const calls: string[] = [];
          const signaturesSeen: string[] = [];
          receiver.on('*', (event, ctx) => {
            calls.push(event.id);
            signaturesSeen.push(ctx.headers.get('webhook-signature') ?? '');
            const payload = event.payload;
            // A JSON object's prototype is the plain one, whatever keys it carries.
            if (typeof payload === 'object' && payload !== null) {
              expect([Object.prototype, Array.prototype]).toContain(Object.getPrototypeOf(payload));
            }
          });
          const expectedCalls = new Set<string>();
          const signedSignatures = new Set<string>();
          for (const [index, delivery] of batch.entries()) {
            const [form, headersForm] = forms[index]!;
            const rawBody = bodyAs(form, delivery.body) ?? delivery.body;
            requests++;
            const result: ReceiveResult = await receiver.receive({ rawBody, headers: headersAs(headersForm, delivery.headers) });
            const failing = form === 'failing-stream';
            checkAnswer(delivery, result, failing);
            if (delivery.kind === 'signed' && !failing && isJsonBody(delivery.body)) {
              expectedCalls.add(delivery.id);
              signedSignatures.add(signatureOf(delivery));
            }
          }
          handled += calls.length;
          expect(new Set(calls).size).toBe(calls.length);
          expect(new Set(calls)).toEqual(expectedCalls);
          // Every handler run was caused by a correctly signed request, not by a forgery of its id.
          for (const signature of signaturesSeen) expect(signedSignatures).toContain(signature);
        },
      ),
      { numRuns: NUM_RUNS },
    );
    elapsedMs = Math.round(performance.now() - started);
    expect(watch.faults).toEqual([]);
    expect(prototypeKeys()).toEqual(prototypesBefore);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

/** The answer a delivery must get: 200 for a signed JSON one, 400 for a signed other one, 4xx otherwise. */
function checkAnswer(delivery: Delivery, result: ReceiveResult, failing: boolean): void {
  const summary = { kind: delivery.kind, status: result.status, outcome: result.outcome, code: result.error?.code };
  if (delivery.kind === 'signed' && !failing) {
    if (isJsonBody(delivery.body)) {
      expect(summary).toMatchObject({ status: 200 });
      expect(['processed', 'duplicate']).toContain(result.outcome);
    } else {
      expect(summary).toMatchObject({ status: 400 });
    }
    return;
  }
  expect(summary.status, JSON.stringify(summary)).toBeGreaterThanOrEqual(400);
  expect(summary.status, JSON.stringify(summary)).toBeLessThan(500);
  expect(result.body).toMatch(/^\{"error":"ERR_HOOKGUARD_[A-Z_]+"\}$/);
}
