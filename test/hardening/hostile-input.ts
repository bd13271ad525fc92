// Arbitraries (fast-check) of hostile deliveries: bodies, headers and signatures an attacker or a
// broken sender can produce, mixed with correctly signed deliveries whose outcome is known.
import fc from 'fast-check';
import { LAST_CHUNK, SECRET, SECRET_KEY, chunk, expectedSignature, nowSeconds, requestHead, sdkSignature, type HeaderLine } from './harness.js';

const encoder = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
/** Keeps a byte order mark, so the text encodes back to the very bytes. */
const exactUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Keys that reach prototypes when a parser or a merge treats them as paths. */
const PROTO_KEYS = ['__proto__', 'constructor', 'prototype'] as const;

/** A JSON text that tries `__proto__`, `constructor` and `prototype` at various depths. */
const prototypeJson: fc.Arbitrary<string> = fc
  .tuple(
    fc.array(fc.constantFrom(...PROTO_KEYS), { minLength: 1, maxLength: 4 }),
    fc.constantFrom('{"polluted":true}', '{"toString":"x","valueOf":1}', '"x"', 'null', '[1]', '{"__proto__":{"polluted":1}}'),
    fc.boolean(),
  )
  .map(([path, leaf, asType]) => {
    const nested = path.reduceRight<string>((inner, key) => `{"${key}":${inner}}`, leaf);
    return asType ? `{"__proto__":{"type":"hijacked"},"type":"fuzz.proto","data":${nested}}` : `{"type":"fuzz.proto","data":${nested},"${path[0]}":${leaf}}`;
  });

/** Arrays or objects nested up to 100 000 levels, closed or not. */
const deepJson: fc.Arbitrary<string> = fc
  .tuple(
    // 100 000 levels cost a JSON parser ~0.1 s, so they are drawn rarely here and sent for certain in hostile-bodies.test.ts.
    fc.oneof({ weight: 12, arbitrary: fc.integer({ min: 1, max: 2_000 }) }, { weight: 2, arbitrary: fc.constant(10_000) }, { weight: 1, arbitrary: fc.constant(100_000) }),
    fc.constantFrom('[', '{"a":'),
    fc.boolean(),
  )
  .map(([depth, open, closed]) => {
    const close = open === '[' ? ']' : '}';
    const inner = open === '[' ? '' : '0';
    return `{"type":"fuzz.deep","data":${open.repeat(depth)}${inner}${closed ? close.repeat(depth) : ''}}`;
  });

/** Numbers JSON allows but doubles cannot hold: huge, tiny, long. */
const hugeNumberJson: fc.Arbitrary<string> = fc
  .tuple(fc.stringMatching(/^[1-9][0-9]{0,40}$/), fc.integer({ min: 300, max: 100_000 }), fc.integer({ min: 1, max: 20_000 }))
  .map(([digits, exponent, length]) => `{"type":"fuzz.number","id":${digits}${'9'.repeat(length)},"data":[${digits}e${exponent},-${digits}e-${exponent},${'1'.repeat(length)}.5]}`);

/** Any JSON value fast-check can think of, under a `type`. */
const plainJson: fc.Arbitrary<string> = fc
  .tuple(fc.string({ maxLength: 30 }), fc.jsonValue({ maxDepth: 4 }))
  .map(([type, data]) => JSON.stringify({ type, data }));

/** A body text that is valid JSON. */
export const validJsonBody: fc.Arbitrary<string> = fc.oneof(prototypeJson, deepJson, hugeNumberJson, plainJson, fc.json({ maxDepth: 3 }));

/** Bytes that are mostly not a JSON text (not UTF-8, empty, truncated); {@link isJsonBody} decides. */
const brokenBody: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 2_048 }),
  fc.string({ maxLength: 200 }).map((text) => encoder.encode(`{"type":"x",${text}`)),
  fc.constantFrom(new Uint8Array(0), Uint8Array.of(0xef, 0xbb, 0xbf), Uint8Array.of(0xc3, 0x28), encoder.encode('{"type":"x","a":"\udc00"'), encoder.encode('\u2028')),
);

/** Any body: valid JSON or not. */
export const anyBody: fc.Arbitrary<Uint8Array> = fc.oneof(validJsonBody.map((text) => encoder.encode(text)), brokenBody);

/** Whether the receiver can decode `body` as JSON: the handler runs for a signed one only then. */
export function isJsonBody(body: Uint8Array): boolean {
  let known = jsonBodies.get(body);
  if (known === undefined) {
    try {
      JSON.parse(strictUtf8.decode(body));
      known = true;
    } catch {
      known = false;
    }
    jsonBodies.set(body, known);
  }
  return known;
}

const jsonBodies = new WeakMap<Uint8Array, boolean>();

