/**
 * The HTTP conformance table: every adapter must answer each case with the same statuses, the
 * same bodies and the same number of handler runs. `conformance.test.ts` runs it against every
 * framework, in process and over a real socket.
 */

/** One request, described by how it differs from a valid signed `message.received` delivery. */
export type DeliverySpec = {
  /**
   * The `webhook-id` header.
   * @default 'msg_conformance'
   */
  id?: string;
  /**
   * The exact body text, sent as its UTF-8 bytes.
   * @default a `message.received` event
   */
  body?: string;
  /** `null` sends no Content-Type header. @default 'application/json' */
  contentType?: string | null;
  /** Seconds added to the signed `webhook-timestamp` (negative: in the past). @default 0 */
  clockSkewSeconds?: number;
  /**
   * `wrong-secret`: signed with another endpoint's secret. `bad-then-valid`: two
   * `webhook-signature` header lines, a wrong one first.
   * @default 'valid'
   */
  signature?: 'valid' | 'wrong-secret' | 'bad-then-valid';
  /** Headers left out. */
  omit?: readonly ('webhook-id' | 'webhook-timestamp' | 'webhook-signature')[];
  /** How header names are spelt on the wire. @default 'lower' */
  headerCase?: 'lower' | 'upper' | 'capitalized';
  /** Send the body as a stream without a Content-Length. @default false */
  chunked?: boolean;
  /**
   * Send the first half of the body as a stream without a Content-Length, then nothing more while
   * the connection stays open: a body that stops arriving (a slow-drip client).
   * @default false
   */
  stalls?: boolean;
};

/** What the adapter must answer. */
export type Expected = {
  status: number;
  /** The exact response body. */
  body: string;
  /** Headers that must be present, matched by pattern. */
  headers?: Record<string, RegExp>;
};

export type ConformanceCase = {
  name: string;
  /** The receiver: Standard Webhooks by default, `maxBodyBytes` 1 MiB and `bodyTimeoutMs` 10 s by default. */
  receiver?: { verifier?: 'unsafe-no-verification'; maxBodyBytes?: number; bodyTimeoutMs?: number };
  /**
   * What the `message.received` handler does on its first call (later calls succeed).
   * @default 'succeeds'
   */
  handler?: 'succeeds' | 'throws-first' | 'holds-first';
  /**
   * `second-while-first-runs`: the second request is sent while the first one's handler is held,
   * and the held handler is released once the second is answered.
   * @default 'sequential'
   */
  timing?: 'sequential' | 'second-while-first-runs';
  requests: readonly { send: DeliverySpec; expect: Expected }[];
  /** How many times the handler ran, over all requests. */
  handlerCalls: number;
  /** The `data` of the payloads the handler received, in order. */
  handledData?: readonly unknown[];
};

const received: Expected = { status: 200, body: '{"received":true}' };
const duplicate: Expected = { status: 200, body: '{"received":true,"duplicate":true}' };
const ignored: Expected = { status: 200, body: '{"received":true,"ignored":true}' };
const error = (status: number, code: string, headers?: Record<string, RegExp>): Expected =>
  headers === undefined ? { status, body: `{"error":"${code}"}` } : { status, body: `{"error":"${code}"}`, headers };

/** A signed event body. */
export const event = (type: string, data: unknown = { text: 'hello' }): string => JSON.stringify({ type, data });

const OVERSIZED = event('message.received', { text: 'x'.repeat(4096) });

