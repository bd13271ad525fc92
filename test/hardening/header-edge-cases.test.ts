// Header edge cases of the Standard Webhooks scheme, in receive() and over a real socket in every
// adapter: repeated `webhook-signature` lines, and `webhook-timestamp` texts that are not plain
// decimal seconds.
import { createReceiver, silentLogger, standardWebhooks, type Receiver } from '@hookguard/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADAPTERS, SECRET, exchange, expectedSignature, listen, nowSeconds, requestHead, sdkSignature, type HeaderLine, type Listening } from './harness.js';

const BODY = '{"type":"edge.case","data":{"n":1}}';
const bytes = new TextEncoder().encode(BODY);
let sequence = 0;
const nextId = (): string => `msg_edge_${Date.now().toString(36)}_${sequence++}`;

function receiverWithCalls(): { receiver: Receiver; calls: string[] } {
  const receiver = createReceiver({ verifier: standardWebhooks({ secret: SECRET }), logger: silentLogger });
  const calls: string[] = [];
  receiver.on('*', (event) => void calls.push(event.id));
  return { receiver, calls };
}

/** A signature by the SDK under the endpoint's secret, and one under another endpoint's. */
function signatures(id: string, seconds: number): { valid: string; wrong: string } {
  return { valid: sdkSignature(id, seconds, BODY), wrong: sdkSignature(id, seconds, BODY, 'other') };
}

describe('repeated webhook-signature header lines', () => {
  // Standard Webhooks defines webhook-signature as one space-separated list, yet HTTP lets a sender
  // or a proxy split a field into several lines, which Node joins with ", " (RFC 9110 §5.3). The
  // spec asks receivers to accept a delivery when any listed signature matches (that is what makes
  // key rotation work), and the official SDK does so for joined lines as well: so does hookguard.
  // A repeated line can only add candidates; without one valid signature nothing passes.
  const orders = {
    'a valid line then a wrong one': (s: { valid: string; wrong: string }) => [s.valid, s.wrong],
    'a wrong line then a valid one': (s: { valid: string; wrong: string }) => [s.wrong, s.valid],
    'the same valid line twice': (s: { valid: string; wrong: string }) => [s.valid, s.valid],
    'a valid line and a line of two wrong signatures': (s: { valid: string; wrong: string }) => [s.valid, `${s.wrong} v1,${s.wrong.slice(3)}`],
  } as const;

  describe('receive() with the lines as Node joins them, as a list, and as a Web Headers', () => {
    for (const [name, lines] of Object.entries(orders)) {
      it(`accepts ${name}`, async () => {
        const { receiver, calls } = receiverWithCalls();
        const forms = [
          (id: string, seconds: number, list: string[]) => ({ 'webhook-id': id, 'webhook-timestamp': String(seconds), 'webhook-signature': list.join(', ') }),
          (id: string, seconds: number, list: string[]) => ({ 'webhook-id': id, 'webhook-timestamp': String(seconds), 'webhook-signature': list }),
          (id: string, seconds: number, list: string[]) => {
            const headers = new Headers({ 'webhook-id': id, 'webhook-timestamp': String(seconds) });
            for (const line of list) headers.append('webhook-signature', line);
            return headers;
          },
        ];
        for (const form of forms) {
          const id = nextId();
          const seconds = nowSeconds();
          const result = await receiver.receive({ rawBody: bytes, headers: form(id, seconds, lines(signatures(id, seconds))) });
          expect({ status: result.status, body: result.body }).toEqual({ status: 200, body: '{"received":true}' });
        }
        expect(calls).toHaveLength(forms.length);
      });
    }

    it('refuses two lines of wrong signatures with 401 and runs nothing', async () => {
      const { receiver, calls } = receiverWithCalls();
      const id = nextId();
      const seconds = nowSeconds();
      const { wrong } = signatures(id, seconds);
      const nearMiss = `v1,${expectedSignature(id, String(seconds + 1), bytes)}`;
      const result = await receiver.receive({ rawBody: bytes, headers: { 'webhook-id': id, 'webhook-timestamp': String(seconds), 'webhook-signature': [wrong, nearMiss] } });
      expect({ status: result.status, body: result.body }).toEqual({ status: 401, body: '{"error":"ERR_HOOKGUARD_SIGNATURE_MISMATCH"}' });
      expect(calls).toEqual([]);
    });

    it('does not take a comma-joined signature for its neighbour: a valid signature with text glued on stays invalid', async () => {
      const { receiver, calls } = receiverWithCalls();
      const id = nextId();
      const seconds = nowSeconds();
      const { valid } = signatures(id, seconds);
      for (const tampered of [`${valid},`, `${valid},x`, `${valid}x`, `x${valid}`, valid.replace('v1,', 'v1,,')]) {
        const result = await receiver.receive({ rawBody: bytes, headers: { 'webhook-id': id, 'webhook-timestamp': String(seconds), 'webhook-signature': tampered } });
        // 401 for a v1 entry that does not decode to a match, 400 when no entry is a v1 one at all.
        expect({ tampered, refused: result.status === 401 || result.status === 400 }).toEqual({ tampered, refused: true });
      }
      expect(calls).toEqual([]);
    });
  });

  describe.each(ADAPTERS)('%s over a socket', (adapter) => {
    let server: Listening;
    let state: ReturnType<typeof receiverWithCalls>;
    beforeAll(async () => {
      state = receiverWithCalls();
      server = await listen(adapter, state.receiver);
    });
    afterAll(() => server.close());

    for (const [name, lines] of Object.entries(orders)) {
      it(`accepts ${name}`, async () => {
        const id = nextId();
        const seconds = nowSeconds();
        const head = requestHead([
          ['content-type', 'application/json'],
          ['content-length', String(bytes.byteLength)],
          ['webhook-id', id],
          ['webhook-timestamp', String(seconds)],
          ...lines(signatures(id, seconds)).map((line): HeaderLine => ['webhook-signature', line]),
        ]);
        const answer = await exchange(server.port, head, [bytes]);
        expect({ status: answer.status, body: answer.body }).toEqual({ status: 200, body: '{"received":true}' });
        expect(state.calls).toContain(id);
      });
    }

    it('refuses two wrong lines with 401', async () => {
      const id = nextId();
      const seconds = nowSeconds();
      const { wrong } = signatures(id, seconds);
      const head = requestHead([
        ['content-length', String(bytes.byteLength)],
        ['webhook-id', id],
        ['webhook-timestamp', String(seconds)],
        ['webhook-signature', wrong],
        ['webhook-signature', `v1,${expectedSignature(id, String(seconds - 1), bytes)}`],
      ]);
      const answer = await exchange(server.port, head, [bytes]);
      expect({ status: answer.status, body: answer.body }).toEqual({ status: 401, body: '{"error":"ERR_HOOKGUARD_SIGNATURE_MISMATCH"}' });
      expect(state.calls).not.toContain(id);
    });
  });
});

