import type { OptionNames } from '../errors/unknown-options.js';
import { cryptoBackend, type CryptoBackend, type HmacAlgorithm } from '../crypto/index.js';
import { WebhookError, isWebhookError } from '../errors/webhook-error.js';
import type { WebhookHeaders } from '../http/headers.js';
import { decodeJsonBody } from './decode-body.js';
import { compileFieldSource, type FieldSource } from './field-source.js';
import { createSchemeVerifier, type SignatureMaterial } from './scheme-verifier.js';
import { rawSecretHint } from './raw-secret-hint.js';
import { resolveSecrets, type SecretEncoding, type SecretInput } from './secrets.js';
import { createHmacMatcher, type SignatureEncoding } from './hmac-matcher.js';
import { requireUnixSeconds } from './timestamp.js';
import type { VerifiedDelivery, Verifier } from './verifier.js';
import {
  requireOptions,
  resolveCommonOptions,
  resolveRetention,
  resolveTolerance,
  type CommonVerifierOptions,
} from './verifier-options.js';
import { invalidOptions, malformedHeader, missingHeader } from './verify-errors.js';

/** What {@link HmacVerifierOptions.signedContent} builds the signed content from. */
export type SignedContentContext = {
  /** The exact body bytes received. */
  rawBody: Uint8Array;
  headers: WebhookHeaders;
  /** The `timestampHeader` value exactly as received; `undefined` without a `timestampHeader`. */
  timestamp: string | undefined;
};

/** Options for {@link hmacVerifier}. */
export type HmacVerifierOptions = CommonVerifierOptions & {
  /** The verifier's name: the receiver's default dedup namespace (`billing`, `mailer`). */
  name: string;
  /** The shared secret; a list during a rotation (a request signed with any of them passes). */
  secret: SecretInput;
  /**
   * How the secret string becomes key bytes: `utf8` as is, or `base64` (optional `whsec_` prefix).
   * @default 'utf8'
   */
  secretEncoding?: SecretEncoding;
  /** The header carrying the signature (any case), e.g. `x-signature`. */
  header: string;
  /**
   * The HMAC hash. SHA-1 only for legacy senders.
   * @default 'SHA-256'
   */
  algorithm?: HmacAlgorithm;
  /**
   * How the signature is written: lower-case `hex`, or standard `base64` (padding optional).
   * @default 'hex'
   */
  encoding?: SignatureEncoding;
  /**
   * Text before the signature in the header, e.g. `sha256=`.
   * @default ''
   */
  prefix?: string;
  /**
   * Builds the signed content as parts (strings are UTF-8), hashed in order without copying the
   * body. When the sender signs a timestamp, include it here, or `toleranceSeconds` protects
   * nothing: `({ rawBody, timestamp }) => [`${timestamp}.`, rawBody]`.
   * @default ({ rawBody }) => [rawBody]
   */
  signedContent?: (context: SignedContentContext) => readonly (string | Uint8Array)[];
  /**
   * A header carrying the signed Unix time in seconds. When set, it is required and must be within
   * `toleranceSeconds` of the clock, in both directions.
   */
  timestampHeader?: string;
  /**
   * Accepted distance between the signed timestamp and the clock. Needs `timestampHeader`.
   * @default 300
   */
  toleranceSeconds?: number;
  /**
   * Where the event id (the dedup key) comes from.
   * @default { body: 'id' }
   */
  id?: FieldSource;
  /**
   * Whether `signedContent` covers the id. An id read from the body is signed with it; an id
   * from a header or a function is assumed unsigned, so dedup does not trust it: the receiver
   * keys dedup on a digest of the signed body and the type instead (a replayed body never runs
   * again under a fresh id, and a forged id never marks a genuine delivery as seen). Set `true`
   * when `signedContent` includes the id header's value: distinct ids with identical bodies are
   * then distinct deliveries.
   * @default false
   */
  idSigned?: boolean;
  /**
   * Where the event type (for dispatch) comes from.
   * @default { body: 'type' }
   */
  type?: FieldSource;
  /**
   * How long the sender may redeliver an event: the receiver's default retention.
   * @default undefined (the receiver's own default, 3 days)
   */
  retentionMs?: number;
};

const HMAC_VERIFIER_OPTIONS: OptionNames<HmacVerifierOptions> = {
  now: true,
  logger: true,
  name: true,
  secret: true,
  secretEncoding: true,
  header: true,
  algorithm: true,
  encoding: true,
  prefix: true,
  signedContent: true,
  timestampHeader: true,
  toleranceSeconds: true,
  id: true,
  idSigned: true,
  type: true,
  retentionMs: true,
};

