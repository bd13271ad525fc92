import { createHmac } from 'node:crypto';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { toWebhookHeaders } from '../http/headers.js';
import { silentLogger } from '../logging/logger.js';
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

  it('does not read webhook-* header names', async () => {
    const error = await verify(verifier, vectorHeaders()).catch((reason: unknown) => reason);
    expect(error).toMatchObject({ code: 'ERR_HOOKGUARD_MISSING_HEADER' });
    expect((error as Error).message).toContain('svix-id');
  });

  it('agrees with an independent HMAC over `${id}.${timestamp}.${body}`', async () => {
    const key = Buffer.from(VECTOR.secret.slice('whsec_'.length), 'base64');
    const signature = createHmac('sha256', key).update(`${VECTOR.id}.${VECTOR.timestamp}.${VECTOR.body}`).digest('base64');
    expect(`v1,${signature}`).toBe(VECTOR.signature);
  });
});
