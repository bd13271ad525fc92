import { malformedHeader, staleTimestamp } from './verify-errors.js';

/** Longest accepted run of digits: 12 digits reach the year 33658 and stay within `Date`. */
const MAX_DIGITS = 12;

/**
 * Parses a Unix time in seconds written as plain decimal digits. Signs, decimals, exponents and
 * spaces are refused rather than guessed at, since the text is part of the signed content.
 */
export function parseUnixSeconds(text: string): number | undefined {
  if (text.length === 0 || text.length > MAX_DIGITS) return undefined;
  let value = 0;
  for (let index = 0; index < text.length; index++) {
    const digit = text.charCodeAt(index) - 48;
    if (digit < 0 || digit > 9) return undefined;
    value = value * 10 + digit;
  }
  return value;
}

/** Parses a signed timestamp header or throws `ERR_HOOKGUARD_MALFORMED_HEADER`. */
export function requireUnixSeconds(scheme: string, header: string, text: string): number {
  const seconds = parseUnixSeconds(text);
  if (seconds === undefined) {
    throw malformedHeader(
      scheme,
      header,
      `expected a Unix time in whole seconds, received ${JSON.stringify(text.slice(0, 40))}`,
    );
  }
  return seconds;
}

/**
 * Throws `ERR_HOOKGUARD_TIMESTAMP_TOO_OLD` or `_TOO_NEW` when `seconds` is more than
 * `toleranceSeconds` away from the clock. Compares whole seconds, as the providers' SDKs do, so
 * a delivery exactly at the tolerance passes and one a second beyond it fails.
 */
export function assertFresh(
  scheme: string,
  header: string,
  seconds: number,
  nowMs: number,
  toleranceSeconds: number,
): void {
  const nowSeconds = Math.floor(nowMs / 1000);
  const age = nowSeconds - seconds;
  if (age > toleranceSeconds || -age > toleranceSeconds) {
    throw staleTimestamp(scheme, header, seconds, nowSeconds, toleranceSeconds);
  }
}

/** A `Date` from a payload's Unix seconds (integer or decimal, as Slack's `event_time`), if plausible. */
export function dateFromUnixSeconds(value: unknown): Date | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value >= 1e12) return undefined;
  return new Date(Math.floor(value * 1000));
}
