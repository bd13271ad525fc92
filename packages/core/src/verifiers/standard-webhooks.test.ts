import { createHmac } from 'node:crypto';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { describe, expect, it, vi } from 'vitest';
import { toWebhookHeaders } from '../http/headers.js';
import { silentLogger, type LogFields, type Logger } from '../logging/logger.js';
import { standardWebhooks, svix } from './standard-webhooks.js';
import type { VerifiedDelivery, Verifier } from './verifier.js';

// The test vector of the reference library's "sign function works" test:
// standard-webhooks/standard-webhooks, libraries/javascript/src/webhook.test.ts.
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: '1614265330',
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};
const NOW = Number(VECTOR.timestamp) * 1000;

function verify(verifier: Verifier, headers: Record<string, string>, body = VECTOR.body): Promise<VerifiedDelivery> {
  return verifier.verify({ rawBody: new TextEncoder().encode(body), headers: toWebhookHeaders(headers) });
}

const vectorHeaders = (signature = VECTOR.signature): Record<string, string> => ({
  'webhook-id': VECTOR.id,
  'webhook-timestamp': VECTOR.timestamp,
  'webhook-signature': signature,
});

describe('standardWebhooks()', () => {
  const verifier = standardWebhooks({ secret: VECTOR.secret, now: () => NOW });

  it("accepts the specification's published test vector", async () => {
    const delivery = await verify(verifier, vectorHeaders());
    expect(delivery).toEqual({
      id: VECTOR.id,
      type: undefined,
      timestamp: new Date(NOW),
      payload: { test: 2432232314 },
    });
  });

  it('reads the type from the body and the timestamp from the signed webhook-timestamp header', async () => {
    const body = JSON.stringify({ type: 'contact.created', timestamp: '2022-11-03T20:26:10.344522Z', data: {} });
    const signature = new StandardWebhook(VECTOR.secret).sign('msg_1', new Date(NOW), body);
    const delivery = await verify(verifier, { 'webhook-id': 'msg_1', 'webhook-timestamp': VECTOR.timestamp, 'webhook-signature': signature }, body);
    expect(delivery.type).toBe('contact.created');
    expect(delivery.timestamp).toEqual(new Date(NOW));
  });

  it('accepts the secret with or without its whsec_ prefix and base64 padding', async () => {
    const bare = VECTOR.secret.slice('whsec_'.length);
    const unpadded = Buffer.from('a secret whose base64 needs padding').toString('base64');
    expect(unpadded.endsWith('=')).toBe(true);
    await expect(verify(standardWebhooks({ secret: bare, now: () => NOW }), vectorHeaders())).resolves.toBeDefined();
    const signature = new StandardWebhook(`whsec_${unpadded}`).sign(VECTOR.id, new Date(NOW), VECTOR.body);
    const withoutPadding = standardWebhooks({ secret: `whsec_${unpadded.replace(/=+$/, '')}`, now: () => NOW });
    await expect(verify(withoutPadding, vectorHeaders(signature))).resolves.toBeDefined();
  });

  it("uses the secret's own bytes with secretFormat 'raw', as the SDK's { format: 'raw' } does", async () => {
    const raw = 'not-base64: a raw secret!';
    const signature = new StandardWebhook(raw, { format: 'raw' }).sign(VECTOR.id, new Date(NOW), VECTOR.body);
    await expect(verify(standardWebhooks({ secret: raw, secretFormat: 'raw', now: () => NOW }), vectorHeaders(signature))).resolves.toBeDefined();
  });

  it('throws ERR_HOOKGUARD_INVALID_OPTIONS for a secret that is not base64, without echoing it', () => {
    expect(() => standardWebhooks({ secret: 'whsec_not*base64!' })).toThrow(
      expect.objectContaining({ code: 'ERR_HOOKGUARD_INVALID_OPTIONS', message: expect.not.stringContaining('not*base64') }),
    );
    expect(() => standardWebhooks({ secret: 'whsec_' })).toThrow(expect.objectContaining({ code: 'ERR_HOOKGUARD_INVALID_OPTIONS' }));
    expect(() => standardWebhooks({ secret: VECTOR.secret, secretFormat: 'hex' as 'raw' })).toThrow(
      expect.objectContaining({ code: 'ERR_HOOKGUARD_INVALID_OPTIONS' }),
    );
  });

  it('accepts a list in which any v1 signature matches, skipping v1a and unknown versions', async () => {
    // The reference library's "multi sig payload is valid" case, plus an asymmetric v1a entry.
    const list = [
      'v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=',
      'v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=',
      'v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg==',
      VECTOR.signature,
      'v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=',
    ].join(' ');
    await expect(verify(verifier, vectorHeaders(list))).resolves.toMatchObject({ id: VECTOR.id });
  });

  it('rejects a list without any v1 signature with ERR_HOOKGUARD_NO_SUPPORTED_SIGNATURE, naming what it got', async () => {
    const error = await verify(verifier, vectorHeaders('v1a,AAAA v2,BBBB')).catch((reason: unknown) => reason);
    expect(error).toMatchObject({ code: 'ERR_HOOKGUARD_NO_SUPPORTED_SIGNATURE', status: 400 });
    expect((error as Error).message).toContain('v1a, v2');
    await expect(verify(verifier, vectorHeaders('   '))).rejects.toMatchObject({ code: 'ERR_HOOKGUARD_NO_SUPPORTED_SIGNATURE' });
  });

  it('rejects when all of several v1 signatures are wrong with ERR_HOOKGUARD_SIGNATURE_MISMATCH, counting them', async () => {
    const error = await verify(verifier, vectorHeaders('v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v1,')).catch((reason: unknown) => reason);
    expect(error).toMatchObject({ code: 'ERR_HOOKGUARD_SIGNATURE_MISMATCH' });
    expect((error as Error).message).toContain('none of the 2 signatures');
  });

  it('accepts a signature without its base64 padding, but not one re-spelled in URL-safe base64', async () => {
    await expect(verify(verifier, vectorHeaders(VECTOR.signature.replace(/=$/, '')))).resolves.toBeDefined();
    const urlSafe = `v1,${Buffer.from(VECTOR.signature.slice(3), 'base64').toString('base64url')}`;
    expect(urlSafe).not.toBe(VECTOR.signature.replace(/=$/, ''));
    await expect(verify(verifier, vectorHeaders(urlSafe))).rejects.toMatchObject({ code: 'ERR_HOOKGUARD_SIGNATURE_MISMATCH' });
  });

  it('rejects a delivery whose id was changed: the id is part of the signed content', async () => {
    await expect(verify(verifier, { ...vectorHeaders(), 'webhook-id': 'msg_other' })).rejects.toMatchObject({
      code: 'ERR_HOOKGUARD_SIGNATURE_MISMATCH',
    });
  });

  it('names every missing header at once, not the first alone (a proxy that strips them strips several)', async () => {
    const error = await verify(verifier, { 'content-type': 'application/json' }).catch((reason: unknown) => reason);
    expect(error).toMatchObject({ code: 'ERR_HOOKGUARD_MISSING_HEADER' });
    expect((error as Error).message).toContain('the webhook-id (or svix-id), webhook-timestamp (or svix-timestamp) and webhook-signature (or svix-signature) headers are missing');
    const { 'webhook-id': _id, 'webhook-signature': _signature, ...timestampOnly } = vectorHeaders();
    const two = await verify(verifier, timestampOnly).catch((reason: unknown) => reason);
    expect((two as Error).message).toContain('the webhook-id (or svix-id) and webhook-signature (or svix-signature) headers are missing');
  });

  it.each(['webhook-id', 'webhook-timestamp'])('rejects a delivery without %s with ERR_HOOKGUARD_MISSING_HEADER', async (header) => {
    const { [header]: _removed, ...rest } = vectorHeaders();
    const error = await verify(verifier, rest).catch((reason: unknown) => reason);
    expect(error).toMatchObject({ code: 'ERR_HOOKGUARD_MISSING_HEADER' });
    expect((error as Error).message).toContain(header);
  });

  it('also reads Svix header names, header by header', async () => {
    const svixHeaders = { 'svix-id': VECTOR.id, 'svix-timestamp': VECTOR.timestamp, 'svix-signature': VECTOR.signature };
    await expect(verify(verifier, svixHeaders)).resolves.toMatchObject({ id: VECTOR.id });
  });

  it('looks each header up once in a Web Headers, where every lookup costs (the id is not read again for the event)', async () => {
    const headers = new Headers(vectorHeaders());
    const get = vi.spyOn(headers, 'get');
    const delivery = await verifier.verify({ rawBody: new TextEncoder().encode(VECTOR.body), headers });
    expect(delivery.id).toBe(VECTOR.id);
    expect(get.mock.calls.map(([name]) => name).sort()).toEqual(['webhook-id', 'webhook-signature', 'webhook-timestamp']);
  });

  it('is named standard-webhooks and keeps ids 4 days, beyond the spec example schedule of 75.6 hours', () => {
    expect(verifier.name).toBe('standard-webhooks');
    expect(verifier.retentionMs).toBe(4 * 24 * 3_600_000);
  });
});

