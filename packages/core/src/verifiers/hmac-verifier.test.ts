// Signatures are computed with node:crypto directly: an implementation independent of ours.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { toWebhookHeaders } from '../http/headers.js';
import { hmacVerifier, type HmacVerifierOptions } from './hmac-verifier.js';
import type { VerifiedDelivery } from './verifier.js';

const SECRET = 'in-house-shared-secret';
const BODY = JSON.stringify({ id: 'evt_1', type: 'mail.received', data: { message: { id: 42, kind: 'inbound' } } });
const encode = (text: string): Uint8Array => new TextEncoder().encode(text);

function build(options: Partial<HmacVerifierOptions> = {}) {
  return hmacVerifier({ name: 'in-house', secret: SECRET, header: 'x-signature', ...options });
}

function deliver(options: Partial<HmacVerifierOptions>, headers: Record<string, string>, body = BODY): Promise<VerifiedDelivery> {
  return build(options).verify({ rawBody: encode(body), headers: toWebhookHeaders(headers) });
}

const sign = (content: string, algorithm = 'sha256', encoding: 'hex' | 'base64' = 'hex', secret: string | Buffer = SECRET): string =>
  createHmac(algorithm, secret).update(content).digest(encoding);

describe('hmacVerifier()', () => {
  it('by default checks a lower-case hex HMAC-SHA256 of the raw body and reads id and type from the body', async () => {
    const delivery = await deliver({}, { 'X-Signature': sign(BODY) });
    expect(delivery).toEqual({ id: 'evt_1', type: 'mail.received', timestamp: undefined, payload: JSON.parse(BODY) });
  });

  it.each([
    ['SHA-512', 'sha512', 'base64'],
    ['SHA-1', 'sha1', 'hex'],
    ['SHA-256', 'sha256', 'base64'],
  ] as const)('supports %s signatures in %s', async (algorithm, nodeName, encoding) => {
    await expect(deliver({ algorithm, encoding }, { 'x-signature': sign(BODY, nodeName, encoding) })).resolves.toMatchObject({ id: 'evt_1' });
    const other = nodeName === 'sha512' ? 'sha256' : 'sha512';
    await expect(deliver({ algorithm, encoding }, { 'x-signature': sign(BODY, other, encoding) })).rejects.toMatchObject({
      code: 'ERR_HOOKGUARD_SIGNATURE_MISMATCH',
    });
  });

  it('strips a configured prefix and rejects a signature without it with ERR_HOOKGUARD_MALFORMED_HEADER', async () => {
    await expect(deliver({ prefix: 'sha256=' }, { 'x-signature': `sha256=${sign(BODY)}` })).resolves.toBeDefined();
    await expect(deliver({ prefix: 'sha256=' }, { 'x-signature': sign(BODY) })).rejects.toMatchObject({ code: 'ERR_HOOKGUARD_MALFORMED_HEADER' });
  });

  it('signs `${timestamp}.${body}` when told to, and enforces the tolerance on timestampHeader', async () => {
    const options: Partial<HmacVerifierOptions> = {
      timestampHeader: 'x-timestamp',
      signedContent: ({ rawBody, timestamp }) => [`${timestamp}.`, rawBody],
      now: () => 1_700_000_000_000,
    };
    const headers = { 'x-timestamp': '1700000000', 'x-signature': sign(`1700000000.${BODY}`) };
    await expect(deliver(options, headers)).resolves.toMatchObject({ timestamp: new Date(1_700_000_000_000) });
    await expect(deliver({ ...options, now: () => 1_700_000_301_000 }, headers)).rejects.toMatchObject({ code: 'ERR_HOOKGUARD_TIMESTAMP_TOO_OLD' });
    await expect(deliver(options, { 'x-signature': headers['x-signature'] })).rejects.toMatchObject({ code: 'ERR_HOOKGUARD_MISSING_HEADER' });
  });

  it('lets signedContent sign header values along with the body', async () => {
    const options: Partial<HmacVerifierOptions> = {
      signedContent: ({ rawBody, headers }) => [`${headers.get('x-delivery') ?? ''}\n`, rawBody],
      id: { header: 'x-delivery' },
    };
    const headers = { 'x-delivery': 'dlv_7', 'x-signature': sign(`dlv_7\n${BODY}`) };
    await expect(deliver(options, headers)).resolves.toMatchObject({ id: 'dlv_7' });
    await expect(deliver(options, { ...headers, 'x-delivery': 'dlv_8' })).rejects.toMatchObject({ code: 'ERR_HOOKGUARD_SIGNATURE_MISMATCH' });
  });

  it('reads ids and types from headers, nested body paths (numbers as text) or functions', async () => {
    const headers = { 'x-signature': sign(BODY), 'x-event': 'mail.received' };
    await expect(deliver({ id: { body: 'data.message.id' }, type: { header: 'X-Event' } }, headers)).resolves.toMatchObject({
      id: '42',
      type: 'mail.received',
    });
    const fromFunction = await deliver(
      { id: ({ headers: h, payload }) => `${h.get('x-event')}:${(payload as { id: string }).id}`, type: () => undefined },
      headers,
    );
    expect(fromFunction).toMatchObject({ id: 'mail.received:evt_1', type: undefined });
  });

  it('reads only own properties along a body path', async () => {
    const headers = { 'x-signature': sign(BODY) };
    for (const path of ['constructor.name', '__proto__.toString', 'data.message.toString', 'data.missing.id']) {
      await expect(deliver({ id: { body: path } }, headers)).resolves.toMatchObject({ id: undefined });
    }
  });

  it('reports a throwing id function as ERR_HOOKGUARD_INTERNAL', async () => {
    const failing = () => {
      throw new TypeError('boom');
    };
    await expect(deliver({ id: failing }, { 'x-signature': sign(BODY) })).rejects.toMatchObject({ code: 'ERR_HOOKGUARD_INTERNAL' });
  });

  it('reports a signedContent that throws or returns no array as ERR_HOOKGUARD_INTERNAL', async () => {
    const throwing = () => {
      throw new Error('boom');
    };
    await expect(deliver({ signedContent: throwing }, { 'x-signature': sign(BODY) })).rejects.toMatchObject({ code: 'ERR_HOOKGUARD_INTERNAL' });
    const notArray = (() => 'text') as unknown as HmacVerifierOptions['signedContent'];
    await expect(deliver({ signedContent: notArray! }, { 'x-signature': sign(BODY) })).rejects.toMatchObject({ code: 'ERR_HOOKGUARD_INTERNAL' });
  });

  it("decodes a base64 secret with secretEncoding: 'base64'", async () => {
    const key = Buffer.from('binary key \u0000\u0001 bytes');
    await expect(
      deliver({ secret: `whsec_${key.toString('base64')}`, secretEncoding: 'base64' }, { 'x-signature': sign(BODY, 'sha256', 'hex', key) }),
    ).resolves.toBeDefined();
  });

  it("hints at secretEncoding: 'utf8' when a base64-decoded secret without whsec_ fails and its own bytes match", async () => {
    const warnings: { fields: Record<string, unknown>; message: string }[] = [];
    const logger = { warn: (fields: Record<string, unknown>, message: string) => void warnings.push({ fields, message }), error: () => undefined };
    const raw = 'plainsecret1234='; // valid base64, but the sender signs with the string itself
    const error = await deliver({ secret: raw, secretEncoding: 'base64', logger }, { 'x-signature': sign(BODY, 'sha256', 'hex', raw) }).catch(
      (reason: unknown) => reason,
    );
    expect(error).toMatchObject({ code: 'ERR_HOOKGUARD_SIGNATURE_MISMATCH' });
    expect((error as Error).message).toContain("secretEncoding: 'utf8'");
    expect(warnings).toEqual([
      { fields: { code: 'WARN_HOOKGUARD_SECRET_FORMAT', verifier: 'in-house', rawMatches: true }, message: expect.stringContaining("secretEncoding: 'utf8'") },
    ]);
  });

  it('accepts only lower-case hex, as providers send it', async () => {
    await expect(deliver({}, { 'x-signature': sign(BODY).toUpperCase() })).rejects.toMatchObject({ code: 'ERR_HOOKGUARD_SIGNATURE_MISMATCH' });
  });

  it('takes its name from the options and leaves retention to the receiver unless given', () => {
    expect(build().name).toBe('in-house');
    expect(build().retentionMs).toBeUndefined();
    expect(build({ retentionMs: 60_000 }).retentionMs).toBe(60_000);
  });

  it.each<[string, Partial<HmacVerifierOptions>]>([
    ['a missing name', { name: '' }],
    ['a missing header', { header: '' }],
    ['an unknown algorithm', { algorithm: 'MD5' as 'SHA-1' }],
    ['an unknown encoding', { encoding: 'base32' as 'hex' }],
    ['toleranceSeconds without timestampHeader', { toleranceSeconds: 60 }],
    ['an id source that is neither header, body nor function', { id: { path: 'id' } as unknown as { body: string } }],
    ['a body path with an empty segment', { type: { body: 'data..type' } }],
    ['an unknown secretEncoding', { secretEncoding: 'hex' as 'utf8' }],
    ['a signedContent that is not a function', { signedContent: 'body' as unknown as NonNullable<HmacVerifierOptions['signedContent']> }],
    ['a non-positive retentionMs', { retentionMs: 0 }],
    ['a now that is not a function', { now: 5 as unknown as () => number }],
  ])('throws ERR_HOOKGUARD_INVALID_OPTIONS for %s', (_, options) => {
    expect(() => build(options)).toThrow(expect.objectContaining({ code: 'ERR_HOOKGUARD_INVALID_OPTIONS' }));
  });
});