const headerToken = fc.stringMatching(/^[a-z0-9!#$%&'*+.^_`|~-]{1,24}$/);
/** Header values a client may legally send: visible ASCII, spaces, tabs and obs-text bytes. */
const legalValue = (maxLength: number): fc.Arbitrary<Uint8Array> =>
  fc.uint8Array({ maxLength }).map((bytes) => bytes.map((byte) => (byte < 0x20 || byte === 0x7f ? 0x41 + (byte % 26) : byte)));

/** Extra header lines that a signed delivery may carry without affecting its verification. */
export const harmlessHeaders: fc.Arbitrary<HeaderLine[]> = fc.array(
  fc.tuple(headerToken.map((name) => `x-fuzz-${name}`), fc.oneof(legalValue(64), legalValue(2_000))),
  { maxLength: 6 },
);

/** Header lines of any shape: illegal names and values, huge ones, thousands, repeats of the scheme's own. */
export const hostileHeaders: fc.Arbitrary<HeaderLine[]> = fc.oneof(
  harmlessHeaders,
  fc.array(fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 20 }), fc.uint8Array({ maxLength: 100 })), { maxLength: 4 }),
  fc.array(fc.tuple(fc.constantFrom('webhook-id', 'webhook-timestamp', 'webhook-signature', 'Webhook-Signature', 'svix-id', 'content-type', 'content-length'), fc.string({ maxLength: 60 })), { maxLength: 4 }),
  fc.array(
    fc.tuple(
      fc.constantFrom('expect', 'content-encoding', 'transfer-encoding', 'connection', 'upgrade', 'host', 'content-length'),
      fc.constantFrom('100-continue', 'gzip', 'deflate', 'br', 'chunked', 'chunked, chunked', 'gzip, chunked', 'identity', 'close', 'keep-alive', 'upgrade', 'websocket', 'h2c', '', '-1', '1e3', '0x10', '18446744073709551616'),
    ),
    { minLength: 1, maxLength: 3 },
  ),
  fc.integer({ min: 1, max: 200 }).map((kib): HeaderLine[] => [['x-huge', 'a'.repeat(kib * 1024)]]),
  fc.constantFrom(500, 2_100, 5_000).map((count): HeaderLine[] => Array.from({ length: count }, (_, index) => [`x-${index}`, 'v'] as const)),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }).map((text): HeaderLine[] => [[`x-${text}`, text], ['x-unicode', text]]),
);

