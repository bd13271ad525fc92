// Schemes that sign only the body leave the delivery id (and the type) unsigned. These tests pin
// what the verifiers hand the receiver to key dedup on instead: `dedupId`, a digest of the signed
// body (plus the type), the same whatever id a replay carries. GitHub deliveries are signed by
// @octokit/webhooks-methods; Shopify and the generic builder by node:crypto (no signing SDK).
import { createHash, createHmac } from 'node:crypto';
import { sign as signGitHub } from '@octokit/webhooks-methods';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { cryptoBackend as nodeBackend } from '../crypto/node.js';
import type { CryptoBackend } from '../crypto/types.js';
import { cryptoBackend as webBackend } from '../crypto/web.js';
import { silentLogger } from '../logging/logger.js';
import { buildGitHub } from './github.js';
import { buildHmacVerifier, type HmacVerifierOptions } from './hmac-verifier.js';
import { buildShopify } from './shopify.js';
import { buildStandardWebhooks } from './standard-webhooks.js';
import { buildStripe } from './stripe.js';
import type { VerifiedDelivery, Verifier } from './verifier.js';

const encoder = new TextEncoder();
const T = 1_700_000_000;
const bodyDigest = (body: string): string => createHash('sha256').update(body).digest('base64url');
// Where only the body is signed, the matched HMAC is the body's (keyed) digest.
const bodyHmac = (secret: string, body: string): string => createHmac('sha256', secret).update(body).digest('hex');
/** The backend with its SHA-256 counted: schemes that sign the body alone must not hash it again. */
function counting(backend: CryptoBackend): { backend: CryptoBackend; hashes: () => number } {
  let hashes = 0;
  return {
    backend: { ...backend, sha256: (data) => (hashes++, backend.sha256(data)) },
    hashes: () => hashes,
  };
}

const backends: [string, CryptoBackend][] = [
  ['node:crypto', nodeBackend],
  ['Web Crypto', webBackend],
];

