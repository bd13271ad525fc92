import type { OptionNames } from '../errors/unknown-options.js';
import { cryptoBackend, type CryptoBackend } from '../crypto/index.js';
import type { WebhookError } from '../errors/webhook-error.js';
import type { WebhookHeaders } from '../http/headers.js';
import { decodeJsonBody, readString } from './decode-body.js';
import { createHmacMatcher } from './hmac-matcher.js';
import { createSchemeVerifier, type SignatureMaterial } from './scheme-verifier.js';
import { resolveSecrets, type SecretInput } from './secrets.js';
import { requireUnixSeconds } from './timestamp.js';
import type { VerifiedDelivery, Verifier } from './verifier.js';
import {
  requireOptions,
  resolveCommonOptions,
  resolveTolerance,
  type CommonVerifierOptions,
} from './verifier-options.js';
import { rawSecretHint } from './raw-secret-hint.js';
import { invalidOptions, missingHeader, noSupportedSignature } from './verify-errors.js';

/** Options for {@link standardWebhooks} and {@link svix}. */
export type StandardWebhooksOptions = CommonVerifierOptions & {
  /**
   * The endpoint's signing secret, `whsec_` followed by base64 (the prefix and the padding are
   * optional); a list during a rotation.
   */
  secret: SecretInput;
  /**
   * `base64`: the secret is base64, optionally prefixed with `whsec_` (the spec's format).
   * `raw`: the secret string's own UTF-8 bytes are the key, like the SDKs' `{ format: 'raw' }`.
   * @default 'base64'
   */
  secretFormat?: 'base64' | 'raw';
  /**
   * Accepted distance between `webhook-timestamp` and the clock, in both directions.
   * @default 300
   */
  toleranceSeconds?: number;
};

const STANDARD_WEBHOOKS_OPTIONS: OptionNames<StandardWebhooksOptions> = {
  now: true,
  logger: true,
  secret: true,
  secretFormat: true,
  toleranceSeconds: true,
};

/** Options for {@link svix}: the same as Standard Webhooks. */
export type SvixOptions = StandardWebhooksOptions;

/**
 * Retention for Standard Webhooks senders: the spec's example retry schedule ends 75 h 35 min
 * after the first attempt, so 4 days covers it.
 */
const STANDARD_WEBHOOKS_RETENTION_MS = 4 * 24 * 60 * 60 * 1000;
/** Svix retries for about 27.6 h (immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h); 2 days covers it. */
const SVIX_RETENTION_MS = 2 * 24 * 60 * 60 * 1000;

type HeaderNames = { id: string; timestamp: string; signature: string };
const WEBHOOK: HeaderNames = { id: 'webhook-id', timestamp: 'webhook-timestamp', signature: 'webhook-signature' };
const SVIX: HeaderNames = { id: 'svix-id', timestamp: 'svix-timestamp', signature: 'svix-signature' };
const HEADER_KEYS: readonly (keyof HeaderNames)[] = ['id', 'timestamp', 'signature'];

/**
 * Verifies the [Standard Webhooks](https://www.standardwebhooks.com) scheme: HMAC-SHA256 over
 * `${webhook-id}.${webhook-timestamp}.${body}`, signatures as a space-separated `v1,<base64>`
 * list. Also accepts Svix's `svix-*` header names. The secret is `whsec_` + base64; pass
 * `secretFormat: 'raw'` for a sender that uses a plain string as the key. The id is `webhook-id`, the type is the body's
 * `type`, and the timestamp is the signed `webhook-timestamp` (the attempt's time, not the event's).
 *
 * @example
 * ```ts
 * const receiver = createReceiver({
 *   verifier: standardWebhooks({ secret: process.env.WEBHOOK_SECRET! }),
 * });
 * ```
 */
export function standardWebhooks(options: StandardWebhooksOptions): Verifier {
  return buildStandardWebhooks(options, cryptoBackend, 'standard-webhooks');
}

/**
 * Verifies [Svix](https://docs.svix.com/receiving/verifying-payloads/how-manual) deliveries: the
 * Standard Webhooks scheme under `svix-id`, `svix-timestamp` and `svix-signature`, or under the
 * unbranded `webhook-*` names, header by header, as the Svix SDK accepts.
 *
 * @example
 * ```ts
 * const receiver = createReceiver({ verifier: svix({ secret: process.env.SVIX_SECRET! }) });
 * ```
 */
export function svix(options: SvixOptions): Verifier {
  return buildStandardWebhooks(options, cryptoBackend, 'svix');
}

/**
 * {@link standardWebhooks} or {@link svix} with an explicit crypto backend.
 * @internal
 */
