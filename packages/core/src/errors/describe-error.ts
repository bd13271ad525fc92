import { isWebhookError } from './webhook-error.js';

/** Longest description returned, in UTF-16 code units: logs and 503 messages stay small. */
const MAX_DESCRIPTION_LENGTH = 1_000;

/**
 * Describes a thrown value for a log line or an error message: `CODE: message` for a
 * `WebhookError`, `Name: message` for another `Error`, `String(value)` otherwise. Never throws,
 * whatever was thrown (`Object.create(null)`, an `Error` whose `message` getter throws, a revoked
 * `Proxy`), and never returns more than 1 000 characters: a failure must not turn into another one
 * while it is being reported (issue 15, item 9).
 *
 * @example
 * ```ts
 * describeError(new TypeError('fetch failed')); // 'TypeError: fetch failed'
 * describeError(Object.create(null)); // '[object without a string form]'
 * ```
 */
export function describeError(error: unknown): string {
  let text: string;
  try {
    text = describe(error);
  } catch {
    text = fallback(error);
  }
  return bound(text);
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const message = textOf(error.message);
    if (isWebhookError(error)) return `${textOf(error.code)}: ${message}`;
    const name = textOf(error.name);
    return message === '' ? name : `${name}: ${message}`;
  }
  return String(error);
}

/** A property of a thrown value; a getter may return anything, and String() of it may throw (caught above). */
function textOf(value: unknown): string {
  return typeof value === 'string' ? value : String(value);
}

function fallback(error: unknown): string {
  try {
    if (error === null) return 'null';
    return typeof error === 'object' || typeof error === 'function' ? `[${typeof error} without a string form]` : `[${typeof error}]`;
  } catch {
    return '[value without a string form]';
  }
}

function bound(text: string): string {
  if (text.length <= MAX_DESCRIPTION_LENGTH) return text;
  let end = MAX_DESCRIPTION_LENGTH - 1;
  // Never cut a surrogate pair in two: the log line stays well-formed UTF-16.
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}
