// One behaviour table run against every HMAC verifier. Deliveries are signed by each provider's own
// SDK where one exists (standardwebhooks, svix, stripe, @octokit/webhooks-methods); Shopify, Slack
// and the generic builder have no signing SDK here, so their deliveries are signed by node:crypto
// directly: an implementation independent of ours (which goes through the crypto backend).
import { createHmac } from 'node:crypto';
import { sign as signGitHubSdk } from '@octokit/webhooks-methods';
import fc from 'fast-check';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import Stripe from 'stripe';
import { Webhook as SvixWebhook } from 'svix';
import { describe, expect, it, vi } from 'vitest';
import { cryptoBackend as nodeBackend } from '../crypto/node.js';
import type { CryptoBackend } from '../crypto/types.js';
import { cryptoBackend as webBackend } from '../crypto/web.js';
import { isWebhookError, type WebhookError } from '../errors/webhook-error.js';
import { toWebhookHeaders } from '../http/headers.js';
import type { Logger } from '../logging/logger.js';
import { buildGitHub } from './github.js';
import { buildHmacVerifier } from './hmac-verifier.js';
import { buildShopify } from './shopify.js';
import { buildSlack } from './slack.js';
import { buildStandardWebhooks } from './standard-webhooks.js';
import { buildStripe } from './stripe.js';
import type { VerifiedDelivery, Verifier } from './verifier.js';

type Headers = Record<string, string>;
type Request = { body: string | Uint8Array; timestamp: number; id: string | undefined };
type BuildOptions = { secret: string | string[]; now: () => number; logger: Logger; toleranceSeconds?: number };

type Harness = {
  name: string;
  retentionMs: number;
  secrets: readonly [string, string];
  build(backend: CryptoBackend, options: BuildOptions): Verifier;
  /** Signs with the provider's SDK (or node:crypto where there is none). */
  sign(secret: string, request: Request): Promise<Headers> | Headers;
  /** A typical body carrying `id` (when the id lives in the body) and the event type. */
  body(id: string): string;
  /** The type `body()` yields. */
  type: string;
  signatureHeader: string;
  /** Where the signed timestamp sits: a header and the character range of its digits. */
  timestampAt?: (headers: Headers) => { header: string; start: number; end: number };
  /** A body that is authentic but not decodable. */
  undecodable: string;
  /** Whether a delivery can come without an id at all (the id is not a required signed header). */
  idOptional: boolean;
};

const T0 = 1_700_000_000;
const NOW = T0 * 1000;
const encoder = new TextEncoder();
const stripeSdk = new Stripe('sk_test_unused');
const toText = (body: string | Uint8Array): string => (typeof body === 'string' ? body : Buffer.from(body).toString('utf8'));
const hmac = (secret: string, content: string | Uint8Array, encoding: 'hex' | 'base64', algorithm = 'sha256'): string =>
  createHmac(algorithm, secret).update(content).digest(encoding);
const concat = (prefix: string, body: string | Uint8Array): Buffer =>
  Buffer.concat([Buffer.from(prefix), typeof body === 'string' ? Buffer.from(body) : body]);
const wholeValue = (header: string) => (headers: Headers) => ({ header, start: 0, end: headers[header]!.length });
/** Standard Webhooks signed by node:crypto, for bodies the SDK cannot take (bytes that are not UTF-8). */
const standardSignature = (secret: string, id: string, timestamp: number, body: Uint8Array): string =>
  `v1,${createHmac('sha256', Buffer.from(secret.replace(/^whsec_/, ''), 'base64')).update(`${id}.${timestamp}.`).update(body).digest('base64')}`;

const standardSecrets = [
  `whsec_${Buffer.from('standard-webhooks-secret-one-0001').toString('base64')}`,
  `whsec_${Buffer.from('standard-webhooks-secret-two-0002').toString('base64')}`,
] as const;

