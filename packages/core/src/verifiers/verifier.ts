import type { WebhookError } from '../errors/webhook-error.js';
import type { HeadersInput, WebhookHeaders } from '../http/headers.js';

/**
 * What a verifier is given: the exact bytes received and the headers, as a
 * {@link WebhookHeaders} view (what the receiver passes), a Web `Headers`, or a plain object such
 * as Node's `req.headers` (list values included).
 */
export type VerifyInput = {
  rawBody: Uint8Array;
  headers: WebhookHeaders | HeadersInput;
};

/**
 * An authentic delivery, as the verifier read it. Fields the request did not carry are
 * `undefined`; the receiver decides what that means (no id → 400 unless dedup is off).
 */
export type VerifiedDelivery = {
  /** The provider's event id: the dedup key, before namespacing. */
  id: string | undefined;
  /** The provider's event type, used for dispatch. */
  type: string | undefined;
  /**
   * Another name an exact registration may use for this type: `receiver.on(alias)` receives the
   * delivery too (wildcards still match `type` only). GitHub: the event without its action
   * (`issues` for `issues.opened`, as `@octokit/webhooks` does); Shopify: the GraphQL topic
   * (`ORDERS_CREATE` for `orders/create`); Slack: the command of a slash command (`/deploy`) and
   * the subscription of a message (`message.channels`). Dispatch with `router.match(type, alias)`.
   */
  alias?: string;
  /**
   * Set when the event id is not covered by the signature (GitHub, Shopify, an `hmacVerifier`
   * whose id comes from a header): what the dedup key is made from instead of `id`, so that a
   * replayed body never runs again under a fresh id and a forged id never marks another
   * delivery as seen. It is `hmac:<hex of the matched HMAC>` (a keyed digest of exactly the body),
   * or `body:<sha256 of the raw body, base64url>` for a scheme that also signs a timestamp (a retry
   * re-signed later keeps its key), followed by `:<type>` when there is a type (two topics may
   * carry byte-identical bodies). Deliveries with the same body and type share it whatever their
   * ids; `id` stays the provider's id, for handlers.
   */
  dedupId?: string;
  /** When the provider says the event happened or was signed. */
  timestamp: Date | undefined;
  /** The decoded body (JSON, or form fields for form-encoded providers). */
  payload: unknown;
  /** Set when the body is authentic but cannot be decoded; the receiver answers with its status. */
  bodyError?: WebhookError;
  /**
   * A protocol handshake to answer directly with 200 and this JSON body, without dedup or
   * handlers (Slack's `url_verification` challenge).
   */
  reply?: Record<string, unknown>;
};

/**
 * Decides whether a request really comes from the provider. `verify` resolves for every correctly
 * signed request, even one whose body is empty, not JSON or without an id, and rejects with a
 * coded {@link WebhookError} otherwise. It never logs or returns a secret or expected signature.
 *
 * @example
 * ```ts
 * const verifier: Verifier = standardWebhooks({ secret: process.env.WEBHOOK_SECRET! });
 * const delivery = await verifier.verify({ rawBody, headers: toWebhookHeaders(req.headers) });
 * ```
 */
export interface Verifier {
  /** Scheme name; also the receiver's default dedup namespace (`stripe`, `standard-webhooks`, …). */
  readonly name: string;
  /** How long the provider keeps retrying, when known: the receiver's default `retentionMs`. */
  readonly retentionMs?: number;
  /** `true` only for `unsafeNoVerification()`: the receiver then warns once at construction. */
  readonly unsafe?: boolean;
  /**
   * The replay window of the scheme's signed timestamp, in milliseconds, in both directions:
   * absent when the scheme signs no timestamp (GitHub, Shopify), so a captured delivery stays
   * valid forever and only the dedup store's memory stops its replay.
   */
  readonly toleranceMs?: number;
  verify(input: VerifyInput): Promise<VerifiedDelivery>;
}

/**
 * `verify` without the promise where nothing had to wait (node:crypto): a delivery, or a promise
 * only when the crypto backend or a hint is asynchronous; throws where `verify` rejects. The
 * built-in verifiers carry it under {@link VERIFY_NOW}, and the receiver calls it to save a
 * promise and an async frame per delivery, which a busy server pays for in collections.
 * @internal
 */
export type VerifyNow = (input: VerifyInput) => VerifiedDelivery | Promise<VerifiedDelivery>;

/** @internal The key of a built-in verifier's {@link VerifyNow}. */
export const VERIFY_NOW: unique symbol = Symbol('hookguard.verifyNow') as never;
