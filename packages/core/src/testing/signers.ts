import {
  base64FromBytes,
  cryptoBackend,
  hexFromBytes,
  type CryptoBackend,
  type HmacAlgorithm,
} from '../crypto/index.js';
import { WebhookError } from '../errors/webhook-error.js';
import { silentLogger } from '../logging/logger.js';
import { resolveSecrets, type SecretEncoding } from '../verifiers/secrets.js';

// Signers for tests of applications that use hookguard: they produce the headers each provider
// would send, through the same crypto layer the verifiers use. The providers' SDKs check them in
// signers.test.ts, so they are not only checked against our own verifiers.

/** A request body as a test writes it; strings are sent as UTF-8. */
export type SignerBody = string | Uint8Array;

/** Options for {@link signStandardWebhooks}. */
export type SignStandardWebhooksOptions = {
  /** `whsec_…` secret (prefix optional); several produce several `v1` signatures (rotation). */
  secret: string | readonly string[];
  /** The `webhook-id`, e.g. `msg_2KWPBgLlAfxdpx2AI54pPJ85f4W`. */
  id: string;
  /**
   * Signing time in Unix seconds.
   * @default the current time
   */
  timestamp?: number;
  body: SignerBody;
  /**
   * `webhook` for `webhook-*` header names, `svix` for `svix-*`.
   * @default 'webhook'
   */
  headerPrefix?: 'webhook' | 'svix';
};

/** Options for {@link signStripe}. */
export type SignStripeOptions = {
  /** `whsec_…` secret; several produce several `v1` signatures (rotation). */
  secret: string | readonly string[];
  /**
   * Signing time (`t`) in Unix seconds.
   * @default the current time
   */
  timestamp?: number;
  body: SignerBody;
};

/** Options for {@link signGitHub}. */
export type SignGitHubOptions = {
  secret: string;
  body: SignerBody;
  /** Sets `x-github-event` (`issues`, `ping`) when given. */
  event?: string;
  /** Sets `x-github-delivery` when given. */
  delivery?: string;
};

/** Options for {@link signShopify}. */
export type SignShopifyOptions = {
  secret: string;
  body: SignerBody;
  /** Sets `x-shopify-topic` (`orders/create`) when given. */
  topic?: string;
  /** Sets `x-shopify-webhook-id` when given. */
  webhookId?: string;
  /** Sets `x-shopify-event-id` when given. */
  eventId?: string;
  /** Sets `x-shopify-triggered-at` (ISO 8601) when given. */
  triggeredAt?: Date;
};

/** Options for {@link signSlack}. */
export type SignSlackOptions = {
  signingSecret: string;
  /**
   * `X-Slack-Request-Timestamp` in Unix seconds.
   * @default the current time
   */
  timestamp?: number;
  body: SignerBody;
};

const encoder = new TextEncoder();

/**
 * Headers of a Standard Webhooks delivery (`webhook-id`, `webhook-timestamp`, `webhook-signature`).
 *
 * @example
 * ```ts
 * const body = JSON.stringify({ type: 'invoice.paid', data: {} });
 * const headers = await signStandardWebhooks({ secret, id: 'msg_1', body });
 * const result = await receiver.receive({ rawBody: body, headers });
 * ```
 */
export function signStandardWebhooks(options: SignStandardWebhooksOptions): Promise<Record<string, string>> {
  return signStandardWebhooksWith(cryptoBackend, options);
}

/**
 * The `Stripe-Signature` header (`t=…,v1=…`) of a Stripe delivery.
 *
 * @example
 * ```ts
 * const body = JSON.stringify({ id: 'evt_1', type: 'invoice.paid', created: 1700000000, data: {} });
 * const headers = await signStripe({ secret: 'whsec_test', body });
 * ```
 */
export function signStripe(options: SignStripeOptions): Promise<Record<string, string>> {
  return signStripeWith(cryptoBackend, options);
}

/**
 * The `x-hub-signature-256` header of a GitHub delivery, plus `x-github-event` and
 * `x-github-delivery` when given.
 *
 * @example
 * ```ts
 * const headers = await signGitHub({ secret, body, event: 'issues', delivery: crypto.randomUUID() });
 * ```
 */
export function signGitHub(options: SignGitHubOptions): Promise<Record<string, string>> {
  return signGitHubWith(cryptoBackend, options);
}

/**
 * The `x-shopify-hmac-sha256` header of a Shopify delivery, plus the topic, id and time headers
 * when given.
 *
 * @example
 * ```ts
 * const headers = await signShopify({ secret, body, topic: 'orders/create', webhookId: 'wh_1' });
 * ```
 */
export function signShopify(options: SignShopifyOptions): Promise<Record<string, string>> {
  return signShopifyWith(cryptoBackend, options);
}

