import type { OptionNames } from '../errors/unknown-options.js';
import { cryptoBackend, type CryptoBackend } from '../crypto/index.js';
import type { WebhookHeaders } from '../http/headers.js';
import { decodeJsonBody } from './decode-body.js';
import { buildHmacVerifier } from './hmac-verifier.js';
import type { SecretInput } from './secrets.js';
import type { VerifiedDelivery, Verifier } from './verifier.js';
import { requireOptions, type CommonVerifierOptions } from './verifier-options.js';
import { invalidOptions } from './verify-errors.js';

/** Options for {@link shopify}. */
export type ShopifyOptions = CommonVerifierOptions & {
  /** The app's client secret (or the store's webhook signing secret); a list during a rotation. */
  secret: SecretInput;
  /**
   * The header whose value is the dedup id. `x-shopify-webhook-id` identifies one delivery to one
   * subscription and is repeated on its retries; `x-shopify-event-id` identifies the event, the
   * same across every subscription that receives it (so one endpoint with several subscriptions to
   * a topic handles the event once).
   * @default 'x-shopify-webhook-id'
   */
  idHeader?: 'x-shopify-webhook-id' | 'x-shopify-event-id';
};

const SHOPIFY_OPTIONS: OptionNames<ShopifyOptions> = { now: true, logger: true, secret: true, idHeader: true };

/**
 * Shopify retries 8 times over 4 hours (since September 2024; 19 times over 48 hours before).
 * 48 hours covers both schedules.
 */
const SHOPIFY_RETENTION_MS = 48 * 60 * 60 * 1000;

/**
 * Verifies Shopify webhooks: `X-Shopify-Hmac-Sha256`, base64 HMAC-SHA256 over the raw body, keyed
 * with the app's client secret. The id is `X-Shopify-Webhook-Id` (or `X-Shopify-Event-Id`), the
 * type is `X-Shopify-Topic` (`orders/create`), and the timestamp is `X-Shopify-Triggered-At` when
 * present. A handler may also be registered under the GraphQL topic (`ORDERS_CREATE`). Only the
 * body is signed: the id and topic headers are not, so dedup keys on the body and topic (see
 * `dedupId`), and there is no signed timestamp, so no replay window.
 *
 * @example
 * ```ts
 * const receiver = createReceiver({ verifier: shopify({ secret: process.env.SHOPIFY_API_SECRET! }) });
 * receiver.on('orders/create', async (event) => { … });
 * ```
 */
export function shopify(options: ShopifyOptions): Verifier {
  return buildShopify(options, cryptoBackend);
}

/**
 * {@link shopify} with an explicit crypto backend.
 * @internal
 */
export function buildShopify(options: ShopifyOptions, backend: CryptoBackend): Verifier {
  const given = requireOptions('shopify', options, SHOPIFY_OPTIONS);
  const idHeader = given.idHeader ?? 'x-shopify-webhook-id';
  if (idHeader !== 'x-shopify-webhook-id' && idHeader !== 'x-shopify-event-id') {
    throw invalidOptions("shopify(): `idHeader` must be 'x-shopify-webhook-id' or 'x-shopify-event-id'.");
  }
  return buildHmacVerifier(
    {
      name: 'shopify',
      secret: given.secret,
      header: 'x-shopify-hmac-sha256',
      algorithm: 'SHA-256',
      encoding: 'base64',
      retentionMs: SHOPIFY_RETENTION_MS,
      ...(given.now === undefined ? {} : { now: given.now }),
      ...(given.logger === undefined ? {} : { logger: given.logger }),
    },
    backend,
    {
      label: 'Shopify',
      headerLabel: 'X-Shopify-Hmac-Sha256',
      interpret: (rawBody, headers) => interpretShopify(rawBody, headers, idHeader),
      unsignedId: true,
    },
  );
}

function interpretShopify(rawBody: Uint8Array, headers: WebhookHeaders, idHeader: string): VerifiedDelivery {
  const { payload, bodyError } = decodeJsonBody(rawBody);
  const triggeredAt = headers.get('x-shopify-triggered-at');
  const timestamp = triggeredAt === undefined ? undefined : new Date(triggeredAt);
  const type = nonEmpty(headers.get('x-shopify-topic'));
  const delivery: VerifiedDelivery = {
    id: nonEmpty(headers.get(idHeader)),
    type,
    timestamp: timestamp === undefined || Number.isNaN(timestamp.getTime()) ? undefined : timestamp,
    payload,
  };
  // The GraphQL Admin API and Shopify's app templates name topics as enum values (ORDERS_CREATE).
  if (type !== undefined) delivery.alias = type.toUpperCase().replaceAll('/', '_');
  if (bodyError !== undefined) delivery.bodyError = bodyError;
  return delivery;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.length === 0 ? undefined : value;
}