describe('svix()', () => {
  const verifier = svix({ secret: VECTOR.secret, now: () => NOW, logger: silentLogger });

  it('accepts svix-* headers and reports itself as svix', async () => {
    const headers = { 'Svix-Id': VECTOR.id, 'Svix-Timestamp': VECTOR.timestamp, 'Svix-Signature': VECTOR.signature };
    await expect(verify(verifier, headers)).resolves.toMatchObject({ id: VECTOR.id, payload: { test: 2432232314 } });
    expect(verifier.name).toBe('svix');
    expect(verifier.retentionMs).toBe(2 * 24 * 3_600_000);
  });

  it('accepts the unbranded webhook-* header names, header by header, as the Svix SDK does', async () => {
    const body = JSON.stringify({ type: 'user.created', data: { id: 'u_1' } });
    const signature = new SvixWebhook(VECTOR.secret).sign('msg_unbranded', new Date(NOW), body);
    const unbranded = { 'webhook-id': 'msg_unbranded', 'webhook-timestamp': VECTOR.timestamp, 'webhook-signature': signature };
    // The SDK itself accepts these headers (its clock pinned to the signing time)…
    vi.useFakeTimers({ now: NOW, toFake: ['Date'] });
    try {
      expect(new SvixWebhook(VECTOR.secret).verify(body, unbranded)).toEqual({ type: 'user.created', data: { id: 'u_1' } });
    } finally {
      vi.useRealTimers();
    }
    // …and so does svix(), also when the two families are mixed.
    await expect(verify(verifier, unbranded, body)).resolves.toMatchObject({ id: 'msg_unbranded', type: 'user.created' });
    const mixed = { 'svix-id': 'msg_unbranded', 'webhook-timestamp': VECTOR.timestamp, 'Webhook-Signature': signature };
    await expect(verify(verifier, mixed, body)).resolves.toMatchObject({ id: 'msg_unbranded' });
  });

  it('prefers svix-* over webhook-* when both are there, as the Svix SDK does', async () => {
    const body = JSON.stringify({ type: 'user.created' });
    const signature = new SvixWebhook(VECTOR.secret).sign('msg_svix', new Date(NOW), body);
    const both = {
      'svix-id': 'msg_svix',
      'svix-timestamp': VECTOR.timestamp,
      'svix-signature': signature,
      'webhook-id': 'msg_other',
      'webhook-timestamp': VECTOR.timestamp,
      'webhook-signature': 'v1,AAAA',
    };
    await expect(verify(verifier, both, body)).resolves.toMatchObject({ id: 'msg_svix' });
  });

  it('names both header names when neither is there', async () => {
    const { 'webhook-id': _removed, ...rest } = vectorHeaders();
    const error = await verify(verifier, rest).catch((reason: unknown) => reason);
    expect(error).toMatchObject({ code: 'ERR_HOOKGUARD_MISSING_HEADER' });
    expect((error as Error).message).toContain('svix-id (or webhook-id)');
  });

  it('agrees with an independent HMAC over `${id}.${timestamp}.${body}`', async () => {
    const key = Buffer.from(VECTOR.secret.slice('whsec_'.length), 'base64');
    const signature = createHmac('sha256', key).update(`${VECTOR.id}.${VECTOR.timestamp}.${VECTOR.body}`).digest('base64');
    expect(`v1,${signature}`).toBe(VECTOR.signature);
  });
});