export const cases: readonly ConformanceCase[] = [
  { name: 'processes a valid delivery', requests: [{ send: {}, expect: received }], handlerCalls: 1 },
  {
    name: 'answers a redelivery as a duplicate without running the handler again',
    requests: [
      { send: {}, expect: received },
      { send: {}, expect: duplicate },
    ],
    handlerCalls: 1,
  },
  {
    name: 'answers 409 with Retry-After while another delivery of the event holds the lease',
    handler: 'holds-first',
    timing: 'second-while-first-runs',
    requests: [
      { send: {}, expect: received },
      { send: {}, expect: error(409, 'ERR_HOOKGUARD_IN_PROGRESS', { 'retry-after': /^[1-9]\d*$/ }) },
    ],
    handlerCalls: 1,
  },
  { name: 'refuses a bad signature with 401', requests: [{ send: { signature: 'wrong-secret' }, expect: error(401, 'ERR_HOOKGUARD_SIGNATURE_MISMATCH') }], handlerCalls: 0 },
  { name: 'refuses a stale timestamp with 401', requests: [{ send: { clockSkewSeconds: -600 }, expect: error(401, 'ERR_HOOKGUARD_TIMESTAMP_TOO_OLD') }], handlerCalls: 0 },
  { name: 'refuses a future timestamp with 401', requests: [{ send: { clockSkewSeconds: 600 }, expect: error(401, 'ERR_HOOKGUARD_TIMESTAMP_TOO_NEW') }], handlerCalls: 0 },
  { name: 'refuses a missing webhook-signature with 400', requests: [{ send: { omit: ['webhook-signature'] }, expect: error(400, 'ERR_HOOKGUARD_MISSING_HEADER') }], handlerCalls: 0 },
  {
    name: 'refuses a request without any webhook-* header with 400',
    requests: [{ send: { omit: ['webhook-id', 'webhook-timestamp', 'webhook-signature'] }, expect: error(400, 'ERR_HOOKGUARD_MISSING_HEADER') }],
    handlerCalls: 0,
  },
  { name: 'refuses a signed body that is not JSON with 400', requests: [{ send: { body: '{"type":"message.received",' }, expect: error(400, 'ERR_HOOKGUARD_INVALID_BODY') }], handlerCalls: 0 },
  // Standard Webhooks signs the id, so an empty one is a missing header, refused before any claim.
  { name: 'refuses an empty webhook-id with 400', requests: [{ send: { id: '' }, expect: error(400, 'ERR_HOOKGUARD_MISSING_HEADER') }], handlerCalls: 0 },
  {
    name: 'refuses an authentic delivery without an event id with 400',
    receiver: { verifier: 'unsafe-no-verification' },
    requests: [{ send: { omit: ['webhook-id', 'webhook-timestamp', 'webhook-signature'] }, expect: error(400, 'ERR_HOOKGUARD_MISSING_EVENT_ID') }],
    handlerCalls: 0,
  },
  { name: 'ignores an event type without a handler', requests: [{ send: { body: event('invoice.paid') }, expect: ignored }], handlerCalls: 0 },
  {
    name: 'answers 500 when the handler throws, and runs it again on the retry',
    handler: 'throws-first',
    requests: [
      { send: {}, expect: error(500, 'ERR_HOOKGUARD_HANDLER_FAILED') },
      { send: {}, expect: received },
    ],
    handlerCalls: 2,
  },
  {
    name: 'refuses a declared Content-Length over maxBodyBytes with 413',
    receiver: { maxBodyBytes: 1024 },
    requests: [{ send: { body: OVERSIZED }, expect: error(413, 'ERR_HOOKGUARD_BODY_TOO_LARGE') }],
    handlerCalls: 0,
  },
  {
    name: 'refuses a chunked body over maxBodyBytes with 413',
    receiver: { maxBodyBytes: 1024 },
    requests: [{ send: { body: OVERSIZED, chunked: true }, expect: error(413, 'ERR_HOOKGUARD_BODY_TOO_LARGE') }],
    handlerCalls: 0,
  },
  { name: 'processes a chunked body without a Content-Length', requests: [{ send: { chunked: true }, expect: received }], handlerCalls: 1 },
  // After a delivery whose body was read in time: a timer shared by deliveries must still fire for a
  // later one (a Worker drops the timers of a request that has ended).
  {
    name: 'refuses a body that stops arriving with 408 once bodyTimeoutMs passes, after a delivery read in time',
    receiver: { bodyTimeoutMs: 400 },
    requests: [
      { send: { chunked: true }, expect: received },
      { send: { id: 'msg_stalled', stalls: true }, expect: error(408, 'ERR_HOOKGUARD_BODY_TIMEOUT') },
    ],
    handlerCalls: 1,
  },
  { name: 'refuses a signed empty body with 400', requests: [{ send: { body: '' }, expect: error(400, 'ERR_HOOKGUARD_EMPTY_BODY') }], handlerCalls: 0 },
  // Fastify runs no content-type parser at all for this request.
  {
    name: 'refuses a signed empty body without a Content-Type with 400',
    requests: [{ send: { body: '', contentType: null }, expect: error(400, 'ERR_HOOKGUARD_EMPTY_BODY') }],
    handlerCalls: 0,
  },
  { name: 'processes a signed JSON body sent as text/plain', requests: [{ send: { contentType: 'text/plain' }, expect: received }], handlerCalls: 1 },
  // Fastify refuses such a Content-Type with 415 before any parser runs; the signature decides instead.
  { name: 'processes a signed delivery whose Content-Type is not a valid media type', requests: [{ send: { contentType: 'json' }, expect: received }], handlerCalls: 1 },
  {
    name: 'verifies multibyte UTF-8 byte for byte',
    requests: [{ send: { body: event('message.received', { text: 'Grüße — 你好 — 👋🏽' }) }, expect: received }],
    handlerCalls: 1,
    handledData: [{ text: 'Grüße — 你好 — 👋🏽' }],
  },
  {
    name: 'verifies a body that starts with a byte order mark and parses past it',
    requests: [{ send: { body: `\uFEFF${event('message.received', { text: 'bom' })}` }, expect: received }],
    handlerCalls: 1,
    handledData: [{ text: 'bom' }],
  },
  { name: 'reads upper-case header names', requests: [{ send: { headerCase: 'upper' }, expect: received }], handlerCalls: 1 },
  { name: 'reads capitalized header names', requests: [{ send: { headerCase: 'capitalized' }, expect: received }], handlerCalls: 1 },
  {
    name: 'accepts a repeated webhook-signature header whose second value is valid',
    requests: [{ send: { signature: 'bad-then-valid' }, expect: received }],
    handlerCalls: 1,
  },
];
