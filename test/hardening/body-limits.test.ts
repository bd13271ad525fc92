// Body size and body time are enforced while the body streams in, in every adapter, over a real
// socket: a gigabyte is refused at maxBodyBytes without being buffered, and a slow drip is cut off
// at bodyTimeoutMs.
import { createReceiver, silentLogger, standardWebhooks, type Receiver } from '@hookguard/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADAPTERS,
  LAST_CHUNK,
  MiB,
  SECRET,
  chunk,
  exchange,
  listen,
  memoryPeaks,
  nowSeconds,
  pause,
  requestHead,
  sdkSignature,
  settledMemory,
  watchProcess,
  type HeaderLine,
  type Listening,
} from './harness.js';

const GiB = 1024 * MiB;
const MAX_BODY_BYTES = MiB;
const BODY_TIMEOUT_MS = 300;

/** Headers of a correctly signed delivery of a body that never comes in full. */
function signedHeaders(): HeaderLine[] {
  const id = `msg_big_${Math.random().toString(36).slice(2)}`;
  const seconds = nowSeconds();
  return [
    ['content-type', 'application/json'],
    ['webhook-id', id],
    ['webhook-timestamp', String(seconds)],
    // Signed over a small body: the server must refuse on size or time before any HMAC anyway.
    ['webhook-signature', sdkSignature(id, seconds, '{"type":"big"}')],
  ];
}

/** `total` bytes of a JSON-looking body in 64 KiB pieces, made as the socket takes them. */
function* lazyBody(total: number, framing: 'length' | 'chunked'): Generator<Uint8Array> {
  const piece = Buffer.alloc(64 * 1024, 0x20);
  piece[0] = 0x5b; // '['
  const framed = framing === 'chunked' ? chunk(piece) : piece;
  for (let sent = 0; sent < total; sent += piece.byteLength) yield framed;
  if (framing === 'chunked') yield LAST_CHUNK;
}

/** A body that never ends, one chunk after another. */
function* endlessChunks(): Generator<Uint8Array> {
  const framed = chunk(Buffer.alloc(64 * 1024, 0x20));
  for (;;) yield framed;
}

/** One byte every 100 ms of a declared 64-byte body, for far longer than the timeout. */
async function* slowDrip(): AsyncGenerator<Uint8Array> {
  for (let index = 0; index < 64; index++) {
    await pause(100);
    yield Buffer.from('x');
  }
}