describe('secret format messages and hints', () => {
  type Line = { fields: LogFields; message: string };
  const recorder = (): { logger: Logger; lines: Line[] } => {
    const lines: Line[] = [];
    return { lines, logger: { warn: (fields, message) => void lines.push({ fields, message }), error: () => undefined } };
  };

  it("explains a secret that is neither whsec_ nor base64 without speaking of a prefix, and names secretFormat: 'raw'", () => {
    let thrown: unknown;
    try {
      standardWebhooks({ secret: 'mysupersecret' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: 'ERR_HOOKGUARD_INVALID_OPTIONS' });
    const message = (thrown as Error).message;
    expect(message).not.toContain('after the prefix');
    expect(message).toContain('without the `whsec_` prefix');
    expect(message).toContain("secretFormat: 'raw'");
    expect(message).not.toContain('mysupersecret');
    const prefixed = (() => {
      try {
        standardWebhooks({ secret: 'whsec_not*base64!' });
      } catch (error) {
        return (error as Error).message;
      }
      return '';
    })();
    expect(prefixed).toContain('after it');
  });

  it("logs one hint naming secretFormat: 'raw' when a raw secret that happens to be base64 fails every delivery", async () => {
    const raw = 'mysupersecret123'; // valid base64, so accepted and decoded: the wrong key
    let now = NOW;
    const { logger, lines } = recorder();
    const verifier = standardWebhooks({ secret: raw, now: () => now, logger });
    const send = (id: string) => {
      const signature = new StandardWebhook(raw, { format: 'raw' }).sign(id, new Date(now), VECTOR.body);
      return verify(verifier, { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(now / 1000)), 'webhook-signature': signature });
    };
    const error = await send('msg_1').catch((reason: unknown) => reason);
    expect(error).toMatchObject({ code: 'ERR_HOOKGUARD_SIGNATURE_MISMATCH', status: 401 });
    expect((error as Error).message).toContain("secretFormat: 'raw'");
    expect(lines).toHaveLength(1);
    expect(lines[0]!.fields).toMatchObject({ code: 'WARN_HOOKGUARD_SECRET_FORMAT', verifier: 'standard-webhooks', rawMatches: true });
    expect(lines[0]!.message).toContain("secretFormat: 'raw'");
    expect(lines[0]!.message).not.toContain(raw);
    // Rate-limited: more failures within the hour log nothing more…
    for (const id of ['msg_2', 'msg_3']) await expect(send(id)).rejects.toMatchObject({ code: 'ERR_HOOKGUARD_SIGNATURE_MISMATCH' });
    expect(lines).toHaveLength(1);
    // …and the hint comes back once an hour has passed.
    now += 60 * 60 * 1000;
    await expect(send('msg_4')).rejects.toMatchObject({ code: 'ERR_HOOKGUARD_SIGNATURE_MISMATCH' });
    expect(lines).toHaveLength(2);
    // With secretFormat: 'raw' the same deliveries pass.
    const fixed = standardWebhooks({ secret: raw, secretFormat: 'raw', now: () => now, logger });
    const signature = new StandardWebhook(raw, { format: 'raw' }).sign('msg_5', new Date(now), VECTOR.body);
    await expect(
      verify(fixed, { 'webhook-id': 'msg_5', 'webhook-timestamp': String(Math.floor(now / 1000)), 'webhook-signature': signature }),
    ).resolves.toMatchObject({ id: 'msg_5' });
  });

  it('says so more cautiously when the raw bytes do not match either, and never hints for a whsec_ secret', async () => {
    const { logger, lines } = recorder();
    const unprefixed = standardWebhooks({ secret: 'mysupersecret123', now: () => NOW, logger });
    await expect(verify(unprefixed, vectorHeaders())).rejects.toMatchObject({ code: 'ERR_HOOKGUARD_SIGNATURE_MISMATCH' });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.fields).toMatchObject({ code: 'WARN_HOOKGUARD_SECRET_FORMAT', rawMatches: false });
    expect(lines[0]!.message).toContain("secretFormat: 'raw'");

    const other = recorder();
    const prefixed = standardWebhooks({ secret: 'whsec_bXlzdXBlcnNlY3JldDEyMw==', now: () => NOW, logger: other.logger });
    const error = await verify(prefixed, vectorHeaders()).catch((reason: unknown) => reason);
    expect(error).toMatchObject({ code: 'ERR_HOOKGUARD_SIGNATURE_MISMATCH' });
    expect((error as Error).message).not.toContain('secretFormat');
    expect(other.lines).toHaveLength(0);
  });

  it('announces its replay window as toleranceMs', () => {
    expect(standardWebhooks({ secret: VECTOR.secret }).toleranceMs).toBe(300_000);
    expect(svix({ secret: VECTOR.secret, toleranceSeconds: 60 }).toleranceMs).toBe(60_000);
  });
});
