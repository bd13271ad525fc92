import { createHmac } from 'node:crypto';
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { toWebhookHeaders } from '../http/headers.js';
import { stripe } from './stripe.js';
import type { VerifiedDelivery, Verifier } from './verifier.js';

const SECRET = 'whsec_stripe_test_secret_0123456789';
const T = 1_700_000_000;
const BODY = JSON.stringify({ id: 'evt_1', object: 'event', type: 'invoice.paid', created: T - 3600, data: { object: {} } });
const sdk = new Stripe('sk_test_unused');
const sdkHeader = (payload = BODY, timestamp = T, secret = SECRET): string =>
  sdk.webhooks.generateTestHeaderString({ payload, secret, timestamp });
const hex = (secret: string | Buffer, content: string): string => createHmac('sha256', secret).update(content).digest('hex');

function verify(verifier: Verifier, header: string, body = BODY): Promise<VerifiedDelivery> {
  return verifier.verify({ rawBody: new TextEncoder().encode(body), headers: toWebhookHeaders({ 'Stripe-Signature': header }) });
}

describe('stripe()', () => {
  const verifier = stripe({ secret: SECRET, now: () => T * 1000 });

  it("reads the event's id and type, and its created time as the timestamp", async () => {
    const delivery = await verify(verifier, sdkHeader());
    expect(delivery).toMatchObject({ id: 'evt_1', type: 'invoice.paid', timestamp: new Date((T - 3600) * 1000) });
  });

  it('falls back to the signed t for the timestamp when the body has no created time', async () => {
    const body = JSON.stringify({ id: 'evt_2', type: 'ping' });
    await expect(verify(verifier, sdkHeader(body), body)).resolves.toMatchObject({ timestamp: new Date(T * 1000) });
  });

  it('accepts a header in which any of several v1 signatures matches, ignoring v0 and unknown schemes', async () => {
    const good = hex(SECRET, `${T}.${BODY}`);
    const header = `t=${T},v1=${'0'.repeat(64)},v0=${'1'.repeat(64)},v1=${good},x9=whatever`;
    await expect(verify(verifier, header)).resolves.toMatchObject({ id: 'evt_1' });
  });

  it('rejects a header with only v0 signatures with ERR_HOOKGUARD_NO_SUPPORTED_SIGNATURE', async () => {
    await expect(verify(verifier, `t=${T},v0=${hex(SECRET, `${T}.${BODY}`)}`)).rejects.toMatchObject({
      code: 'ERR_HOOKGUARD_NO_SUPPORTED_SIGNATURE',
      message: expect.stringContaining('received: v0'),
    });
  });

  it.each([
    ['no t= timestamp', `v1=${'0'.repeat(64)}`],
    ['two t= timestamps', `t=${T},t=${T + 1},v1=${'0'.repeat(64)}`],
    ['a t= that is not Unix seconds', `t=${T}.5,v1=${'0'.repeat(64)}`],
  ])('rejects a header with %s with ERR_HOOKGUARD_MALFORMED_HEADER', async (_, header) => {
    await expect(verify(verifier, header)).rejects.toMatchObject({ code: 'ERR_HOOKGUARD_MALFORMED_HEADER' });
  });

  it('keys the HMAC with the whole whsec_ string, not its base64 decoding', async () => {
    const decodedKey = Buffer.from(SECRET.slice('whsec_'.length), 'base64');
    await expect(verify(verifier, `t=${T},v1=${hex(decodedKey, `${T}.${BODY}`)}`)).rejects.toMatchObject({
      code: 'ERR_HOOKGUARD_SIGNATURE_MISMATCH',
    });
  });

  it('rejects an upper-case signature, as the Stripe SDK does', async () => {
    const header = `t=${T},v1=${hex(SECRET, `${T}.${BODY}`).toUpperCase()}`;
    await expect(verify(verifier, header)).rejects.toMatchObject({ code: 'ERR_HOOKGUARD_SIGNATURE_MISMATCH' });
    expect(() => sdk.webhooks.constructEvent(BODY, header, SECRET, 300, undefined, T * 1000)).toThrow();
  });

  it('rejects a timestamp from the future, which stripe-node would accept', async () => {
    const header = sdkHeader(BODY, T + 3600);
    expect(sdk.webhooks.constructEvent(BODY, header, SECRET, 300, undefined, T * 1000)).toMatchObject({ id: 'evt_1' });
    await expect(verify(verifier, header)).rejects.toMatchObject({ code: 'ERR_HOOKGUARD_TIMESTAMP_TOO_NEW' });
  });

  it('throws ERR_HOOKGUARD_INVALID_OPTIONS when given an API key instead of the signing secret', () => {
    for (const secret of ['sk_test_123', 'rk_live_456', 'pk_test_789', ['whsec_fine', 'sk_live_x']]) {
      expect(() => stripe({ secret })).toThrow(
        expect.objectContaining({ code: 'ERR_HOOKGUARD_INVALID_OPTIONS', message: expect.not.stringContaining('sk_test_123') }),
      );
    }
  });

  it('is named stripe and keeps ids for the 3 days Stripe retries', () => {
    expect(verifier.name).toBe('stripe');
    expect(verifier.retentionMs).toBe(3 * 24 * 3_600_000);
  });
});