describe.each(ADAPTERS)('%s: streamed body limits over a real socket', (adapter) => {
  // One server per defence, so the size limit is never rescued by the timeout or the other way round.
  let sizeLimited: Listening;
  let timeLimited: Listening;
  let calls = 0;
  const watch = watchProcess();

  function receiver(options: { maxBodyBytes?: number; bodyTimeoutMs?: number }): Receiver {
    const created = createReceiver({ verifier: standardWebhooks({ secret: SECRET }), logger: silentLogger, ...options });
    created.on('*', () => void calls++);
    return created;
  }

  beforeAll(async () => {
    sizeLimited = await listen(adapter, receiver({ maxBodyBytes: MAX_BODY_BYTES, bodyTimeoutMs: 60_000 }));
    timeLimited = await listen(adapter, receiver({ bodyTimeoutMs: BODY_TIMEOUT_MS }));
  });
  afterAll(async () => {
    await sizeLimited.close();
    await timeLimited.close();
    watch.dispose();
    expect(watch.faults).toEqual([]);
    expect(calls).toBe(0);
  });

  it('refuses a declared 1 GiB body with 413 at once, stops reading and keeps memory flat', async () => {
    const before = settledMemory();
    const peaks = memoryPeaks();
    const head = requestHead([...signedHeaders(), ['content-length', String(GiB)]]);
    const result = await exchange(sizeLimited.port, head, lazyBody(GiB, 'length'), { untilServerCloses: true, giveUpMs: 10_000 });
    const peak = peaks.stop();
    expect(result.status).toBe(413);
    expect(result.body).toBe('{"error":"ERR_HOOKGUARD_BODY_TOO_LARGE"}');
    expect(result.answeredAfterMs).toBeLessThan(2_000);
    // The server ended the connection instead of reading the gigabyte.
    expect(result.closedAfterMs).toBeLessThan(5_000);
    expect(result.bodyBytesSent).toBeLessThan(256 * MiB);
    expect(peak.rss - before.rss).toBeLessThan(64 * MiB);
    expect(peak.arrayBuffers - before.arrayBuffers).toBeLessThan(64 * MiB);
    report(adapter, 'declared 1 GiB', result, before, peak);
  });

  it('cuts an endless chunked body off at maxBodyBytes with 413, stops reading and keeps memory flat', async () => {
    const before = settledMemory();
    const peaks = memoryPeaks();
    const head = requestHead([...signedHeaders(), ['transfer-encoding', 'chunked']]);
    const result = await exchange(sizeLimited.port, head, endlessChunks(), { untilServerCloses: true, giveUpMs: 10_000 });
    const peak = peaks.stop();
    expect(result.status === 413 || (result.status === undefined && result.closedAfterMs !== undefined), JSON.stringify(result)).toBe(true);
    if (result.status === 413) expect(result.body).toBe('{"error":"ERR_HOOKGUARD_BODY_TOO_LARGE"}');
    expect(result.closedAfterMs).toBeLessThan(5_000);
    expect(result.bodyBytesSent).toBeLessThan(256 * MiB);
    expect(peak.rss - before.rss).toBeLessThan(64 * MiB);
    expect(peak.arrayBuffers - before.arrayBuffers).toBeLessThan(64 * MiB);
    report(adapter, 'endless chunked', result, before, peak);
  });

  it('cuts a chunked 1 GiB body off at maxBodyBytes with 413', async () => {
    const head = requestHead([...signedHeaders(), ['transfer-encoding', 'chunked']]);
    const result = await exchange(sizeLimited.port, head, lazyBody(GiB, 'chunked'), { untilServerCloses: true, giveUpMs: 10_000 });
    expect(result.status === 413 || (result.status === undefined && result.closedAfterMs !== undefined), JSON.stringify(result)).toBe(true);
    expect(result.closedAfterMs).toBeLessThan(5_000);
    expect(result.bodyBytesSent).toBeLessThan(256 * MiB);
  });

  it('answers a slow drip (a byte every 100 ms) with 408 at bodyTimeoutMs and closes the connection', async () => {
    const head = requestHead([...signedHeaders(), ['content-length', '64']]);
    const result = await exchange(timeLimited.port, head, slowDrip(), { untilServerCloses: true, giveUpMs: 6_000 });
    expect(result.status === 408 || (result.status === undefined && result.closedAfterMs !== undefined), JSON.stringify(result)).toBe(true);
    if (result.status === 408) {
      expect(result.body).toBe('{"error":"ERR_HOOKGUARD_BODY_TIMEOUT"}');
      expect(result.answeredAfterMs).toBeGreaterThanOrEqual(BODY_TIMEOUT_MS - 50);
      expect(result.answeredAfterMs).toBeLessThan(BODY_TIMEOUT_MS + 1_500);
    }
    // Far less than the 6.4 s the drip would take: the request is not held.
    expect(result.closedAfterMs).toBeLessThan(3_000);
    expect(result.bodyBytesSent).toBeLessThan(40);
    report(adapter, 'slow drip', result);
  });

  it('answers a slow chunked drip with 408 at bodyTimeoutMs and closes the connection', async () => {
    const head = requestHead([...signedHeaders(), ['transfer-encoding', 'chunked']]);
    async function* drip(): AsyncGenerator<Uint8Array> {
      for (let index = 0; index < 64; index++) {
        await pause(100);
        yield chunk(Buffer.from('x'));
      }
    }
    const result = await exchange(timeLimited.port, head, drip(), { untilServerCloses: true, giveUpMs: 6_000 });
    expect(result.status === 408 || (result.status === undefined && result.closedAfterMs !== undefined), JSON.stringify(result)).toBe(true);
    expect(result.closedAfterMs).toBeLessThan(3_000);
  });
});

function report(adapter: string, what: string, result: { status: number | undefined; answeredAfterMs: number | undefined; closedAfterMs: number | undefined; bodyBytesSent: number }, before?: { rss: number; arrayBuffers: number }, peak?: { rss: number; arrayBuffers: number }): void {
  const memory =
    before === undefined || peak === undefined
      ? ''
      : `, peak growth rss ${((peak.rss - before.rss) / MiB).toFixed(1)} MiB, arrayBuffers ${((peak.arrayBuffers - before.arrayBuffers) / MiB).toFixed(1)} MiB`;
  console.log(
    `[${adapter}] ${what}: status ${result.status ?? 'none'} after ${result.answeredAfterMs ?? '-'} ms, closed after ${result.closedAfterMs ?? '-'} ms, ${(result.bodyBytesSent / MiB).toFixed(2)} MiB sent${memory}`,
  );
}
