import { createSecretKey } from 'node:crypto';
import { standardWebhooks, toWebhookHeaders } from '@hookguard/core';
import { Webhook } from 'standardwebhooks';
import { SECRET, signDelivery } from '../http/deliveries.js';
import { interleavedBench } from '../micro/interleaved-bench.js';
import { BODY_SIZES, jsonBody, sizeName } from '../micro/json-body.js';
import { oneShotHmac, referenceVerify } from '../micro/reference-verify.js';
import { pairedFigure, type Figure } from '../report/figures.js';
import { series } from '../report/statistics.js';
import type { BenchContext, BenchOutcome } from './benchmark.js';

/** Micro-benchmark settings shared by B3 and B4. */
export function microSettings(quick: boolean, bytes: number): { rounds: number; timeMs: number; warmupMs: number; batch: number } {
  return { rounds: quick ? 3 : 5, timeMs: quick ? 60 : 300, warmupMs: quick ? 250 : 1000, batch: bytes > 4096 ? 8 : 100 };
}

/** Operations per second from microseconds per operation. */
function opsPerSecond(micros: readonly number[]): number[] {
  return micros.map((value) => 1e6 / value);
}

/**
 * B3: one Standard Webhooks verify (headers, freshness, HMAC, constant-time compare, JSON parse)
 * through hookguard, against the least node:crypto needs for the same work, and against the
 * `standardwebhooks` package.
 */
export async function runB3(context: BenchContext): Promise<BenchOutcome> {
  const secretBytes = Buffer.from(SECRET.slice('whsec_'.length), 'base64');
  const key = createSecretKey(secretBytes);
  const oneShot = oneShotHmac(secretBytes);
  const verifier = standardWebhooks({ secret: SECRET });
  const sdk = new Webhook(SECRET);
  const figures: Figure[] = [];
  for (const bytes of BODY_SIZES) {
    const size = sizeName(bytes);
    const body = jsonBody(bytes, { type: 'invoice.paid', timestamp: '2025-01-01T00:00:00.000Z' });
    const headers = signDelivery('msg_2KWPBgLlAfxdpx2AI54pPJ85f4W', Math.floor(Date.now() / 1000), body);
    // Every contender must accept the delivery, or the comparison is of error paths.
    await verifier.verify({ rawBody: body, headers: toWebhookHeaders(headers) });
    sdk.verify(body, headers);
    referenceVerify(key, body, headers, true);
    referenceVerify(key, body, headers, true, oneShot);
    context.log(`  B3 ${size}`);
    const micros = await interleavedBench(
      [
        { name: 'hookguard', run: () => verifier.verify({ rawBody: body, headers: toWebhookHeaders(headers) }) },
        { name: 'reference', run: () => referenceVerify(key, body, headers, true) },
        { name: 'reference without parse', run: () => referenceVerify(key, body, headers, false) },
        { name: 'reference, one-shot HMAC', run: () => referenceVerify(key, body, headers, true, oneShot) },
        { name: 'standardwebhooks', run: () => sdk.verify(body, headers) },
      ],
      { ...microSettings(context.quick, bytes), log: context.log },
    );
    const hookguard = micros.get('hookguard')!;
    figures.push(
      pairedFigure({
        id: 'B3',
        key: `B3.${bytes / 1024}k.reference`,
        title: `Standard Webhooks verify, ${size}: hookguard µs ÷ minimal node:crypto verify + parse µs`,
        numerator: series('hookguard', 'µs', hookguard),
        denominator: series('node:crypto reference', 'µs', micros.get('reference')!),
        goal: { op: '<=', value: 1.25 },
      }),
      pairedFigure({
        id: 'B3',
        key: `B3.${bytes / 1024}k.standardwebhooks`,
        title: `Standard Webhooks verify, ${size}: hookguard ops/s ÷ standardwebhooks ops/s`,
        numerator: series('hookguard', 'ops/s', opsPerSecond(hookguard)),
        denominator: series('standardwebhooks', 'ops/s', opsPerSecond(micros.get('standardwebhooks')!)),
        goal: { op: '>=', value: bytes > 4096 ? 8 : 4 },
      }),
      pairedFigure({
        id: 'B3',
        key: `B3.${bytes / 1024}k.standardwebhooks-ceiling`,
        title: `Standard Webhooks verify, ${size}: node:crypto reference ops/s ÷ standardwebhooks ops/s`,
        numerator: series('node:crypto reference', 'ops/s', opsPerSecond(micros.get('reference')!)),
        denominator: series('standardwebhooks', 'ops/s', opsPerSecond(micros.get('standardwebhooks')!)),
        notes: ['information: the most a verifier doing the same work with one createHmac per signature can be faster than standardwebhooks here'],
      }),
      pairedFigure({
        id: 'B3',
        key: `B3.${bytes / 1024}k.reference-one-shot`,
        title: `Standard Webhooks verify, ${size}: hookguard µs ÷ minimal node:crypto verify + parse with the one-shot HMAC µs`,
        numerator: series('hookguard', 'µs', hookguard),
        denominator: series('node:crypto reference, one-shot HMAC', 'µs', micros.get('reference, one-shot HMAC')!),
        notes: ['information: the reference with the HMAC hookguard computes for content up to 16 KB (two crypto.hash calls, no Hmac object)'],
      }),
      pairedFigure({
        id: 'B3',
        key: `B3.${bytes / 1024}k.hmac-only`,
        title: `Standard Webhooks verify, ${size}: hookguard µs ÷ node:crypto verify without JSON.parse µs`,
        numerator: series('hookguard', 'µs', hookguard),
        denominator: series('node:crypto, no parse', 'µs', micros.get('reference without parse')!),
        notes: ['information: hookguard also parses the body, which this reference skips'],
      }),
    );
  }
  return { figures, skipped: [] };
}