/** Scheme-specific behaviour the named verifiers add to {@link buildHmacVerifier}. */
export type HmacSchemeHooks = {
  /** The scheme's name in messages. @default options.name */
  label?: string;
  /** The secret option's name as the caller wrote it (`signingSecret`). @default 'secret' */
  secretOption?: string;
  /** Header names as messages write them (`X-Hub-Signature-256`). */
  headerLabel?: string;
  timestampHeaderLabel?: string;
  /** The error for a missing signature header, when the scheme knows better than "missing". */
  whenMissing?: (headers: WebhookHeaders) => WebhookError | undefined;
  /** Decodes an authentic request, replacing the JSON body + `id`/`type` sources. */
  interpret?: (rawBody: Uint8Array, headers: WebhookHeaders, signedAt: Date | undefined) => VerifiedDelivery;
  /** Whether the scheme's id is outside the signed content. @default from `id` and `idSigned` */
  unsignedId?: boolean;
};

const ALGORITHMS: readonly HmacAlgorithm[] = ['SHA-256', 'SHA-512', 'SHA-1'];
const ENCODINGS: readonly SignatureEncoding[] = ['hex', 'base64'];

/**
 * A verifier for an in-house sender that signs with an HMAC in one header: the hash, the
 * encoding, the prefix, what is signed and where the id and type live are all options. The
 * GitHub, Shopify and Slack verifiers are configurations of this same builder.
 *
 * @example
 * ```ts
 * const verifier = hmacVerifier({
 *   name: 'mailer',
 *   secret: process.env.MAILER_WEBHOOK_SECRET!,
 *   header: 'x-mailer-signature',
 *   prefix: 'sha256=',
 *   timestampHeader: 'x-mailer-timestamp',
 *   signedContent: ({ rawBody, timestamp }) => [`${timestamp}.`, rawBody],
 *   id: { header: 'x-mailer-event-id' },
 *   type: { body: 'event' },
 * });
 * ```
 */
export function hmacVerifier(options: HmacVerifierOptions): Verifier {
  return buildHmacVerifier(options, cryptoBackend);
}

/**
 * {@link hmacVerifier} with an explicit crypto backend and scheme hooks.
 * @internal
 */