describe('webhook-timestamp texts', () => {
  // The signed content is `${id}.${timestamp}.${body}` with the header text as sent, so hookguard
  // reads only plain decimal digits (at most 12) and verifies the signature over that very text.
  // Signs, decimals, exponents, spaces and other digit systems are refused as malformed rather
  // than guessed at, even when signed: the SDK's parseInt() would read '1.7e9' as 1 and '+17…' as 17….
  const cases: { name: string; text: (seconds: number) => string; status: number; code?: string }[] = [
    { name: 'plain seconds', text: (s) => String(s), status: 200 },
    { name: 'one leading zero (signed over that text)', text: (s) => `0${s}`, status: 200 },
    { name: 'two leading zeros, 12 digits', text: (s) => `00${s}`, status: 200 },
    { name: 'three leading zeros, 13 digits', text: (s) => `000${s}`, status: 400, code: 'ERR_HOOKGUARD_MALFORMED_HEADER' },
    { name: 'a plus sign', text: (s) => `+${s}`, status: 400, code: 'ERR_HOOKGUARD_MALFORMED_HEADER' },
    { name: 'a minus sign', text: (s) => `-${s}`, status: 400, code: 'ERR_HOOKGUARD_MALFORMED_HEADER' },
    { name: 'an exponent', text: (s) => `${(s / 1e9).toFixed(9)}e9`, status: 400, code: 'ERR_HOOKGUARD_MALFORMED_HEADER' },
    { name: 'a decimal fraction', text: (s) => `${s}.0`, status: 400, code: 'ERR_HOOKGUARD_MALFORMED_HEADER' },
    { name: 'milliseconds', text: (s) => `${s}000`, status: 400, code: 'ERR_HOOKGUARD_MALFORMED_HEADER' },
    { name: 'hexadecimal', text: (s) => `0x${s.toString(16)}`, status: 400, code: 'ERR_HOOKGUARD_MALFORMED_HEADER' },
    { name: 'a leading space', text: (s) => ` ${s}`, status: 400, code: 'ERR_HOOKGUARD_MALFORMED_HEADER' },
    { name: 'a trailing tab', text: (s) => `${s}\t`, status: 400, code: 'ERR_HOOKGUARD_MALFORMED_HEADER' },
    { name: 'Arabic-Indic digits', text: (s) => String(s).replace(/\d/g, (d) => String.fromCharCode(0x660 + Number(d))), status: 400, code: 'ERR_HOOKGUARD_MALFORMED_HEADER' },
    { name: 'an empty value', text: () => '', status: 400, code: 'ERR_HOOKGUARD_MISSING_HEADER' },
    { name: 'a time ten minutes old', text: (s) => String(s - 600), status: 401, code: 'ERR_HOOKGUARD_TIMESTAMP_TOO_OLD' },
    { name: 'zero', text: () => '0', status: 401, code: 'ERR_HOOKGUARD_TIMESTAMP_TOO_OLD' },
    { name: 'the year 33658', text: () => '999999999999', status: 401, code: 'ERR_HOOKGUARD_TIMESTAMP_TOO_NEW' },
  ];

  it.each(cases)('receive(): $name → $status', async ({ text, status, code }) => {
    const { receiver, calls } = receiverWithCalls();
    const id = nextId();
    const timestamp = text(nowSeconds());
    const signature = `v1,${expectedSignature(id, timestamp, bytes)}`;
    const result = await receiver.receive({ rawBody: bytes, headers: { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signature } });
    expect({ status: result.status, code: result.error?.code }).toEqual({ status, code });
    expect(calls).toHaveLength(status === 200 ? 1 : 0);
  });

  it('receive(): refuses a plain timestamp whose signature covers another spelling of it', async () => {
    const { receiver, calls } = receiverWithCalls();
    const id = nextId();
    const seconds = nowSeconds();
    // What a replay that rewrites `1700000000` as `01700000000` (same instant) would present.
    const result = await receiver.receive({
      rawBody: bytes,
      headers: { 'webhook-id': id, 'webhook-timestamp': `0${seconds}`, 'webhook-signature': sdkSignature(id, seconds, BODY) },
    });
    expect(result.status).toBe(401);
    expect(calls).toEqual([]);
  });

  describe.each(ADAPTERS)('%s over a socket', (adapter) => {
    let server: Listening;
    let state: ReturnType<typeof receiverWithCalls>;
    beforeAll(async () => {
      state = receiverWithCalls();
      server = await listen(adapter, state.receiver);
    });
    afterAll(() => server.close());

    async function send(timestamp: string, signedOver: string): Promise<number | undefined> {
      const id = nextId();
      const head = requestHead([
        ['content-length', String(bytes.byteLength)],
        ['webhook-id', id],
        ['webhook-timestamp', timestamp],
        ['webhook-signature', `v1,${expectedSignature(id, signedOver, bytes)}`],
      ]);
      return (await exchange(server.port, head, [bytes])).status;
    }

    it('answers malformed timestamps with 400, never 5xx', async () => {
      const seconds = nowSeconds();
      for (const text of [`+${seconds}`, `${seconds}.0`, `1.7e9`, `000${seconds}`, `0x${seconds.toString(16)}`]) {
        expect({ text, status: await send(text, text) }).toEqual({ text, status: 400 });
      }
    });

    it('accepts leading zeros signed over that text', async () => {
      const text = `0${nowSeconds()}`;
      expect(await send(text, text)).toBe(200);
    });

    it('sees a timestamp without the spaces around it, as HTTP defines field values (RFC 9110 §5.5)', async () => {
      const seconds = String(nowSeconds());
      // Node strips the optional whitespace, so a signature over the padded text no longer matches…
      expect(await send(`  ${seconds}\t`, `  ${seconds}\t`)).toBe(401);
      // …and one over the bare digits does.
      expect(await send(`  ${seconds}\t`, seconds)).toBe(200);
    });
  });
});
