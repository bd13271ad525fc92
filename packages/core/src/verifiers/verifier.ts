import type { WebhookError } from '../errors/webhook-error.js';
import type { WebhookHeaders } from '../http/headers.js';

/** What a verifier is given: the exact bytes received and a case-insensitive header view. */
export type VerifyInput = {
  rawBody: Uint8Array;
  headers: WebhookHeaders;
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
  verify(input: VerifyInput): Promise<VerifiedDelivery>;
}
