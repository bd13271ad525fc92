// Cost of one standardWebhooks() verify against a bare node:crypto HMAC over the same content.
// Rounds alternate between the contenders and the best round counts, so load from other processes
// inflates neither side. Run from the repository root:
//   node_modules/.bin/tsx --conditions=@hookguard/source packages/core/src/verifiers/standard-webhooks.bench.ts
import { createHmac, createSecretKey, timingSafeEqual } from 'node:crypto';
import { toWebhookHeaders } from '../http/headers.js';
import { standardWebhooks } from './standard-webhooks.js';

const secretBytes = new Uint8Array(32).fill(7);
const secret = `whsec_${Buffer.from(secretBytes).toString('base64')}`;
const nowMs = 1_700_000_000_000;
const timestamp = String(nowMs / 1000);
const id = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W';
const ROUNDS = 25;

function jsonBody(size: number): Uint8Array {
  const head = '{"type":"invoice.paid","timestamp":"2022-11-03T20:26:10.344522Z","data":{"x":"';
  const tail = '"}}';
  return new TextEncoder().encode(head + 'a'.repeat(size - head.length - tail.length) + tail);
}

async function round(run: () => unknown, iterations: number): Promise<number> {
  const start = process.hrtime.bigint();
  for (let index = 0; index < iterations; index++) await run();
  return Number(process.hrtime.bigint() - start) / iterations / 1000;
}

const verifier = standardWebhooks({ secret, now: () => nowMs });
const key = createSecretKey(secretBytes);
const decoder = new TextDecoder('utf-8', { fatal: true });
for (const size of [1024, 64 * 1024]) {
  const rawBody = jsonBody(size);
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(rawBody).digest();
  const headers = toWebhookHeaders({
    'webhook-id': id,
    'webhook-timestamp': timestamp,
    'webhook-signature': `v1,${signature.toString('base64')}`,
  });
  const contenders: Record<string, () => unknown> = {
    'bare createHmac + timingSafeEqual': () =>
      timingSafeEqual(createHmac('sha256', key).update(`${id}.${timestamp}.`).update(rawBody).digest(), signature),
    'bare createHmac + timingSafeEqual + JSON.parse': () =>
      timingSafeEqual(createHmac('sha256', key).update(`${id}.${timestamp}.`).update(rawBody).digest(), signature) &&
      JSON.parse(decoder.decode(rawBody)),
    'standardWebhooks().verify': () => verifier.verify({ rawBody, headers }),
  };
  const iterations = size > 4096 ? 2_000 : 20_000;
  const best: Record<string, number> = {};
  for (const [name, run] of Object.entries(contenders)) await round(run, iterations);
  for (let index = 0; index < ROUNDS; index++) {
    for (const [name, run] of Object.entries(contenders)) best[name] = Math.min(best[name] ?? Infinity, await round(run, iterations));
  }
  console.log(`${size / 1024} KB body (best of ${ROUNDS} rounds of ${iterations}):`);
  for (const [name, micros] of Object.entries(best)) console.log(`  ${name.padEnd(48)} ${micros.toFixed(2).padStart(7)} µs`);
  const ours = best['standardWebhooks().verify']!;
  console.log(`  verify / bare HMAC: ${(ours / best['bare createHmac + timingSafeEqual']!).toFixed(2)}x; ` +
    `verify / bare HMAC + parse: ${(ours / best['bare createHmac + timingSafeEqual + JSON.parse']!).toFixed(2)}x`);
}
