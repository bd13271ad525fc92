import type { WebhookHeaders } from '../http/headers.js';
import type { HmacMatcher } from './hmac-matcher.js';
import { assertFresh } from './timestamp.js';
import type { VerifiedDelivery, Verifier, VerifyInput } from './verifier.js';
import { signatureMismatch } from './verify-errors.js';

/** What a scheme reads off a request before any cryptography. */
export type SignatureMaterial = {
  /** The signed timestamp in Unix seconds, when the scheme signs one. */
  timestampSeconds?: number;
  /** The received signatures, decoded; undecodable ones are simply left out. */
  signatures: readonly Uint8Array[];
  /** How many signatures the header offered in the checked version (for the mismatch message). */
  offered: number;
  /** The signed content, in parts, so the body is hashed where it lies. */
  parts: readonly (string | Uint8Array)[];
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
  /** Decodes an authentic request. */
  interpret(rawBody: Uint8Array, headers: WebhookHeaders, signedAt: Date | undefined): VerifiedDelivery;
};

/**
 * The one verification flow every HMAC scheme shares: read headers, check freshness (cheap, so
 * before any HMAC), compare signatures in constant time, then decode the body.
 */
export function createSchemeVerifier(spec: SchemeSpec): Verifier {
  const { freshness } = spec;
  const verifier: Verifier = {
    name: spec.name,
    async verify({ rawBody, headers }: VerifyInput): Promise<VerifiedDelivery> {
      const material = spec.read(rawBody, headers);
      const seconds = material.timestampSeconds;
      if (seconds !== undefined && freshness !== undefined) {
        assertFresh(spec.label, spec.timestampHeader, seconds, freshness.now(), freshness.toleranceSeconds);
      }
      const matched = spec.matcher(material.parts, material.signatures);
      if (!(typeof matched === 'boolean' ? matched : await matched)) {
        throw signatureMismatch(
          spec.label,
          spec.signatureHeader,
          material.offered,
          spec.secretCount,
          spec.paddedSecret,
        );
      }
      return spec.interpret(rawBody, headers, seconds === undefined ? undefined : new Date(seconds * 1000));
    },
  };
  return spec.retentionMs === undefined ? verifier : { ...verifier, retentionMs: spec.retentionMs };
}