const harnesses: Harness[] = [
  {
    name: 'standard-webhooks',
    retentionMs: 4 * 86_400_000,
    secrets: standardSecrets,
    build: (backend, options) => buildStandardWebhooks(options, backend, 'standard-webhooks'),
    sign: (secret, { body, timestamp, id }) => ({
      'webhook-id': id ?? 'msg_missing',
      'webhook-timestamp': String(timestamp),
      'webhook-signature':
        typeof body === 'string'
          ? new StandardWebhook(secret).sign(id ?? 'msg_missing', new Date(timestamp * 1000), body)
          : standardSignature(secret, id ?? 'msg_missing', timestamp, body),
    }),
    body: () => JSON.stringify({ type: 'invoice.paid', timestamp: '2023-11-14T22:13:20Z', data: { amount: 10 } }),
    type: 'invoice.paid',
    signatureHeader: 'webhook-signature',
    timestampAt: wholeValue('webhook-timestamp'),
    undecodable: 'not json',
    idOptional: false,
  },
  {
    name: 'svix',
    retentionMs: 2 * 86_400_000,
    secrets: standardSecrets,
    build: (backend, options) => buildStandardWebhooks(options, backend, 'svix'),
    sign: (secret, { body, timestamp, id }) => ({
      'svix-id': id ?? 'msg_missing',
      'svix-timestamp': String(timestamp),
      'svix-signature':
        typeof body === 'string'
          ? new SvixWebhook(secret).sign(id ?? 'msg_missing', new Date(timestamp * 1000), body)
          : standardSignature(secret, id ?? 'msg_missing', timestamp, body),
    }),
    body: () => JSON.stringify({ type: 'user.created', data: { id: 'u_1' } }),
    type: 'user.created',
    signatureHeader: 'svix-signature',
    timestampAt: wholeValue('svix-timestamp'),
    undecodable: 'not json',
    idOptional: false,
  },
  {
    name: 'stripe',
    retentionMs: 3 * 86_400_000,
    secrets: ['whsec_stripe_secret_number_one_0001', 'whsec_stripe_secret_number_two_0002'],
    build: (backend, options) => buildStripe(options, backend),
    sign: (secret, { body, timestamp }) => ({
      'stripe-signature':
        typeof body === 'string'
          ? stripeSdk.webhooks.generateTestHeaderString({ payload: body, secret, timestamp })
          : `t=${timestamp},v1=${hmac(secret, concat(`${timestamp}.`, body), 'hex')}`,
    }),
    body: (id) => JSON.stringify({ id, object: 'event', type: 'invoice.paid', created: T0 - 60, data: { object: {} } }),
    type: 'invoice.paid',
    signatureHeader: 'stripe-signature',
    timestampAt: (headers) => {
      const value = headers['stripe-signature']!;
      return { header: 'stripe-signature', start: 2, end: value.indexOf(',') };
    },
    undecodable: 'not json',
    idOptional: true,
  },
  {
    name: 'github',
    retentionMs: 3 * 86_400_000,
    secrets: ['github-secret-number-one-0001', 'github-secret-number-two-0002'],
    build: (backend, options) => buildGitHub(options, backend),
    sign: async (secret, { body, id }) => ({
      // The SDK takes only non-empty strings; other bodies are signed by node:crypto.
      'x-hub-signature-256':
        typeof body === 'string' && body !== '' ? await signGitHubSdk(secret, body) : `sha256=${hmac(secret, body, 'hex')}`,
      'x-github-event': 'issues',
      ...(id === undefined ? {} : { 'x-github-delivery': id }),
    }),
    body: () => JSON.stringify({ action: 'opened', issue: { number: 1 } }),
    type: 'issues.opened',
    signatureHeader: 'x-hub-signature-256',
    undecodable: 'not json',
    idOptional: true,
  },
  {
    name: 'shopify',
    retentionMs: 48 * 3_600_000,
    secrets: ['shopify-secret-number-one-0001', 'shopify-secret-number-two-0002'],
    build: (backend, options) => buildShopify(options, backend),
    sign: (secret, { body, id }) => ({
      'x-shopify-hmac-sha256': hmac(secret, body, 'base64'),
      'x-shopify-topic': 'orders/create',
      ...(id === undefined ? {} : { 'x-shopify-webhook-id': id }),
    }),
    body: () => JSON.stringify({ id: 820982911946154500, email: 'jon@example.com' }),
    type: 'orders/create',
    signatureHeader: 'x-shopify-hmac-sha256',
    undecodable: 'not json',
    idOptional: true,
  },
  {
    name: 'slack',
    retentionMs: 3_600_000,
    secrets: ['slack-signing-secret-one-0001', 'slack-signing-secret-two-0002'],
    build: (backend, { secret, ...options }) => buildSlack({ signingSecret: secret, ...options }, backend),
    sign: (secret, { body, timestamp }) => ({
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': `v0=${hmac(secret, concat(`v0:${timestamp}:`, body), 'hex')}`,
    }),
    body: (id) =>
      JSON.stringify({ type: 'event_callback', event_id: id, event_time: T0 - 1, event: { type: 'app_mention', text: 'hi' } }),
    type: 'app_mention',
    signatureHeader: 'x-slack-signature',
    timestampAt: wholeValue('x-slack-request-timestamp'),
    undecodable: '{"type":',
    idOptional: true,
  },
  {
    name: 'mailer',
    retentionMs: 86_400_000,
    secrets: ['mailer-secret-number-one-0001', 'mailer-secret-number-two-0002'],
    build: (backend, options) =>
      buildHmacVerifier(
        {
          name: 'mailer',
          header: 'x-mailer-signature',
          prefix: 'sha256=',
          timestampHeader: 'x-mailer-timestamp',
          signedContent: ({ rawBody, timestamp }) => [`${timestamp}.`, rawBody],
          id: { header: 'x-mailer-id' },
          type: { body: 'event' },
          retentionMs: 86_400_000,
          ...options,
        },
        backend,
      ),
    sign: (secret, { body, timestamp, id }) => ({
      'x-mailer-timestamp': String(timestamp),
      'x-mailer-signature': `sha256=${hmac(secret, concat(`${timestamp}.`, body), 'hex')}`,
      ...(id === undefined ? {} : { 'x-mailer-id': id }),
    }),
    body: () => JSON.stringify({ event: 'message.received', message: { from: 'a@example.com' } }),
    type: 'message.received',
    signatureHeader: 'x-mailer-signature',
    timestampAt: wholeValue('x-mailer-timestamp'),
    undecodable: 'not json',
    idOptional: true,
  },
];

