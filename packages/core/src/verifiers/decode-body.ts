import { decodeUtf8 } from '../crypto/index.js';
import { WebhookError } from '../errors/webhook-error.js';

/** A body as a verifier decoded it: the payload, or why it could not be decoded. */
export type DecodedBody = {
  payload: unknown;
  bodyError?: WebhookError;
};

/** The body as text, or the error to report when it is empty or not UTF-8. */
export function decodeText(rawBody: Uint8Array): string | WebhookError {
  if (rawBody.length === 0) return emptyBody();
  let text: string;
  try {
    // Strict: invalid UTF-8 throws instead of becoming U+FFFD, and a leading byte order mark
    // (which JSON.parse would refuse) is dropped.
    text = decodeUtf8(rawBody);
  } catch {
    return new WebhookError(
      'ERR_HOOKGUARD_INVALID_BODY',
      `The body is authentic but not valid UTF-8 (${rawBody.length} bytes). Check the sender's ` +
        `content encoding; hookguard reads JSON and form bodies as UTF-8.`,
    );
  }
  return text.length === 0 ? emptyBody() : text;
}

/**
 * Decodes a JSON body without ever throwing: an empty body, bytes that are not UTF-8 or text that
 * is not JSON come back as `bodyError` (a coded 400 for the receiver) instead of an exception
 * (which the receiver would answer with 500, and the provider retry forever). `JSON.parse` creates
 * `__proto__` keys as own properties and the result is never merged into another object, so a
 * payload cannot reach any prototype.
 *
 * @example
 * ```ts
 * const { payload, bodyError } = decodeJsonBody(rawBody);
 * if (bodyError !== undefined) return { id: undefined, type: undefined, timestamp: undefined, payload, bodyError };
 * ```
 */
export function decodeJsonBody(rawBody: Uint8Array): DecodedBody {
  const text = decodeText(rawBody);
  if (typeof text !== 'string') return { payload: undefined, bodyError: text };
  return parseJson(text);
}

/** Parses JSON text; the error never quotes the text (V8's messages do, so they are dropped). */
export function parseJson(text: string): DecodedBody {
  try {
    return { payload: JSON.parse(text) as unknown };
  } catch {
    return {
      payload: undefined,
      bodyError: new WebhookError(
        'ERR_HOOKGUARD_INVALID_BODY',
        `The body is authentic but not valid JSON (${text.length} characters). Check that the ` +
          `sender posts JSON to this endpoint.`,
      ),
    };
  }
}

/**
 * Decodes an `application/x-www-form-urlencoded` body into a plain object of its fields (the last
 * value wins for a repeated field). `Object.fromEntries` defines own properties, so a field named
 * `__proto__` stays a field.
 */
export function decodeFormBody(rawBody: Uint8Array): DecodedBody {
  const text = decodeText(rawBody);
  if (typeof text !== 'string') return { payload: undefined, bodyError: text };
  return { payload: Object.fromEntries(new URLSearchParams(text)) };
}

/** The first byte of a JSON object body. A form body never starts with it (a `{` in a form is written `%7B`). */
export const OPEN_BRACE = 0x7b;

/** The first byte of `bytes` that is not ASCII whitespace or part of a UTF-8 byte order mark. */
export function firstNonSpace(bytes: Uint8Array): number | undefined {
  for (let index = 0; index < bytes.length; index++) {
    const byte = bytes[index]!;
    if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d && byte !== 0xef && byte !== 0xbb && byte !== 0xbf) {
      return byte;
    }
  }
  return undefined;
}

/** `value[key]` when `value` is an object owning `key` as a non-empty string or a finite number. */
export function readString(value: unknown, key: string): string | undefined {
  if (typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) return undefined;
  return asId((value as Record<string, unknown>)[key]);
}

/** `value[key]` when it is an own property holding an object. */
export function readObject(value: unknown, key: string): object | undefined {
  if (typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) return undefined;
  const field = (value as Record<string, unknown>)[key];
  return typeof field === 'object' && field !== null ? field : undefined;
}

/**
 * A non-empty string as is, an integer within ±(2^53 − 1) as its decimal text, anything else
 * `undefined`. Other numbers are refused: JSON.parse rounds them to the nearest double, so two
 * distinct ids (`12345678901234567891`, `…892`) would read as one and the second event be dropped.
 */
export function asId(value: unknown): string | undefined {
  if (typeof value === 'string') return value.length > 0 ? value : undefined;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  return undefined;
}

function emptyBody(): WebhookError {
  return new WebhookError(
    'ERR_HOOKGUARD_EMPTY_BODY',
    'The body is authentic but empty. Check that the sender posts a payload and that nothing ' +
      'consumed the request body before hookguard read it.',
  );
}
