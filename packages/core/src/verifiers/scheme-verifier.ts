import { bytesFromBase64, hexFromBytes } from '../crypto/encoding.js';
import { asWebhookHeaders, type WebhookHeaders } from '../http/headers.js';
import type { HmacMatcher } from './hmac-matcher.js';
import { assertFresh } from './timestamp.js';
import type { WebhookError } from '../errors/webhook-error.js';
import { VERIFY_NOW, type VerifiedDelivery, type Verifier, type VerifyInput, type VerifyNow } from './verifier.js';
import { signatureMismatch } from './verify-errors.js';

/** What a scheme reads off a request before any cryptography. */
export type SignatureMaterial = {
  /** The signed timestamp in Unix seconds, when the scheme signs one. */
  timestampSeconds?: number;
  /**
   * The received signatures as written, in the scheme's encoding (the `v1,` or `sha256=` before
   * each left off); the matcher compares them with the canonical text of the expected HMAC.
   */
  signatures: readonly string[];
  /** How many signatures the header offered in the checked version (for the mismatch message). */
  offered: number;
  /** The signed content, in parts, so the body is hashed where it lies. */
  parts: readonly (string | Uint8Array)[];
  /** The event id, when the scheme signs it (read with the other headers, not read again). */
  id?: string;
};

/** The pieces one signature scheme plugs into {@link createSchemeVerifier}. */
export type SchemeSpec = {
  name: string;
  retentionMs: number | undefined;
  /** Human name of the scheme for messages (`Stripe`, `Standard Webhooks`). */
  label: string;
  /** The header holding the signatures, as messages name it. */
  signatureHeader: string;
  /** The header (or header field) holding the signed timestamp, as messages name it. */
  timestampHeader: string;
  matcher: HmacMatcher;
  secretCount: number;
  paddedSecret: boolean;
  /** Present when the scheme signs a timestamp that must be fresh. */
  freshness: { toleranceSeconds: number; now: () => number } | undefined;
  /** Reads headers; throws the missing/malformed/unsupported errors. */
  read(rawBody: Uint8Array, headers: WebhookHeaders): SignatureMaterial;
  /** Decodes an authentic request; `material` is what {@link read} returned for it. */
  interpret(rawBody: Uint8Array, headers: WebhookHeaders, signedAt: Date | undefined, material: SignatureMaterial): VerifiedDelivery;
  /**
   * Present when the event id is not signed: the SHA-256 (base64url) of the body, from which
   * {@link VerifiedDelivery.dedupId} is made when the signed content is more than the body.
   * Synchronous on node:crypto.
   */
  bodyDigest?: ((rawBody: Uint8Array) => string | Promise<string>) | undefined;
  /** A sentence added to the signature mismatch message (a likely cause the options reveal). */
  mismatchNote?: string | undefined;
  /** Called before a signature mismatch is thrown, to log a hint (rate-limited) about its cause. */
  onMismatch?: ((material: SignatureMaterial) => void | Promise<void>) | undefined;
};

/**
 * The one verification flow every HMAC scheme shares: read headers, check freshness (cheap, so
 * before any HMAC), compare signatures in constant time, then decode the body.
 */
export function createSchemeVerifier(spec: SchemeSpec): Verifier {
  const { freshness, bodyDigest } = spec;
  const mismatch = (material: SignatureMaterial): WebhookError =>
    signatureMismatch(spec.label, spec.signatureHeader, material.offered, spec.secretCount, spec.paddedSecret, spec.mismatchNote);
  /** After the signatures were compared: the mismatch error, or the decoded delivery with its dedup id. */
  const conclude = (rawBody: Uint8Array, headers: WebhookHeaders, material: SignatureMaterial, matched: string | undefined): VerifiedDelivery | Promise<VerifiedDelivery> => {
    if (matched === undefined) {
      const error = mismatch(material);
      const hinted = spec.onMismatch?.(material);
      if (hinted === undefined) throw error;
      const fail = (): never => {
        throw error;
      };
      return hinted.then(fail, fail);
    }
    const seconds = material.timestampSeconds;
    const delivery = spec.interpret(rawBody, headers, seconds === undefined ? undefined : new Date(seconds * 1000), material);
    // An undecodable body or a handshake never reaches the dedup store: no digest needed.
    if (bodyDigest === undefined || delivery.bodyError !== undefined || delivery.reply !== undefined) return delivery;
    if (material.parts.length === 1 && material.parts[0] === rawBody) {
      // Only the body is signed (GitHub, Shopify): the matched HMAC already is a keyed digest of
      // exactly these bytes, so the body is not hashed a second time. A redelivery signed under
      // another secret (across a rotation) gets another key: a duplicate then, never a loss.
      // Keys are the digest's hex whatever the encoding, as they were when digests were decoded.
      return withDedupId(delivery, `hmac:${spec.matcher.encoding === 'hex' ? matched : hexFromBytes(bytesFromBase64(matched)!)}`);
    }
    // The signed content holds more (a timestamp a retry re-signs): key on the body alone.
    const hashing = bodyDigest(rawBody);
    return typeof hashing === 'string' ? withDedupId(delivery, `body:${hashing}`) : hashing.then((text) => withDedupId(delivery, `body:${text}`));
  };
  const verifyNow: VerifyNow = (input) => {
    const { rawBody } = input;
    const headers = asWebhookHeaders(input.headers);
    const material = spec.read(rawBody, headers);
    const seconds = material.timestampSeconds;
    if (seconds !== undefined && freshness !== undefined) {
      assertFresh(spec.label, spec.timestampHeader, seconds, freshness.now(), freshness.toleranceSeconds);
    }
    const matching = spec.matcher(material.parts, material.signatures);
    if (matching instanceof Promise) return matching.then((matched) => conclude(rawBody, headers, material, matched));
    return conclude(rawBody, headers, material, matching);
  };
  const verifier: Verifier & { [VERIFY_NOW]: VerifyNow } = {
    name: spec.name,
    verify(input: VerifyInput): Promise<VerifiedDelivery> {
      try {
        const verified = verifyNow(input);
        return verified instanceof Promise ? verified : Promise.resolve(verified);
      } catch (error) {
        return Promise.reject(error);
      }
    },
    [VERIFY_NOW]: verifyNow,
  };
  const described: { retentionMs?: number; toleranceMs?: number } = {};
  if (spec.retentionMs !== undefined) described.retentionMs = spec.retentionMs;
  if (freshness !== undefined) described.toleranceMs = freshness.toleranceSeconds * 1000;
  return { ...verifier, ...described };
}

function withDedupId(delivery: VerifiedDelivery, digest: string): VerifiedDelivery {
  delivery.dedupId = delivery.type === undefined ? digest : `${digest}:${delivery.type}`;
  return delivery;
}
