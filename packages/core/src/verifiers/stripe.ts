import type { OptionNames } from '../errors/unknown-options.js';
import { cryptoBackend, type CryptoBackend } from '../crypto/index.js';
import { decodeJsonBody, readString } from './decode-body.js';
import { createHmacMatcher } from './hmac-matcher.js';
import { createSchemeVerifier, type SignatureMaterial } from './scheme-verifier.js';
import { resolveSecrets, type SecretInput } from './secrets.js';
import { dateFromUnixSeconds, requireUnixSeconds } from './timestamp.js';
import type { VerifiedDelivery, Verifier } from './verifier.js';
import {
  requireOptions,
  resolveCommonOptions,
  resolveTolerance,
  type CommonVerifierOptions,
} from './verifier-options.js';
import { invalidOptions, malformedHeader, missingHeader, noSupportedSignature } from './verify-errors.js';

/** Options for {@link stripe}. */
export type StripeOptions = CommonVerifierOptions & {
  /**
   * The endpoint's signing secret (`whsec_…`, from the Dashboard or `stripe listen`); a list
   * during a rotation. The whole string, prefix included, is the HMAC key.
   */
  secret: SecretInput;
  /**
   * Accepted distance between the header's `t` and the clock, in both directions. Stricter than
   * stripe-node, which accepts any future timestamp.
   * @default 300
   */
  toleranceSeconds?: number;
};

const STRIPE_OPTIONS: OptionNames<StripeOptions> = { now: true, logger: true, secret: true, toleranceSeconds: true };

/** Stripe retries live-mode deliveries for up to 3 days. */
const STRIPE_RETENTION_MS = 3 * 24 * 60 * 60 * 1000;
const HEADER = 'stripe-signature';
const HEADER_LABEL = 'Stripe-Signature';
const LABEL = 'Stripe';

/**
 * Verifies Stripe webhooks: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>]…`, HMAC-SHA256 over
 * `${t}.${body}` keyed with the `whsec_…` string. Any `v1` may match; `v0` and other schemes are
 * ignored. The id and type are the event's `id` and `type`; the timestamp is its `created` time.
 *
 * @example
 * ```ts
 * const receiver = createReceiver({ verifier: stripe({ secret: process.env.STRIPE_WEBHOOK_SECRET! }) });
 * receiver.on('invoice.paid', async (event) => { … });
 * ```
 */
export function stripe(options: StripeOptions): Verifier {
  return buildStripe(options, cryptoBackend);
}

/**
 * {@link stripe} with an explicit crypto backend.
 * @internal
 */
export function buildStripe(options: StripeOptions, backend: CryptoBackend): Verifier {
  const given = requireOptions('stripe', options, STRIPE_OPTIONS);
  const { now, logger } = resolveCommonOptions('stripe', given);
  const toleranceSeconds = resolveTolerance('stripe', given.toleranceSeconds);
  const secrets = resolveSecrets(given.secret, { verifier: 'stripe', option: 'secret', encoding: 'utf8', logger });
  for (const secret of typeof given.secret === 'string' ? [given.secret] : given.secret) {
    // A Stripe API key in place of the webhook secret is a common mix-up that only ever fails.
    if (/^\s*(sk|rk|pk)_/.test(secret)) {
      throw invalidOptions(
        'stripe(): `secret` looks like a Stripe API key (it starts with sk_, rk_ or pk_). Use the ' +
          "endpoint's signing secret instead: it starts with whsec_ (Dashboard → Webhooks, or `stripe listen`).",
      );
    }
  }

  return createSchemeVerifier({
    name: 'stripe',
    retentionMs: STRIPE_RETENTION_MS,
    label: LABEL,
    signatureHeader: HEADER_LABEL,
    timestampHeader: `${HEADER_LABEL} t=`,
    matcher: createHmacMatcher(backend, 'SHA-256', secrets.keys, 'hex'),
    secretCount: secrets.keys.length,
    paddedSecret: secrets.padded,
    freshness: { toleranceSeconds, now },
    read(rawBody, headers): SignatureMaterial {
      const value = headers.get(HEADER);
      if (value === undefined || value.length === 0) throw missingHeader(LABEL, HEADER_LABEL);
      let timestamp: string | undefined;
      const signatures: string[] = [];
      let offered = 0;
      let others: string[] | undefined;
      for (const item of value.split(',')) {
        const equals = item.indexOf('=');
        const key = equals < 0 ? item : item.slice(0, equals);
        const field = equals < 0 ? '' : item.slice(equals + 1);
        if (key === 't') {
          if (timestamp !== undefined) throw malformedHeader(LABEL, HEADER_LABEL, 'it has more than one t= timestamp');
          timestamp = field;
        } else if (key === 'v1') {
          offered++;
          signatures.push(field);
        } else if (key.length > 0) {
          (others ??= []).push(key.slice(0, 16));
        }
      }
      if (timestamp === undefined) throw malformedHeader(LABEL, HEADER_LABEL, 'it has no t= timestamp');
      const timestampSeconds = requireUnixSeconds(LABEL, `${HEADER_LABEL} t=`, timestamp);
      if (offered === 0) {
        const received = others === undefined ? 'nothing' : [...new Set(others)].join(', ');
        throw noSupportedSignature(LABEL, HEADER_LABEL, 'v1', received);
      }
      return { timestampSeconds, signatures, offered, parts: [`${timestamp}.`, rawBody] };
    },
    interpret(rawBody, _headers, signedAt): VerifiedDelivery {
      const { payload, bodyError } = decodeJsonBody(rawBody);
      const created =
        typeof payload === 'object' && payload !== null && Object.hasOwn(payload, 'created')
          ? dateFromUnixSeconds((payload as { created: unknown }).created)
          : undefined;
      const delivery: VerifiedDelivery = {
        id: readString(payload, 'id'),
        type: readString(payload, 'type'),
        // `created` stays the same on every retry; `t` is re-signed per attempt.
        timestamp: created ?? signedAt,
        payload,
      };
      if (bodyError !== undefined) delivery.bodyError = bodyError;
      return delivery;
    },
  });
}