/** Content types, from the expected to the nonsensical; all legal header values. */
export const contentType: fc.Arbitrary<string | undefined> = fc.oneof(
  fc.constantFrom(undefined, 'application/json', 'application/json; charset=utf-8', 'text/plain', 'json', '', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/octet-stream', 'application/json; charset=utf-16', '*/*', 'application/json, text/plain'),
  fc.stringMatching(/^[ -~]{0,80}$/).map((text) => text.trim()),
);

/** Timestamp header texts that are not plain decimal seconds. */
export const oddTimestamp: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('', '0', '-1', '1e9', '+1700000000', '0x65000000', 'NaN', 'Infinity', '1700000000.5', '99999999999999999999', ' ', '\t1', '١٧٠٠٠٠٠٠٠٠'),
  fc.integer({ min: 0, max: 4_000_000_000 }).map(String),
  fc.string({ maxLength: 30 }),
);

/** What a delivery is meant to be, which fixes the answer it must get. */
export type Kind = 'signed' | 'forged';

/** One request, described before it is framed for the wire or for `receive()`. */
export type Delivery = {
  kind: Kind;
  /** Header lines, in order; the `webhook-*` ones included. */
  headers: HeaderLine[];
  body: Uint8Array;
  framing: 'length' | 'chunked';
  /** The `webhook-id` the delivery was signed for (or pretends to be). */
  id: string;
  /** Every signature the receiver would accept for this exact request, as base64. */
  expected: string[];
};

/** Ids drawn from a small pool, so deliveries of one run collide: duplicates, forgeries of real ids. */
const idFromPool = fc.constantFrom('msg_a', 'msg_b', 'msg_c', 'msg_d');

/** Flips one base64 character of a `v1,<base64>` signature (a near miss). */
function nearMiss(signature: string, position: number): string {
  const comma = signature.indexOf(',') + 1;
  const body = signature.slice(comma);
  const index = position % Math.max(1, body.length - 2);
  const swapped = body[index] === 'A' ? 'B' : 'A';
  return `${signature.slice(0, comma)}${body.slice(0, index)}${swapped}${body.slice(index + 1)}`;
}

type ForgeryPlan =
  | { how: 'no-signature' | 'no-id' | 'no-timestamp' | 'no-headers' | 'other-secret' | 'stale' | 'future' | 'other-body' | 'other-id' }
  | { how: 'near-miss'; position: number }
  | { how: 'garbage-signature'; value: string }
  | { how: 'odd-timestamp'; value: string }
  | { how: 'many-signatures'; count: number };

const forgeryPlan: fc.Arbitrary<ForgeryPlan> = fc.oneof(
  fc.constantFrom('no-signature', 'no-id', 'no-timestamp', 'no-headers', 'other-secret', 'stale', 'future', 'other-body', 'other-id').map((how) => ({ how }) as ForgeryPlan),
  fc.nat(60).map((position): ForgeryPlan => ({ how: 'near-miss', position })),
  fc
    .oneof(
      fc.string({ maxLength: 120 }),
      fc.base64String({ maxLength: 60 }).map((text) => `v1,${text}`),
      fc.constantFrom('v1', 'v1,', ',', 'v2,abc', 'v1a,abc=', 'v1,====', ' v1, ', 'v1,a b', 'sha256=abc'),
    )
    .map((value): ForgeryPlan => ({ how: 'garbage-signature', value })),
  oddTimestamp.map((value): ForgeryPlan => ({ how: 'odd-timestamp', value })),
  fc.constantFrom(100, 300).map((count): ForgeryPlan => ({ how: 'many-signatures', count })),
);

const latin1 = (line: string | Uint8Array): string => (typeof line === 'string' ? line : Buffer.from(line).toString('latin1'));

/**
 * A delivery signed by the SDK with the endpoint's secret: a valid JSON body gets 200 and runs the
 * handler once per id; any other body gets 400 and runs nothing.
 */
export function signedDelivery(idPrefix: string, bodies: fc.Arbitrary<Uint8Array> = anyBody): fc.Arbitrary<Delivery> {
  return fc
    .record({ id: idFromPool, body: bodies, contentType, extra: harmlessHeaders, framing: fc.constantFrom('length' as const, 'chunked' as const), extraFirst: fc.boolean() })
    .map(({ id: short, body, contentType: type, extra, framing, extraFirst }) => {
      const id = `${idPrefix}${short}`;
      const seconds = nowSeconds();
      // The SDK signs strings as UTF-8; a body that is not UTF-8 is signed over its bytes instead.
      const signature = isUtf8(body) ? sdkSignature(id, seconds, exactUtf8.decode(body)) : `v1,${expectedSignature(id, String(seconds), body)}`;
      const own: HeaderLine[] = [
        ['webhook-id', id],
        ['webhook-timestamp', String(seconds)],
        ['webhook-signature', signature],
      ];
      if (type !== undefined) own.push(['content-type', type]);
      return {
        kind: 'signed' as const,
        headers: extraFirst ? [...extra, ...own] : [...own, ...extra],
        body,
        framing,
        id,
        expected: [expectedSignature(id, String(seconds), body)],
      };
    });
}

/** A delivery that must never run a handler: forged, replayed, malformed, or framed wrongly. */
export function forgedDelivery(idPrefix: string, bodies: fc.Arbitrary<Uint8Array> = anyBody): fc.Arbitrary<Delivery> {
  return fc
    .record({
      id: fc.oneof(idFromPool, fc.string({ maxLength: 40 })),
      body: bodies,
      contentType,
      plan: forgeryPlan,
      extra: hostileHeaders,
      framing: fc.constantFrom('length' as const, 'chunked' as const),
    })
    .map(({ id: short, body, contentType: type, plan, extra, framing }) => {
      const id = `${idPrefix}${short}`;
      const seconds = nowSeconds();
      const bodyText = new TextDecoder().decode(body);
      let timestamp = String(seconds);
      let signature: string | undefined;
      switch (plan.how) {
        case 'other-secret':
          signature = sdkSignature(id, seconds, bodyText, 'other');
          break;
        case 'stale':
          timestamp = String(seconds - 600);
          signature = sdkSignature(id, seconds - 600, bodyText);
          break;
        case 'future':
          timestamp = String(seconds + 600);
          signature = sdkSignature(id, seconds + 600, bodyText);
          break;
        case 'other-body':
          signature = sdkSignature(id, seconds, `${bodyText} `);
          break;
        case 'other-id':
          signature = sdkSignature(`${id}x`, seconds, bodyText);
          break;
        case 'near-miss':
          signature = nearMiss(`v1,${expectedSignature(id, timestamp, body)}`, plan.position);
          break;
        case 'garbage-signature':
          signature = plan.value;
          break;
        case 'odd-timestamp':
          timestamp = plan.value;
          // Signed over the odd text itself: refused for its format, not for its signature.
          signature = `v1,${expectedSignature(id, timestamp, body)}`;
          break;
        case 'many-signatures':
          signature = Array.from({ length: plan.count }, (_, index) => `v1,${expectedSignature(`${id}${index}`, timestamp, body)}`).join(' ');
          break;
        default:
          signature = sdkSignature(id, seconds, bodyText);
      }
      const own: HeaderLine[] = [];
      if (plan.how !== 'no-id' && plan.how !== 'no-headers') own.push(['webhook-id', id]);
      if (plan.how !== 'no-timestamp' && plan.how !== 'no-headers') own.push(['webhook-timestamp', timestamp]);
      if (plan.how !== 'no-signature' && plan.how !== 'no-headers') own.push(['webhook-signature', signature]);
      if (type !== undefined) own.push(['content-type', type]);
      return {
        kind: 'forged' as const,
        headers: [...own, ...extra],
        body,
        framing,
        id,
        expected: [expectedSignature(id, timestamp, body)],
      };
    });
}

function isUtf8(body: Uint8Array): boolean {
  try {
    exactUtf8.decode(body);
    return true;
  } catch {
    return false;
  }
}

/** A run: a few deliveries, signed and forged, in any order, sharing a small id pool. */
export function deliveries(idPrefix: string, maxLength = 6, bodies: fc.Arbitrary<Uint8Array> = anyBody): fc.Arbitrary<Delivery[]> {
  return fc.array(fc.oneof({ weight: 2, arbitrary: signedDelivery(idPrefix, bodies) }, { weight: 3, arbitrary: forgedDelivery(idPrefix, bodies) }), { minLength: 1, maxLength });
}

/** Bodies that carry `marker` in their payload, as valid JSON, broken JSON or non-UTF-8 bytes. */
export function markedBody(marker: string): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { weight: 4, arbitrary: validJsonBody.map((json) => encoder.encode(`{"type":"fuzz.marked","note":"${marker}","data":${json}}`)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }).map((text) => encoder.encode(`{"type":"fuzz.marked","note":"${marker}",${text}`)) },
    { weight: 1, arbitrary: fc.constant(Uint8Array.from([...encoder.encode(`{"note":"${marker}"}`), 0xff])) },
  );
}

