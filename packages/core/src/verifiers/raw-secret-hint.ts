import type { CryptoBackend, HmacAlgorithm } from '../crypto/index.js';
import type { Logger } from '../logging/logger.js';
import { createHmacMatcher, type SignatureEncoding } from './hmac-matcher.js';
import type { SignatureMaterial } from './scheme-verifier.js';

/** At most one hint per verifier in this period: a flood of bad requests must not flood the log. */
const HINT_INTERVAL_MS = 60 * 60 * 1000;

type RawSecretHintOptions = {
  verifier: string;
  /** The option that selects raw secrets, as the user writes it (`secretFormat: 'raw'`). */
  rawOption: string;
  /** The secrets that had no `whsec_` prefix and were decoded as base64, trimmed. */
  unprefixed: readonly string[];
  backend: CryptoBackend;
  algorithm: HmacAlgorithm;
  encoding: SignatureEncoding;
  logger: Logger;
  now: () => number;
};

const encoder = new TextEncoder();

/**
 * Builds the mismatch hook of a scheme whose secrets are base64: a secret written without the
 * `whsec_` prefix that happens to be valid base64 (`mysupersecret1234`) decodes to other bytes
 * than the sender's key, and every delivery is then 401. On a mismatch, logs once (then at most
 * hourly) a `WARN_HOOKGUARD_SECRET_FORMAT` naming the raw option, saying whether the signature
 * does match the secret's own UTF-8 bytes. `undefined` when every secret had the prefix.
 */
export function rawSecretHint(options: RawSecretHintOptions): ((material: SignatureMaterial) => void | Promise<void>) | undefined {
  const { verifier, rawOption, unprefixed, logger, now } = options;
  if (unprefixed.length === 0) return undefined;
  const rawMatcher = createHmacMatcher(options.backend, options.algorithm, unprefixed.map((secret) => encoder.encode(secret)), options.encoding);
  let loggedAt: number | undefined;
  const log = (rawMatches: boolean): void => {
    const message = rawMatches
      ? `${verifier}(): the signature matches the secret's own UTF-8 bytes, but the secret was ` +
        `decoded as base64 (it has no \`whsec_\` prefix): pass \`${rawOption}\`.`
      : `${verifier}(): no signature matched, and a secret without the \`whsec_\` prefix was decoded ` +
        `as base64. If the sender uses the string itself as the key, pass \`${rawOption}\`; ` +
        `otherwise copy the whole \`whsec_…\` secret from the sender's dashboard.`;
    try {
      logger.warn({ code: 'WARN_HOOKGUARD_SECRET_FORMAT', verifier, rawMatches }, message);
    } catch {
      // A failing logger must not turn a 401 into a 500.
    }
  };
  return (material) => {
    const at = now();
    if (loggedAt !== undefined && at - loggedAt < HINT_INTERVAL_MS) return;
    loggedAt = at;
    const matched = rawMatcher(material.parts, material.signatures);
    if (!(matched instanceof Promise)) return log(matched !== undefined);
    return matched.then((digest) => log(digest !== undefined), () => log(false));
  };
}
