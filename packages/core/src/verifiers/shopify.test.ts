// Shopify publishes no test vector and has no signing SDK among our dev dependencies, so these
// deliveries are signed with node:crypto directly, an implementation independent of ours.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { toWebhookHeaders } from '../http/headers.js';
import { shopify, type ShopifyOptions } from './shopify.js';
import type { VerifiedDelivery } from './verifier.js';

const SECRET = 'shpss_0123456789abcdef0123456789abcdef';
const BODY = JSON.stringify({ id: 820982911946154500, email: 'jon@example.com', total_price: '10.00' });
const HEADERS = {
  'X-Shopify-Hmac-Sha256': createHmac('sha256', SECRET).update(BODY).digest('base64'),
  'X-Shopify-Topic': 'orders/create',
  'X-Shopify-Webhook-Id': 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
  'X-Shopify-Event-Id': '98880550-7158-44d4-b7cd-2c97c8a091b5',
  'X-Shopify-Triggered-At': '2023-03-29T18:00:27.877041743Z',
  'X-Shopify-Shop-Domain': 'shop.myshopify.com',
};

function deliver(options: Partial<ShopifyOptions> = {}, headers: Record<string, string> = HEADERS): Promise<VerifiedDelivery> {
  return shopify({ secret: SECRET, ...options }).verify({ rawBody: new TextEncoder().encode(BODY), headers: toWebhookHeaders(headers) });
}

describe('shopify()', () => {
  it('reads the webhook id, the topic as type and X-Shopify-Triggered-At as timestamp', async () => {
    await expect(deliver()).resolves.toMatchObject({
      id: 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
      type: 'orders/create',
      timestamp: new Date('2023-03-29T18:00:27.877Z'),
      payload: { email: 'jon@example.com' },
    });
  });

  it('aliases the topic to its GraphQL name, so on(\'ORDERS_CREATE\') receives orders/create', async () => {
    await expect(deliver()).resolves.toMatchObject({ type: 'orders/create', alias: 'ORDERS_CREATE' });
    await expect(deliver({}, { ...HEADERS, 'X-Shopify-Topic': 'customers/data_request' })).resolves.toMatchObject({
      type: 'customers/data_request',
      alias: 'CUSTOMERS_DATA_REQUEST',
    });
  });

  it("uses X-Shopify-Event-Id as the id with idHeader: 'x-shopify-event-id'", async () => {
    await expect(deliver({ idHeader: 'x-shopify-event-id' })).resolves.toMatchObject({ id: '98880550-7158-44d4-b7cd-2c97c8a091b5' });
  });

  it('leaves the timestamp undefined when X-Shopify-Triggered-At is absent or unreadable', async () => {
    const { 'X-Shopify-Triggered-At': _removed, ...rest } = HEADERS;
    await expect(deliver({}, rest)).resolves.toMatchObject({ timestamp: undefined });
    await expect(deliver({}, { ...HEADERS, 'X-Shopify-Triggered-At': 'yesterday' })).resolves.toMatchObject({ timestamp: undefined });
  });

  it('rejects a hex signature where Shopify sends base64', async () => {
    const hex = createHmac('sha256', SECRET).update(BODY).digest('hex');
    await expect(deliver({}, { ...HEADERS, 'X-Shopify-Hmac-Sha256': hex })).rejects.toMatchObject({ code: 'ERR_HOOKGUARD_SIGNATURE_MISMATCH' });
  });

  it('throws ERR_HOOKGUARD_INVALID_OPTIONS for an idHeader it does not know', () => {
    expect(() => shopify({ secret: SECRET, idHeader: 'x-shopify-order-id' as 'x-shopify-event-id' })).toThrow(
      expect.objectContaining({ code: 'ERR_HOOKGUARD_INVALID_OPTIONS' }),
    );
  });

  it('is named shopify and keeps ids 48 hours', () => {
    const verifier = shopify({ secret: SECRET });
    expect(verifier.name).toBe('shopify');
    expect(verifier.retentionMs).toBe(48 * 3_600_000);
  });
});