/**
 * The `x-slack-signature` and `x-slack-request-timestamp` headers of a Slack request.
 *
 * @example
 * ```ts
 * const body = JSON.stringify({ type: 'event_callback', event_id: 'Ev1', event: { type: 'app_mention' } });
 * const headers = await signSlack({ signingSecret, body });
 * ```
 */
export function signSlack(options: SignSlackOptions): Promise<Record<string, string>> {
  return signSlackWith(cryptoBackend, options);
}

/** @internal */
export async function signStandardWebhooksWith(
  backend: CryptoBackend,
  options: SignStandardWebhooksOptions,
): Promise<Record<string, string>> {
  const prefix = options.headerPrefix ?? 'webhook';
  const timestamp = String(unixSeconds('signStandardWebhooks', options.timestamp));
  const macs = await sign(backend, 'signStandardWebhooks', options.secret, 'base64', 'SHA-256', [
    `${options.id}.${timestamp}.`,
    bytes(options.body),
  ]);
  return {
    [`${prefix}-id`]: options.id,
    [`${prefix}-timestamp`]: timestamp,
    [`${prefix}-signature`]: macs.map((mac) => `v1,${base64FromBytes(mac)}`).join(' '),
  };
}

/** @internal */
export async function signStripeWith(backend: CryptoBackend, options: SignStripeOptions): Promise<Record<string, string>> {
  const timestamp = String(unixSeconds('signStripe', options.timestamp));
  const macs = await sign(backend, 'signStripe', options.secret, 'utf8', 'SHA-256', [`${timestamp}.`, bytes(options.body)]);
  return { 'stripe-signature': [`t=${timestamp}`, ...macs.map((mac) => `v1=${hexFromBytes(mac)}`)].join(',') };
}

/** @internal */
export async function signGitHubWith(backend: CryptoBackend, options: SignGitHubOptions): Promise<Record<string, string>> {
  const [mac] = await sign(backend, 'signGitHub', options.secret, 'utf8', 'SHA-256', [bytes(options.body)]);
  const headers: Record<string, string> = { 'x-hub-signature-256': `sha256=${hexFromBytes(mac!)}` };
  if (options.event !== undefined) headers['x-github-event'] = options.event;
  if (options.delivery !== undefined) headers['x-github-delivery'] = options.delivery;
  return headers;
}

/** @internal */
export async function signShopifyWith(backend: CryptoBackend, options: SignShopifyOptions): Promise<Record<string, string>> {
  const [mac] = await sign(backend, 'signShopify', options.secret, 'utf8', 'SHA-256', [bytes(options.body)]);
  const headers: Record<string, string> = { 'x-shopify-hmac-sha256': base64FromBytes(mac!) };
  if (options.topic !== undefined) headers['x-shopify-topic'] = options.topic;
  if (options.webhookId !== undefined) headers['x-shopify-webhook-id'] = options.webhookId;
  if (options.eventId !== undefined) headers['x-shopify-event-id'] = options.eventId;
  if (options.triggeredAt !== undefined) headers['x-shopify-triggered-at'] = options.triggeredAt.toISOString();
  return headers;
}

/** @internal */
export async function signSlackWith(backend: CryptoBackend, options: SignSlackOptions): Promise<Record<string, string>> {
  const timestamp = String(unixSeconds('signSlack', options.timestamp));
  const [mac] = await sign(backend, 'signSlack', options.signingSecret, 'utf8', 'SHA-256', [
    `v0:${timestamp}:`,
    bytes(options.body),
  ]);
  return { 'x-slack-request-timestamp': timestamp, 'x-slack-signature': `v0=${hexFromBytes(mac!)}` };
}

async function sign(
  backend: CryptoBackend,
  signer: string,
  secret: string | readonly string[],
  encoding: SecretEncoding,
  algorithm: HmacAlgorithm,
  parts: readonly (string | Uint8Array)[],
): Promise<Uint8Array[]> {
  const { keys } = resolveSecrets(secret, { verifier: signer, option: 'secret', encoding, logger: silentLogger });
  return Promise.all(keys.map(async (key) => backend.importHmacKey(algorithm, key).sign(parts)));
}

function bytes(body: SignerBody): Uint8Array {
  return typeof body === 'string' ? encoder.encode(body) : body;
}

function unixSeconds(signer: string, timestamp: number | undefined): number {
  if (timestamp === undefined) return Math.floor(Date.now() / 1000);
  // 1e11 seconds is the year 5138: anything larger is milliseconds passed by mistake.
  if (!Number.isSafeInteger(timestamp) || timestamp < 0 || timestamp >= 1e11) {
    throw new WebhookError(
      'ERR_HOOKGUARD_INVALID_OPTIONS',
      `${signer}(): \`timestamp\` must be whole Unix seconds (e.g. Math.floor(Date.now() / 1000)), received ${timestamp}.`,
    );
  }
  return timestamp;
}