/** The `webhook-signature` header as the receiver reads it (repeated lines joined). */
export function signatureOf(delivery: Delivery): string {
  return nodeStyleHeaders(delivery.headers)['webhook-signature'] ?? '';
}

/** The headers as a plain object of the kind Node hands over: lower-case names, repeats joined. */
export function nodeStyleHeaders(lines: readonly HeaderLine[]): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [rawName, rawValue] of lines) {
    const name = latin1(rawName).toLowerCase();
    const value = latin1(rawValue).trim();
    out[name] = out[name] === undefined ? value : `${out[name]}, ${value}`;
  }
  return out;
}

/** The delivery as bytes on the wire: head (with its framing header) and body pieces. */
export function toWire(delivery: Delivery): { head: Buffer; body: Buffer[] } {
  const { body } = delivery;
  if (delivery.framing === 'length') {
    return { head: requestHead([...delivery.headers, ['content-length', String(body.byteLength)]]), body: [Buffer.from(body)] };
  }
  const pieces: Buffer[] = [];
  for (let offset = 0; offset < body.byteLength; offset += 1_000) pieces.push(chunk(body.subarray(offset, offset + 1_000)));
  pieces.push(LAST_CHUNK);
  return { head: requestHead([...delivery.headers, ['transfer-encoding', 'chunked']]), body: pieces };
}

/** Every spelling of the endpoint secret a careless message or attribute could contain. */
export const SECRET_FORMS: readonly string[] = [
  SECRET,
  SECRET.slice('whsec_'.length),
  SECRET.slice('whsec_'.length).replace(/=+$/, ''),
  SECRET_KEY.toString('base64url'),
  SECRET_KEY.toString('hex'),
  SECRET_KEY.toString('hex').toUpperCase(),
  SECRET_KEY.toString('latin1'),
];

/**
 * The signatures the receiver computes for this request, as the server sees its headers, in the
 * spellings a leak could take (base64, unpadded, hex).
 */
export function expectedSignatures(delivery: Delivery): string[] {
  const headers = nodeStyleHeaders(delivery.headers);
  const ids = new Set([delivery.id, headers['webhook-id'] ?? delivery.id]);
  const timestamps = new Set([headers['webhook-timestamp'] ?? '']);
  for (const [name, value] of delivery.headers) if (name === 'webhook-timestamp') timestamps.add(String(value));
  const out: string[] = [...delivery.expected];
  for (const id of ids) for (const timestamp of timestamps) out.push(expectedSignature(id, timestamp, delivery.body));
  return out.flatMap((base64) => [base64, Buffer.from(base64, 'base64').toString('hex'), base64.replace(/=+$/, '')]);
}