const silent: Logger = { warn: () => undefined, error: () => undefined };

function verifierFor(harness: Harness, options: Partial<BuildOptions> = {}, backend: CryptoBackend = nodeBackend): Verifier {
  return harness.build(backend, { secret: harness.secrets[0], now: () => NOW, logger: silent, ...options });
}

function verify(verifier: Verifier, body: string | Uint8Array, headers: Headers | globalThis.Headers): Promise<VerifiedDelivery> {
  return verifier.verify({ rawBody: typeof body === 'string' ? encoder.encode(body) : body, headers: toWebhookHeaders(headers) });
}

async function rejection(promise: Promise<unknown>): Promise<WebhookError> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!isWebhookError(error)) throw new Error(`expected a WebhookError rejection, got ${String(error)}`);
  return error;
}

/** Every rejection's message, checked for leaked secrets or signatures in the last test. */
const messages: string[] = [];
async function expectCode(promise: Promise<unknown>, code: string): Promise<WebhookError> {
  const error = await rejection(promise);
  messages.push(error.message);
  expect(error.code).toBe(code);
  return error;
}

function mutate(text: string, index: number, replacement: string): string {
  return text.slice(0, index) + replacement + text.slice(index + 1);
}

describe.each(harnesses)('$name verifier', (harness) => {
  const id = 'evt_1NZ4qL2eZvKYlo2C';
  const signed = async (request: Partial<Request> = {}, secret = harness.secrets[0]) => {
    const full: Request = { body: harness.body(id), timestamp: T0, id, ...request };
    return { body: full.body, headers: await harness.sign(secret, full) };
  };

  it('accepts a delivery signed by the provider and reads its id, type and payload', async () => {
    const { body, headers } = await signed();
    const delivery = await verify(verifierFor(harness), body, headers);
    expect(delivery).toMatchObject({ id, type: harness.type, payload: JSON.parse(toText(body)) });
    expect(delivery.bodyError).toBeUndefined();
    if (harness.timestampAt) expect(delivery.timestamp).toBeInstanceOf(Date);
  });

  it('names itself and announces the provider retry horizon as its retention', () => {
    const verifier = verifierFor(harness);
    expect(verifier.name).toBe(harness.name);
    expect(verifier.retentionMs).toBe(harness.retentionMs);
    expect(verifier.unsafe).toBeUndefined();
  });

  it('accepts a delivery signed with the second of two configured secrets (rotation)', async () => {
    const { body, headers } = await signed({}, harness.secrets[1]);
    const verifier = verifierFor(harness, { secret: [...harness.secrets] });
    await expect(verify(verifier, body, headers)).resolves.toMatchObject({ id, type: harness.type });
    await expectCode(verify(verifierFor(harness), body, headers), 'ERR_HOOKGUARD_SIGNATURE_MISMATCH');
  });

  it('rejects a delivery signed with another secret with ERR_HOOKGUARD_SIGNATURE_MISMATCH', async () => {
    const other = harness.name === 'standard-webhooks' || harness.name === 'svix' ? `whsec_${Buffer.from('someone else entirely').toString('base64')}` : 'someone-else';
    const { body, headers } = await signed({}, other);
    const error = await expectCode(verify(verifierFor(harness), body, headers), 'ERR_HOOKGUARD_SIGNATURE_MISMATCH');
    expect(error.status).toBe(401);
  });

  it('rejects a tampered body with ERR_HOOKGUARD_SIGNATURE_MISMATCH', async () => {
    const { body, headers } = await signed();
    await expectCode(verify(verifierFor(harness), `${toText(body)} `, headers), 'ERR_HOOKGUARD_SIGNATURE_MISMATCH');
  });

  it('rejects a delivery without its signature header with ERR_HOOKGUARD_MISSING_HEADER', async () => {
    const { body, headers } = await signed();
    const { [harness.signatureHeader]: _removed, ...rest } = headers;
    const error = await expectCode(verify(verifierFor(harness), body, rest), 'ERR_HOOKGUARD_MISSING_HEADER');
    expect(error.status).toBe(400);
    await expectCode(verify(verifierFor(harness), body, { ...rest, [harness.signatureHeader]: '' }), 'ERR_HOOKGUARD_MISSING_HEADER');
  });

  it('rejects an undecodable signature with ERR_HOOKGUARD_SIGNATURE_MISMATCH, never a crash', async () => {
    const { body, headers } = await signed();
    const value = headers[harness.signatureHeader]!;
    const garbled = value.slice(0, -6) + '%%!!~~';
    await expectCode(verify(verifierFor(harness), body, { ...headers, [harness.signatureHeader]: garbled }), 'ERR_HOOKGUARD_SIGNATURE_MISMATCH');
  });

  it('reads header names in any case, from a plain object or a Web Headers', async () => {
    const { body, headers } = await signed();
    const upper = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toUpperCase(), value]));
    await expect(verify(verifierFor(harness), body, upper)).resolves.toMatchObject({ id, type: harness.type });
    const mixed = Object.fromEntries(
      Object.entries(headers).map(([name, value]) => [name.replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase()), value]),
    );
    await expect(verify(verifierFor(harness), body, new globalThis.Headers(mixed))).resolves.toMatchObject({ id, type: harness.type });
  });

  it("takes a plain header object (Node's req.headers, list values included) or a Web Headers straight into verify()", async () => {
    const { body, headers } = await signed();
    const rawBody = typeof body === 'string' ? encoder.encode(body) : body;
    const verifier = verifierFor(harness);
    const nodeStyle: Record<string, string | string[] | undefined> = {
      ...headers,
      [harness.signatureHeader]: [headers[harness.signatureHeader]!],
      'set-cookie': ['a=1', 'b=2'],
      'x-absent': undefined,
    };
    await expect(verifier.verify({ rawBody, headers: nodeStyle })).resolves.toMatchObject({ id, type: harness.type });
    await expect(verifier.verify({ rawBody, headers: new globalThis.Headers(headers) })).resolves.toMatchObject({ id, type: harness.type });
    // A Web Headers answers a missing header with null: still a coded rejection, never a TypeError.
    const withoutSignature = new globalThis.Headers(headers);
    withoutSignature.delete(harness.signatureHeader);
    await expectCode(verifier.verify({ rawBody, headers: withoutSignature }), 'ERR_HOOKGUARD_MISSING_HEADER');
    for (const bad of [undefined, null, 'x-signature: abc', 42]) {
      await expectCode(verifier.verify({ rawBody, headers: bad as unknown as Headers }), 'ERR_HOOKGUARD_INVALID_INPUT');
    }
  });

  it('announces the replay window of its signed timestamp as toleranceMs, and none when it signs no timestamp', () => {
    const verifier = verifierFor(harness);
    if (harness.timestampAt === undefined) expect(verifier.toleranceMs).toBeUndefined();
    else {
      expect(verifier.toleranceMs).toBe(300_000);
      expect(verifierFor(harness, { toleranceSeconds: 30 }).toleranceMs).toBe(30_000);
    }
  });

  it('resolves an authentic empty body with ERR_HOOKGUARD_EMPTY_BODY and no payload', async () => {
    const { body, headers } = await signed({ body: '' });
    const delivery = await verify(verifierFor(harness), body, headers);
    expect(delivery.bodyError?.code).toBe('ERR_HOOKGUARD_EMPTY_BODY');
    expect(delivery.payload).toBeUndefined();
  });

  it('resolves an authentic undecodable body with ERR_HOOKGUARD_INVALID_BODY', async () => {
    const { body, headers } = await signed({ body: harness.undecodable });
    const delivery = await verify(verifierFor(harness), body, headers);
    expect(delivery.bodyError?.code).toBe('ERR_HOOKGUARD_INVALID_BODY');
    expect(delivery.bodyError?.message).not.toContain(harness.undecodable);
    expect(delivery.payload).toBeUndefined();
  });

  it('resolves an authentic body that is not UTF-8 with ERR_HOOKGUARD_INVALID_BODY', async () => {
    const bytes = new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]);
    const { headers } = await signed({ body: bytes });
    const headersJson = harness.name === 'slack' ? { ...headers, 'content-type': 'application/json' } : headers;
    const delivery = await verify(verifierFor(harness), bytes, headersJson);
    expect(delivery.bodyError?.code).toBe('ERR_HOOKGUARD_INVALID_BODY');
  });

  it('reads a JSON body that starts with a byte order mark', async () => {
    const { body, headers } = await signed({ body: `\uFEFF${harness.body(id)}` });
    const delivery = await verify(verifierFor(harness), body, headers);
    expect(delivery.bodyError).toBeUndefined();
    expect(delivery).toMatchObject({ type: harness.type });
  });

  it('keeps __proto__ keys of a JSON body as plain data', async () => {
    const text = `{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},${harness.body(id).slice(1)}`;
    const { body, headers } = await signed({ body: text });
    const delivery = await verify(verifierFor(harness), body, headers);
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(delivery.payload)).toBe(Object.prototype);
    expect(Object.hasOwn(delivery.payload as object, '__proto__')).toBe(true);
  });

  it.runIf(harness.idOptional)('resolves an authentic delivery without any id with an undefined id', async () => {
    const body = harness.body(id).replace(/"(id|event_id)":"[^"]*",?/, '');
    const { headers } = await signed({ body, id: undefined });
    const delivery = await verify(verifierFor(harness), body, headers);
    expect(delivery.id).toBeUndefined();
    expect(delivery.bodyError).toBeUndefined();
  });

  describe.runIf(harness.timestampAt !== undefined)('signed timestamp', () => {
    const at = (seconds: number) => () => seconds * 1000;

    it('accepts a delivery exactly at the tolerance, in either direction', async () => {
      const { body, headers } = await signed();
      await expect(verify(verifierFor(harness, { now: at(T0 + 300) }), body, headers)).resolves.toBeDefined();
      await expect(verify(verifierFor(harness, { now: () => (T0 + 300) * 1000 + 999 }), body, headers)).resolves.toBeDefined();
      await expect(verify(verifierFor(harness, { now: at(T0 - 300) }), body, headers)).resolves.toBeDefined();
    });

    it('rejects a delivery 1 s older than the tolerance with ERR_HOOKGUARD_TIMESTAMP_TOO_OLD', async () => {
      const { body, headers } = await signed();
      const error = await expectCode(verify(verifierFor(harness, { now: at(T0 + 301) }), body, headers), 'ERR_HOOKGUARD_TIMESTAMP_TOO_OLD');
      expect(error.status).toBe(401);
    });

    it('rejects a delivery 1 s further in the future than the tolerance with ERR_HOOKGUARD_TIMESTAMP_TOO_NEW', async () => {
      const { body, headers } = await signed();
      await expectCode(verify(verifierFor(harness, { now: at(T0 - 301) }), body, headers), 'ERR_HOOKGUARD_TIMESTAMP_TOO_NEW');
    });

    it('rejects a timestamp that is not whole Unix seconds with ERR_HOOKGUARD_MALFORMED_HEADER', async () => {
      const { body, headers } = await signed();
      const { header, start, end } = harness.timestampAt!(headers);
      for (const bad of [' 1700000000', '1700000000.5', '-1700000000', '1e9', 'soon', '17000000000000']) {
        const value = headers[header]!.slice(0, start) + bad + headers[header]!.slice(end);
        await expectCode(verify(verifierFor(harness), body, { ...headers, [header]: value }), 'ERR_HOOKGUARD_MALFORMED_HEADER');
      }
    });

    it('rejects a delivery whose timestamp was changed, even within the tolerance', async () => {
      const { body, headers } = await signed();
      const { header, start, end } = harness.timestampAt!(headers);
      const value = headers[header]!.slice(0, start) + String(T0 + 1) + headers[header]!.slice(end);
      await expectCode(verify(verifierFor(harness), body, { ...headers, [header]: value }), 'ERR_HOOKGUARD_SIGNATURE_MISMATCH');
    });

    it('honours a custom toleranceSeconds', async () => {
      const { body, headers } = await signed();
      await expect(verify(verifierFor(harness, { toleranceSeconds: 10, now: at(T0 + 10) }), body, headers)).resolves.toBeDefined();
      await expectCode(verify(verifierFor(harness, { toleranceSeconds: 10, now: at(T0 + 11) }), body, headers), 'ERR_HOOKGUARD_TIMESTAMP_TOO_OLD');
    });

    it('throws ERR_HOOKGUARD_INVALID_OPTIONS for a negative or non-finite toleranceSeconds', () => {
      for (const toleranceSeconds of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
        expect(() => verifierFor(harness, { toleranceSeconds })).toThrow(expect.objectContaining({ code: 'ERR_HOOKGUARD_INVALID_OPTIONS' }));
      }
    });
  });

  describe('construction', () => {
    it.each([
      ['an empty string', ''],
      ['a whitespace-only string', ' \n\t'],
      ['an empty list', []],
      ['a list with an empty secret', ['ok-secret-value', '']],
      ['undefined (an unset environment variable)', undefined],
      ['a number', 42],
    ])('throws ERR_HOOKGUARD_INVALID_OPTIONS for %s', (_, secret) => {
      let thrown: unknown;
      try {
        verifierFor(harness, { secret: secret as string });
      } catch (error) {
        thrown = error;
      }
      expect(isWebhookError(thrown) && thrown.code).toBe('ERR_HOOKGUARD_INVALID_OPTIONS');
      expect((thrown as Error).message).toMatch(/secret/i);
    });

    it('warns once, with WARN_HOOKGUARD_SECRET_WHITESPACE, about secrets with surrounding whitespace', () => {
      const logger = { warn: vi.fn(), error: vi.fn() };
      verifierFor(harness, { secret: [`${harness.secrets[0]}\n`, ` ${harness.secrets[1]}`], logger });
      expect(logger.warn).toHaveBeenCalledTimes(1);
      const [fields, message] = logger.warn.mock.calls[0] as [Record<string, unknown>, string];
      expect(fields).toMatchObject({ code: 'WARN_HOOKGUARD_SECRET_WHITESPACE', verifier: harness.name });
      expect(JSON.stringify(fields) + message).not.toContain(harness.secrets[0]);
      expect(JSON.stringify(fields) + message).not.toContain(harness.secrets[1]);
      verifierFor(harness, { logger });
      expect(logger.warn).toHaveBeenCalledTimes(1);
    });
  });

  describe('properties', () => {
    const bodies = fc.oneof(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 300 }), fc.json().map((json) => json || '""'));
    const ids = fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/);
    const offsets = fc.integer({ min: -300, max: 300 });

    it('accepts whatever the provider signs, with either secret configured', async () => {
      const verifier = verifierFor(harness, { secret: [...harness.secrets] });
      await fc.assert(
        fc.asyncProperty(bodies, ids, offsets, fc.boolean(), async (body, eventId, offset, second) => {
          const request = { body, timestamp: T0 + offset, id: eventId };
          const headers = await harness.sign(harness.secrets[second ? 1 : 0], request);
          await verify(verifier, body, headers);
        }),
      );
    });

    it('rejects any single-byte change to the body, the signature or the timestamp', async () => {
      const verifier = verifierFor(harness);
      const targets: ('body' | 'signature' | 'timestamp')[] = harness.timestampAt ? ['body', 'signature', 'timestamp'] : ['body', 'signature'];
      await fc.assert(
        fc.asyncProperty(
          bodies,
          ids,
          fc.constantFrom(...targets),
          fc.nat(),
          fc.integer({ min: 1, max: 255 }),
          fc.integer({ min: 0x21, max: 0x7e }),
          async (body, eventId, target, position, flip, replacement) => {
            const headers = await harness.sign(harness.secrets[0], { body, timestamp: T0, id: eventId });
            let bytes = encoder.encode(body);
            let sent = headers;
            if (target === 'body') {
              bytes = bytes.slice();
              const index = position % bytes.length;
              bytes[index] = bytes[index]! ^ flip;
            } else {
              const { header, start, end } =
                target === 'timestamp'
                  ? harness.timestampAt!(headers)
                  : { header: harness.signatureHeader, start: 0, end: headers[harness.signatureHeader]!.length };
              const value = headers[header]!;
              const index = start + (position % (end - start));
              const char = String.fromCharCode(replacement);
              fc.pre(value[index] !== char);
              sent = { ...headers, [header]: mutate(value, index, char) };
            }
            const error = await rejection(verify(verifier, bytes, sent));
            expect(error.status === 400 || error.status === 401).toBe(true);
          },
        ),
      );
    });

    it('gives the same answer through Web Crypto as through node:crypto', async () => {
      const onNode = verifierFor(harness, { secret: [...harness.secrets] });
      const onWeb = verifierFor(harness, { secret: [...harness.secrets] }, webBackend);
      await fc.assert(
        fc.asyncProperty(bodies, ids, fc.boolean(), fc.boolean(), async (body, eventId, second, tamper) => {
          const headers = await harness.sign(harness.secrets[second ? 1 : 0], { body, timestamp: T0, id: eventId });
          const sent = tamper ? `${body}!` : body;
          const [node, web] = await Promise.allSettled([verify(onNode, sent, headers), verify(onWeb, sent, headers)]);
          expect(web.status).toBe(node.status);
          if (node.status === 'fulfilled' && web.status === 'fulfilled') expect(web.value).toEqual(node.value);
          if (node.status === 'rejected' && web.status === 'rejected') {
            expect((web.reason as WebhookError).code).toBe((node.reason as WebhookError).code);
            expect((web.reason as WebhookError).message).toBe((node.reason as WebhookError).message);
          }
        }),
        { numRuns: 40 },
      );
    });
  });

  it('never puts a secret or a signature into an error message', () => {
    expect(messages.length).toBeGreaterThan(5);
    for (const message of messages) {
      for (const secret of harness.secrets) {
        expect(message).not.toContain(secret);
        expect(message).not.toContain(secret.replace(/^whsec_/, ''));
      }
      // A signature or digest in any encoding is a long run of hex or base64 characters.
      expect(message).not.toMatch(/[0-9a-f]{16,}/);
      expect(message).not.toMatch(/[A-Za-z0-9+/]{24,}/);
    }
    messages.length = 0;
  });
});