export function buildStandardWebhooks(
  options: StandardWebhooksOptions,
  backend: CryptoBackend,
  flavour: 'standard-webhooks' | 'svix',
): Verifier {
  const name = flavour;
  // Option errors name the function the user called.
  const caller = flavour === 'svix' ? 'svix' : 'standardWebhooks';
  const given = requireOptions(caller, options, STANDARD_WEBHOOKS_OPTIONS);
  const { now, logger } = resolveCommonOptions(caller, given);
  const toleranceSeconds = resolveTolerance(caller, given.toleranceSeconds);
  const format = given.secretFormat ?? 'base64';
  if (format !== 'base64' && format !== 'raw') {
    throw invalidOptions(`${caller}(): \`secretFormat\` must be 'base64' or 'raw'.`);
  }
  const secrets = resolveSecrets(given.secret, {
    verifier: name,
    option: 'secret',
    encoding: format === 'raw' ? 'utf8' : 'base64',
    rawOption: "secretFormat: 'raw'",
    logger,
  });
  const unprefixed = secrets.unprefixedBase64;
  const label = flavour === 'svix' ? 'Svix' : 'Standard Webhooks';
  // Both read both header families, header by header: standardWebhooks() prefers webhook-*, svix()
  // prefers svix-* and falls back to the unbranded webhook-* names, as the Svix SDK does.
  const names = flavour === 'svix' ? SVIX : WEBHOOK;
  const fallback = flavour === 'svix' ? WEBHOOK : SVIX;
  const header = (headers: WebhookHeaders, key: keyof HeaderNames): string | undefined => {
    const value = headers.get(names[key]) ?? headers.get(fallback[key]);
    return value === undefined || value.length === 0 ? undefined : value;
  };
  const missing = (values: Record<keyof HeaderNames, string | undefined>): WebhookError => {
    const [first, ...rest] = HEADER_KEYS.filter((key) => values[key] === undefined).map((key) => `${names[key]} (or ${fallback[key]})`);
    return missingHeader(label, first!, ...rest);
  };

  return createSchemeVerifier({
    name,
    retentionMs: flavour === 'svix' ? SVIX_RETENTION_MS : STANDARD_WEBHOOKS_RETENTION_MS,
    label,
    signatureHeader: names.signature,
    timestampHeader: names.timestamp,
    matcher: createHmacMatcher(backend, 'SHA-256', secrets.keys, 'base64'),
    secretCount: secrets.keys.length,
    paddedSecret: secrets.padded,
    freshness: { toleranceSeconds, now },
    mismatchNote:
      unprefixed.length === 0
        ? undefined
        : "Note: a secret without the `whsec_` prefix was decoded as base64; if the sender uses the string itself as the key, pass `secretFormat: 'raw'`.",
    onMismatch: rawSecretHint({ verifier: name, rawOption: "secretFormat: 'raw'", unprefixed, backend, algorithm: 'SHA-256', encoding: 'base64', logger, now }),
    read(rawBody, headers): SignatureMaterial {
      const id = header(headers, 'id');
      const timestamp = header(headers, 'timestamp');
      const signatureList = header(headers, 'signature');
      if (id === undefined || timestamp === undefined || signatureList === undefined) throw missing({ id, timestamp, signature: signatureList });
      const timestampSeconds = requireUnixSeconds(label, names.timestamp, timestamp);
      const { signatures, offered } = parseSignatureList(label, names.signature, signatureList);
      return { timestampSeconds, signatures, offered, parts: [`${id}.${timestamp}.`, rawBody], id };
    },
    // The id as read() found it: each header lookup on a Web `Headers` costs about a microsecond.
    interpret(rawBody, _headers, signedAt, material): VerifiedDelivery {
      const { payload, bodyError } = decodeJsonBody(rawBody);
      const delivery: VerifiedDelivery = {
        id: material.id,
        type: readString(payload, 'type'),
        timestamp: signedAt,
        payload,
      };
      if (bodyError !== undefined) delivery.bodyError = bodyError;
      return delivery;
    },
  });
}

/**
 * Reads `v1,<base64>` entries from a space-separated list. Other versions (`v1a` asymmetric
 * signatures, future ones) are skipped, as the spec asks; a list with no `v1` at all is refused.
 */
function parseSignatureList(
  label: string,
  header: string,
  list: string,
): { signatures: string[]; offered: number } {
  const signatures: string[] = [];
  let offered = 0;
  let others: string[] | undefined;
  let start = 0;
  while (start <= list.length) {
    let end = list.indexOf(' ', start);
    if (end < 0) end = list.length;
    if (end > start) {
      const comma = list.indexOf(',', start);
      const version = comma < 0 || comma > end ? list.slice(start, end) : list.slice(start, comma);
      if (version === 'v1' && comma >= 0 && comma < end) {
        offered++;
        // Repeated header lines arrive joined with ", " (RFC 9110 §5.3), leaving a comma after the
        // last entry of every line but the last; base64 has no comma, so dropping it is unambiguous.
        const last = end < list.length && list.charCodeAt(end - 1) === 44 /* , */ ? end - 1 : end;
        signatures.push(list.slice(comma + 1, last));
      } else {
        (others ??= []).push(version.slice(0, 16));
      }
    }
    start = end + 1;
  }
  if (offered === 0) {
    const received = others === undefined ? 'nothing' : [...new Set(others)].join(', ');
    throw noSupportedSignature(label, header, 'v1', received);
  }
  return { signatures, offered };
}
