// Header blocks at and beyond what Node's HTTP parser accepts (16 KiB, 2 000 lines by default),
// in every adapter over a real socket: the server answers 431 or closes, and never crashes.
import { createReceiver, silentLogger, standardWebhooks, type Receiver } from '@hookguard/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADAPTERS, MiB, SECRET, exchange, listen, memoryPeaks, nowSeconds, requestHead, sdkSignature, settledMemory, watchProcess, type HeaderLine, type Listening } from './harness.js';

const BODY = '{"type":"limits"}';
let sequence = 0;

function signedHeaders(): HeaderLine[] {
  const id = `msg_limits_${Date.now().toString(36)}_${sequence++}`;
  const seconds = nowSeconds();
  return [
    ['content-length', String(Buffer.byteLength(BODY))],
    ['webhook-id', id],
    ['webhook-timestamp', String(seconds)],
    ['webhook-signature', sdkSignature(id, seconds, BODY)],
  ];
}

/** A header line that never ends, made as the socket takes it. */
function* endlessHeader(): Generator<Uint8Array> {
  const piece = Buffer.alloc(16 * 1024, 0x61);
  for (;;) yield piece;
}

const closedOr431 = (status: number | undefined, closedAfterMs: number | undefined): boolean => status === 431 || (status === undefined && closedAfterMs !== undefined);

describe.each(ADAPTERS)('%s: header limits over a socket', (adapter) => {
  const watch = watchProcess();
  let server: Listening;
  let receiver: Receiver;
  let calls = 0;
  beforeAll(async () => {
    receiver = createReceiver({ verifier: standardWebhooks({ secret: SECRET }), logger: silentLogger });
    receiver.on('*', () => void calls++);
    server = await listen(adapter, receiver);
  });
  afterAll(async () => {
    await server.close();
    watch.dispose();
    expect(watch.faults).toEqual([]);
  });

  it('processes a signed delivery whose headers fill 15 KiB', async () => {
    const before = calls;
    const head = requestHead([...signedHeaders(), ['x-padding', 'p'.repeat(15 * 1024)]]);
    const answer = await exchange(server.port, head, [Buffer.from(BODY)]);
    expect({ status: answer.status, body: answer.body }).toEqual({ status: 200, body: '{"received":true}' });
    expect(calls).toBe(before + 1);
  });

  it('answers 431 (or closes) for 17 KiB of headers, and for 1 MiB in one value', async () => {
    const before = calls;
    for (const size of [17 * 1024, MiB]) {
      const head = requestHead([...signedHeaders(), ['x-padding', 'p'.repeat(size)]]);
      const answer = await exchange(server.port, head, [Buffer.from(BODY)]);
      expect({ size, ok: closedOr431(answer.status, answer.closedAfterMs) }).toEqual({ size, ok: true });
    }
    expect(calls).toBe(before);
  });

  it('stops reading a header line that never ends: 431 or closed at once, memory flat', async () => {
    const before = settledMemory();
    const peaks = memoryPeaks();
    const head = Buffer.from(`POST /webhooks HTTP/1.1\r\nHost: 127.0.0.1\r\nx-endless: `);
    const answer = await exchange(server.port, head, endlessHeader(), { untilServerCloses: true, giveUpMs: 5_000 });
    const peak = peaks.stop();
    expect(closedOr431(answer.status, answer.closedAfterMs)).toBe(true);
    expect(answer.closedAfterMs).toBeLessThan(2_000);
    expect(answer.bodyBytesSent).toBeLessThan(16 * MiB);
    expect(peak.rss - before.rss).toBeLessThan(64 * MiB);
  });

  it('answers 4xx, never 5xx, when more than 2 000 header lines push the scheme headers out', async () => {
    const before = calls;
    const filler: HeaderLine[] = Array.from({ length: 2_100 }, () => ['h', 'v'] as const);
    // Node keeps the first 2 000 lines (maxHeadersCount) and drops the rest, here the scheme's own.
    const last = await exchange(server.port, requestHead([...filler, ...signedHeaders()]), [Buffer.from(BODY)]);
    expect(last.status).toBe(400);
    const first = await exchange(server.port, requestHead([...signedHeaders(), ...filler]), [Buffer.from(BODY)]);
    expect(first.status).toBe(200);
    expect(calls).toBe(before + 1);
  });

  it('answers 400 (or closes) for header bytes HTTP forbids, and runs nothing', async () => {
    const before = calls;
    const broken: HeaderLine[][] = [
      [['x-nul', Buffer.from([0x61, 0x00, 0x62])]],
      [['x-bare-cr', Buffer.from('a\rb')]],
      [['bad name', 'v']],
      [[Buffer.from([0xc3, 0xa9]), 'v']],
      [['x-obs-fold', 'a\r\n b']],
      [['content-length', '5'], ['content-length', '6']],
      [['transfer-encoding', 'chunked']],
    ];
    for (const extra of broken) {
      const answer = await exchange(server.port, requestHead([...signedHeaders(), ...extra]), [Buffer.from(BODY)]);
      expect({ extra: String(extra[0]?.[0]), ok: answer.status === 400 || (answer.status === undefined && answer.closedAfterMs !== undefined) }).toEqual({
        extra: String(extra[0]?.[0]),
        ok: true,
      });
    }
    expect(calls).toBe(before);
  });
});
