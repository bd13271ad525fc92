import { WebhookError } from '../errors/webhook-error.js';

// One place for the wording of request-time rejections, so every scheme says the same thing the
// same way. None of these ever receives a secret, an expected signature or a payload.

/**
 * Headers the scheme needs are absent (or empty), every one named: a proxy that strips one
 * usually strips several, and fixing them one 400 at a time would take as many deliveries.
 */
export function missingHeader(scheme: string, ...headers: readonly [string, ...string[]]): WebhookError {
  const named = headers.length === 1 ? `the ${headers[0]} header is` : `the ${headers.slice(0, -1).join(', ')} and ${headers.at(-1)} headers are`;
  return new WebhookError(
    'ERR_HOOKGUARD_MISSING_HEADER',
    `${scheme}: ${named} missing. Every ${scheme} delivery carries ${headers.length === 1 ? 'it' : 'them'}; check that the ` +
      `request comes from the sender and that no proxy strips or renames headers.`,
  );
}

/** A header is present but not in the scheme's format. */
export function malformedHeader(scheme: string, header: string, problem: string): WebhookError {
  return new WebhookError(
    'ERR_HOOKGUARD_MALFORMED_HEADER',
    `${scheme}: the ${header} header is malformed: ${problem}. Check that the request comes from the ` +
      `sender and that nothing rewrites the header on the way.`,
  );
}

/** The signature header holds signatures, but none in a version this verifier checks. */
export function noSupportedSignature(scheme: string, header: string, supported: string, received: string): WebhookError {
  return new WebhookError(
    'ERR_HOOKGUARD_NO_SUPPORTED_SIGNATURE',
    `${scheme}: the ${header} header carries no ${supported} signature (received: ${received}). ` +
      `Configure the sender to sign with ${supported}.`,
  );
}

/** No signature matches under any configured secret. */
export function signatureMismatch(
  scheme: string,
  header: string,
  signatureCount: number,
  secretCount: number,
  paddedSecret: boolean,
  note?: string,
): WebhookError {
  const signatures =
    signatureCount === 1
      ? `the signature in the ${header} header does not match`
      : `none of the ${signatureCount} signatures in the ${header} header matches`;
  const secrets = secretCount === 1 ? 'the configured secret' : `any of the ${secretCount} configured secrets`;
  return new WebhookError(
    'ERR_HOOKGUARD_SIGNATURE_MISMATCH',
    `${scheme}: ${signatures} the request under ${secrets}. ` +
      `Check that the secret is this endpoint's signing secret and that verify receives the raw body ` +
      `bytes exactly as sent (not re-serialized JSON).` +
      (paddedSecret ? ' Note: a configured secret has leading or trailing whitespace.' : '') +
      (note === undefined ? '' : ` ${note}`),
  );
}

/** The signed timestamp lies outside the tolerance, in either direction. */
export function staleTimestamp(
  scheme: string,
  header: string,
  seconds: number,
  nowSeconds: number,
  toleranceSeconds: number,
): WebhookError {
  const at = new Date(seconds * 1000).toISOString();
  const age = nowSeconds - seconds;
  if (age > 0) {
    return new WebhookError(
      'ERR_HOOKGUARD_TIMESTAMP_TOO_OLD',
      `${scheme}: the signed timestamp in ${header} (${seconds}, ${at}) is ${age} s old, beyond the ` +
        `${toleranceSeconds} s tolerance. This is a replay or a badly delayed delivery; if this ` +
        `server's clock is behind, synchronise it (NTP).`,
    );
  }
  return new WebhookError(
    'ERR_HOOKGUARD_TIMESTAMP_TOO_NEW',
    `${scheme}: the signed timestamp in ${header} (${seconds}, ${at}) is ${-age} s in the future, ` +
      `beyond the ${toleranceSeconds} s tolerance. Synchronise this server's clock (NTP).`,
  );
}

/** A configuration problem found at construction. */
export function invalidOptions(message: string): WebhookError {
  return new WebhookError('ERR_HOOKGUARD_INVALID_OPTIONS', message);
}