describe.each(backends)('dedupId through %s', (_, backend) => {
  const verify = (verifier: Verifier, body: string, headers: Record<string, string>): Promise<VerifiedDelivery> =>
    verifier.verify({ rawBody: encoder.encode(body), headers });

  describe('github()', () => {
    const secret = 'github-dedup-secret';
    const counted = counting(backend);
    const verifier = buildGitHub({ secret, logger: silentLogger }, counted.backend);
    const send = async (body: string, delivery: string, event = 'issues') =>
      verify(verifier, body, { 'x-hub-signature-256': await signGitHub(secret, body), 'x-github-event': event, 'x-github-delivery': delivery });
    const opened = JSON.stringify({ action: 'opened', issue: { number: 7 }, repository: { full_name: 'o/r' } });

    it('gives a body replayed under a fresh delivery id the same dedupId, and keeps the provider id for handlers', async () => {
      const genuine = await send(opened, '72d3162e-cc78-11e3-81ab-4c9367dc0958');
      const replayed = await send(opened, 'ffffffff-0000-0000-0000-000000000000');
      expect(genuine.id).toBe('72d3162e-cc78-11e3-81ab-4c9367dc0958');
      expect(replayed.id).toBe('ffffffff-0000-0000-0000-000000000000');
      expect(genuine.dedupId).toBe(`hmac:${bodyHmac(secret, opened)}:issues.opened`);
      expect(replayed.dedupId).toBe(genuine.dedupId);
    });

    it('keys on the matched HMAC, so the body is hashed once (by the HMAC) and never again', async () => {
      const before = counted.hashes();
      await send(opened, 'd-hashes');
      expect(counted.hashes()).toBe(before);
    });

    it('keys on the secret that matched: during a rotation a body signed under either secret is still recognised', async () => {
      const rotating = buildGitHub({ secret: ['github-new-secret', secret], logger: silentLogger }, backend);
      const headers = { 'x-hub-signature-256': await signGitHub(secret, opened), 'x-github-event': 'issues', 'x-github-delivery': 'd-2' };
      const underOld = await verify(rotating, opened, headers);
      expect(underOld.dedupId).toBe((await send(opened, 'd-3')).dedupId);
      const underNew = await verify(rotating, opened, { ...headers, 'x-hub-signature-256': await signGitHub('github-new-secret', opened) });
      // Another key: the redelivery across the rotation runs again (a duplicate, never a loss).
      expect(underNew.dedupId).toBe(`hmac:${bodyHmac('github-new-secret', opened)}:issues.opened`);
    });

    it('gives a different body a different dedupId even under the same delivery id, so a forged id suppresses nothing', async () => {
      const closed = JSON.stringify({ action: 'opened', issue: { number: 8 }, repository: { full_name: 'o/r' } });
      const first = await send(opened, 'same-delivery-id');
      const second = await send(closed, 'same-delivery-id');
      expect(second.dedupId).not.toBe(first.dedupId);
    });

    it('sets no dedupId on an undecodable body (the receiver answers 400 before dedup)', async () => {
      const delivery = await send('not json', 'd-1', 'ping');
      expect(delivery.bodyError?.code).toBe('ERR_HOOKGUARD_INVALID_BODY');
      expect(delivery.dedupId).toBeUndefined();
    });
  });

  describe('shopify()', () => {
    const secret = 'shopify-dedup-secret';
    const verifier = buildShopify({ secret, logger: silentLogger }, backend);
    const send = (body: string, webhookId: string, topic = 'orders/create') =>
      verify(verifier, body, {
        'x-shopify-hmac-sha256': createHmac('sha256', secret).update(body).digest('base64'),
        'x-shopify-topic': topic,
        'x-shopify-webhook-id': webhookId,
      });
    const order = JSON.stringify({ id: 820982911946154500, email: 'jon@example.com', updated_at: '2024-01-01T00:00:00Z' });

    it('keys on the body and topic, not on the unsigned X-Shopify-Webhook-Id', async () => {
      const genuine = await send(order, 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043');
      const replayed = await send(order, '00000000-forged-id');
      expect(replayed.id).toBe('00000000-forged-id');
      expect(genuine.dedupId).toBe(`hmac:${bodyHmac(secret, order)}:orders/create`);
      expect(replayed.dedupId).toBe(genuine.dedupId);
      const other = await send(JSON.stringify({ id: 820982911946154501 }), 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043');
      expect(other.dedupId).not.toBe(genuine.dedupId);
    });

    it('keys a signature sent without its base64 padding as the padded one', async () => {
      const signature = createHmac('sha256', secret).update(order).digest('base64');
      expect(signature).toMatch(/=$/);
      const unpadded = await verify(verifier, order, { 'x-shopify-hmac-sha256': signature.replace(/=+$/, ''), 'x-shopify-topic': 'orders/create', 'x-shopify-webhook-id': 'w-1' });
      expect(unpadded.dedupId).toBe(`hmac:${bodyHmac(secret, order)}:orders/create`);
    });

    it('keeps two topics apart that carry byte-identical bodies (orders/create and orders/updated)', async () => {
      const created = await send(order, 'w-1', 'orders/create');
      const updated = await send(order, 'w-2', 'orders/updated');
      expect(updated.dedupId).not.toBe(created.dedupId);
    });
  });

  describe('hmacVerifier()', () => {
    const secret = 'mailer-dedup-secret';
    const base: HmacVerifierOptions = {
      name: 'mailer',
      secret,
      header: 'x-mailer-signature',
      timestampHeader: 'x-mailer-timestamp',
      signedContent: ({ rawBody, timestamp }) => [`${timestamp}.`, rawBody],
      now: () => T * 1000,
      logger: silentLogger,
    };
    const body = JSON.stringify({ id: 'evt_body_1', type: 'message.received', text: 'hello' });
    const headers = (id: string, signedId = false) => ({
      'x-mailer-timestamp': String(T),
      'x-mailer-signature': createHmac('sha256', secret)
        .update(signedId ? `${id}.${T}.${body}` : `${T}.${body}`)
        .digest('hex'),
      'x-mailer-id': id,
    });

    it('does not trust an id read from a header: same body under two ids, one dedupId', async () => {
      const verifier = buildHmacVerifier({ ...base, id: { header: 'x-mailer-id' } }, backend);
      const first = await verify(verifier, body, headers('m-1'));
      const second = await verify(verifier, body, headers('m-2'));
      expect([first.id, second.id]).toEqual(['m-1', 'm-2']);
      expect(first.dedupId).toBe(`body:${bodyDigest(body)}:message.received`);
      expect(second.dedupId).toBe(first.dedupId);
    });

    it('keys on the body alone when the signature also covers a timestamp: a retry re-signed later is still a duplicate', async () => {
      const verifier = buildHmacVerifier({ ...base, id: { header: 'x-mailer-id' }, now: () => (T + 60) * 1000 }, backend);
      const first = await verify(verifier, body, headers('m-1'));
      const later = String(T + 60);
      const resigned = await verify(verifier, body, {
        'x-mailer-timestamp': later,
        'x-mailer-signature': createHmac('sha256', secret).update(`${later}.${body}`).digest('hex'),
        'x-mailer-id': 'm-1',
      });
      expect(resigned.dedupId).toBe(first.dedupId);
    });

    it('does not trust an id computed by a function either', async () => {
      const verifier = buildHmacVerifier({ ...base, id: ({ headers: h }) => h.get('x-mailer-id') }, backend);
      expect((await verify(verifier, body, headers('m-1'))).dedupId).toBe(`body:${bodyDigest(body)}:message.received`);
    });

    it('leaves dedupId unset when the id is read from the signed body, or declared signed with idSigned', async () => {
      const fromBody = buildHmacVerifier(base, backend);
      const plain = await verify(fromBody, body, headers('m-1'));
      expect(plain.id).toBe('evt_body_1');
      expect(plain.dedupId).toBeUndefined();
      const signedHeader = buildHmacVerifier(
        {
          ...base,
          id: { header: 'x-mailer-id' },
          idSigned: true,
          signedContent: ({ rawBody, headers: h, timestamp }) => [`${h.get('x-mailer-id')}.${timestamp}.`, rawBody],
        },
        backend,
      );
      const delivery = await verify(signedHeader, body, headers('m-1', true));
      expect(delivery.id).toBe('m-1');
      expect(delivery.dedupId).toBeUndefined();
      expect(() => buildHmacVerifier({ ...base, idSigned: 'yes' as unknown as boolean }, backend)).toThrow(
        expect.objectContaining({ code: 'ERR_HOOKGUARD_INVALID_OPTIONS' }),
      );
    });
  });

  it('leaves dedupId unset for schemes that sign their id (Stripe, Standard Webhooks)', async () => {
    const stripeSecret = 'whsec_stripe_dedup_secret';
    const stripeBody = JSON.stringify({ id: 'evt_1', type: 'invoice.paid', created: T });
    const stripeHeader = new Stripe('sk_test_unused').webhooks.generateTestHeaderString({ payload: stripeBody, secret: stripeSecret, timestamp: T });
    const stripe = buildStripe({ secret: stripeSecret, now: () => T * 1000, logger: silentLogger }, backend);
    const fromStripe = await verify(stripe, stripeBody, { 'stripe-signature': stripeHeader });
    expect(fromStripe.id).toBe('evt_1');
    expect(fromStripe.dedupId).toBeUndefined();

    const swSecret = `whsec_${Buffer.from('standard-webhooks-dedup-secret').toString('base64')}`;
    const swBody = JSON.stringify({ type: 'user.created' });
    const signature = new StandardWebhook(swSecret).sign('msg_1', new Date(T * 1000), swBody);
    const standard = buildStandardWebhooks({ secret: swSecret, now: () => T * 1000, logger: silentLogger }, backend, 'standard-webhooks');
    const delivery = await verify(standard, swBody, { 'webhook-id': 'msg_1', 'webhook-timestamp': String(T), 'webhook-signature': signature });
    expect(delivery.id).toBe('msg_1');
    expect(delivery.dedupId).toBeUndefined();
  });
});
