import { bytesFromBase64 } from '../crypto/index.js';
import type { Logger } from '../logging/logger.js';
import { invalidOptions } from './verify-errors.js';

/** One signing secret, or several during a rotation: a request signed with any of them passes. */
export type SecretInput = string | readonly string[];

/**
 * How a secret string becomes key bytes: `utf8` uses its UTF-8 bytes as they are; `base64`
 * decodes it (an optional `whsec_` prefix removed first, padding optional), as Standard Webhooks
 * secrets are written.
 */
export type SecretEncoding = 'utf8' | 'base64';

/** The prepared keys, plus what mismatch messages may point out about the secrets. */
export type ResolvedSecrets = {
  keys: Uint8Array[];
  /** Some secret carried stray whitespace. */
  padded: boolean;
  /**
   * The secrets decoded as base64 without the `whsec_` prefix, trimmed: each may be a raw secret
   * that merely happens to be valid base64, and then no signature ever matches.
   */
  unprefixedBase64: string[];
};

type ResolveSecretsOptions = {
  /** The verifier's name, for messages and the warning's fields. */
  verifier: string;
  /** The option's name as the user wrote it (`secret`, `signingSecret`). */
  option: string;
  encoding: SecretEncoding;
  /** The option that makes the verifier use a secret's own bytes (`secretFormat: 'raw'`), for messages. */
  rawOption?: string;
  logger: Logger;
};

const encoder = new TextEncoder();
const STANDARD_WEBHOOKS_PREFIX = 'whsec_';

/**
 * Validates secrets and turns them into key bytes. Throws `ERR_HOOKGUARD_INVALID_OPTIONS` for a
 * missing, empty or whitespace-only secret; warns once (`WARN_HOOKGUARD_SECRET_WHITESPACE`) when
 * a secret has leading or trailing whitespace, usually a newline copied along with it.
 */
export function resolveSecrets(input: unknown, options: ResolveSecretsOptions): ResolvedSecrets {
  const { verifier, option } = options;
  const list = typeof input === 'string' ? [input] : Array.isArray(input) ? (input as unknown[]) : undefined;
  if (list === undefined) {
    throw invalidOptions(
      `${verifier}(): \`${option}\` must be a string or a list of strings, received ${describe(input)}. ` +
        `If it comes from an environment variable, check that the variable is set.`,
    );
  }
  if (list.length === 0) {
    throw invalidOptions(`${verifier}(): \`${option}\` is an empty list; pass at least one signing secret.`);
  }
  const padded: number[] = [];
  const unprefixedBase64: string[] = [];
  const keys = list.map((secret, index) => {
    const where = list.length === 1 ? `\`${option}\`` : `\`${option}[${index}]\``;
    if (typeof secret !== 'string') {
      throw invalidOptions(`${verifier}(): ${where} must be a string, received ${describe(secret)}.`);
    }
    const trimmed = secret.trim();
    if (trimmed.length === 0) {
      throw invalidOptions(
        `${verifier}(): ${where} is ${secret.length === 0 ? 'empty' : 'only whitespace'}. Pass the ` +
          `signing secret from the sender's dashboard; if it comes from an environment variable, ` +
          `check that the variable is set.`,
      );
    }
    if (trimmed.length !== secret.length) padded.push(index);
    if (options.encoding === 'base64' && !trimmed.startsWith(STANDARD_WEBHOOKS_PREFIX)) unprefixedBase64.push(trimmed);
    return toKey(options.encoding === 'base64' ? trimmed : secret, options, where);
  });
  if (padded.length > 0) {
    options.logger.warn(
      { code: 'WARN_HOOKGUARD_SECRET_WHITESPACE', verifier, option, indexes: padded },
      `${verifier}(): \`${option}\` has leading or trailing whitespace (often a newline copied ` +
        `with it). ` +
        (options.encoding === 'base64'
          ? 'It was ignored while decoding the secret; '
          : 'It is used as given, so signatures will not match if the real secret has none; ') +
        `trim the value where it is loaded.`,
    );
  }
  return { keys, padded: padded.length > 0, unprefixedBase64 };
}

function toKey(secret: string, options: ResolveSecretsOptions, where: string): Uint8Array {
  if (options.encoding === 'utf8') return encoder.encode(secret);
  const prefixed = secret.startsWith(STANDARD_WEBHOOKS_PREFIX);
  const body = prefixed ? secret.slice(STANDARD_WEBHOOKS_PREFIX.length) : secret;
  const key = bytesFromBase64(body);
  if (key === undefined || key.length === 0) {
    const received = prefixed
      ? `\`whsec_\` and ${body.length} characters after it that are not base64`
      : `${body.length} characters without the \`whsec_\` prefix, not base64`;
    throw invalidOptions(
      `${options.verifier}(): ${where} is not a base64 secret (expected \`whsec_\` followed by ` +
        `base64; received ${received}). Copy the whole secret from the sender's dashboard` +
        (options.rawOption === undefined
          ? '.'
          : `, or, if the sender uses the string itself as the key, pass \`${options.rawOption}\`.`),
    );
  }
  return key;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}