export function buildHmacVerifier(
  options: HmacVerifierOptions,
  backend: CryptoBackend,
  hooks: HmacSchemeHooks = {},
): Verifier {
  const given = requireOptions('hmacVerifier', options, HMAC_VERIFIER_OPTIONS);
  const name = given.name;
  if (typeof name !== 'string' || name.trim().length === 0) {
    throw invalidOptions('hmacVerifier(): `name` must be a non-empty string (it is the default dedup namespace).');
  }
  const { now, logger } = resolveCommonOptions(name, given);
  const header = requireHeaderName(name, 'header', given.header);
  const algorithm = given.algorithm ?? 'SHA-256';
  if (!ALGORITHMS.includes(algorithm)) {
    throw invalidOptions(`${name}(): \`algorithm\` must be one of ${ALGORITHMS.join(', ')}.`);
  }
  const encoding = given.encoding ?? 'hex';
  if (!ENCODINGS.includes(encoding)) {
    throw invalidOptions(`${name}(): \`encoding\` must be 'hex' or 'base64'.`);
  }
  const prefix = given.prefix ?? '';
  if (typeof prefix !== 'string') throw invalidOptions(`${name}(): \`prefix\` must be a string.`);
  const timestampHeader =
    given.timestampHeader === undefined ? undefined : requireHeaderName(name, 'timestampHeader', given.timestampHeader);
  if (timestampHeader === undefined && given.toleranceSeconds !== undefined) {
    throw invalidOptions(`${name}(): \`toleranceSeconds\` needs \`timestampHeader\`, the header it applies to.`);
  }
  const toleranceSeconds = resolveTolerance(name, given.toleranceSeconds);
  const signedContent = compileSignedContent(name, given.signedContent);
  const secretEncoding = given.secretEncoding ?? 'utf8';
  if (secretEncoding !== 'utf8' && secretEncoding !== 'base64') {
    throw invalidOptions(`${name}(): \`secretEncoding\` must be 'utf8' or 'base64'.`);
  }
  const secrets = resolveSecrets(given.secret, {
    verifier: name,
    option: hooks.secretOption ?? 'secret',
    encoding: secretEncoding,
    rawOption: "secretEncoding: 'utf8'",
    logger,
  });
  const unprefixed = secrets.unprefixedBase64;
  const interpret = hooks.interpret ?? defaultInterpret(name, given.id, given.type);
  const label = hooks.label ?? name;
  const headerLabel = hooks.headerLabel ?? header;
  const timestampLabel = hooks.timestampHeaderLabel ?? timestampHeader ?? header;
  const whenMissing = hooks.whenMissing;
  if (given.idSigned !== undefined && typeof given.idSigned !== 'boolean') {
    throw invalidOptions(`${name}(): \`idSigned\` must be true or false.`);
  }
  const unsignedId = hooks.unsignedId ?? (given.idSigned !== true && !readsBody(given.id ?? { body: 'id' }));

  return createSchemeVerifier({
    name,
    retentionMs: resolveRetention(name, given.retentionMs),
    label,
    signatureHeader: headerLabel,
    timestampHeader: timestampLabel,
    matcher: createHmacMatcher(backend, algorithm, secrets.keys, encoding),
    secretCount: secrets.keys.length,
    paddedSecret: secrets.padded,
    freshness: timestampHeader === undefined ? undefined : { toleranceSeconds, now },
    mismatchNote:
      unprefixed.length === 0
        ? undefined
        : "Note: a secret without the `whsec_` prefix was decoded as base64; if the sender uses the string itself as the key, pass `secretEncoding: 'utf8'`.",
    onMismatch: rawSecretHint({ verifier: name, rawOption: "secretEncoding: 'utf8'", unprefixed, backend, algorithm, encoding, logger, now }),
    read(rawBody, headers): SignatureMaterial {
      const value = headers.get(header);
      const timestamp = timestampHeader === undefined ? undefined : headers.get(timestampHeader);
      const timestampMissing = timestampHeader !== undefined && (timestamp === undefined || timestamp.length === 0);
      if (value === undefined || value.length === 0) {
        throw whenMissing?.(headers) ?? (timestampMissing ? missingHeader(label, headerLabel, timestampLabel) : missingHeader(label, headerLabel));
      }
      if (timestampMissing) throw missingHeader(label, timestampLabel);
      const seconds = timestamp === undefined ? undefined : requireUnixSeconds(label, timestampLabel, timestamp);
      if (!value.startsWith(prefix)) {
        throw malformedHeader(label, headerLabel, `expected the signature to start with ${JSON.stringify(prefix)}`);
      }
      const signatures = [value.slice(prefix.length)];
      const parts = signedContent({ rawBody, headers, timestamp });
      return seconds === undefined
        ? { signatures, offered: 1, parts }
        : { timestampSeconds: seconds, signatures, offered: 1, parts };
    },
    interpret,
    bodyDigest: unsignedId ? (rawBody) => backend.sha256(rawBody) : undefined,
  });
}

function readsBody(source: FieldSource): boolean {
  return typeof source === 'object' && source !== null && typeof (source as { body?: unknown }).body === 'string';
}

function defaultInterpret(
  name: string,
  id: FieldSource | undefined,
  type: FieldSource | undefined,
): NonNullable<HmacSchemeHooks['interpret']> {
  const readId = compileFieldSource(name, 'id', id ?? { body: 'id' });
  const readType = compileFieldSource(name, 'type', type ?? { body: 'type' });
  return (rawBody, headers, signedAt) => {
    const { payload, bodyError } = decodeJsonBody(rawBody);
    const context = { headers, payload };
    const delivery: VerifiedDelivery = { id: readId(context), type: readType(context), timestamp: signedAt, payload };
    if (bodyError !== undefined) delivery.bodyError = bodyError;
    return delivery;
  };
}

function compileSignedContent(
  name: string,
  build: HmacVerifierOptions['signedContent'],
): NonNullable<HmacVerifierOptions['signedContent']> {
  if (build === undefined) return ({ rawBody }) => [rawBody];
  if (typeof build !== 'function') {
    throw invalidOptions(`${name}(): \`signedContent\` must be a function returning the signed parts.`);
  }
  return (context) => {
    let parts: unknown;
    try {
      parts = build(context);
    } catch (error) {
      if (isWebhookError(error)) throw error;
      throw new WebhookError('ERR_HOOKGUARD_INTERNAL', `${name}(): \`signedContent\` threw.`, { cause: error });
    }
    if (!Array.isArray(parts)) {
      throw new WebhookError(
        'ERR_HOOKGUARD_INTERNAL',
        `${name}(): \`signedContent\` must return an array of strings and Uint8Arrays.`,
      );
    }
    return parts as readonly (string | Uint8Array)[];
  };
}

function requireHeaderName(verifier: string, option: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim().length === 0) {
    throw invalidOptions(`${verifier}(): \`${option}\` must be a header name, e.g. 'x-signature'.`);
  }
  return value.trim();
}
