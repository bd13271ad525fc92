/** A function that returns a copy of a payload fit to show: secrets masked. */
export type Redactor = (payload: unknown) => unknown;

/** What masked values are replaced with. */
export const REDACTED = '[redacted]';

const SECRET_KEY = /passw(or)?d|passphrase|secret|token|api[-_]?key|authori[sz]ation|credential|session[-_]?id|cookie|signature|private[-_]?key|e-?mail|^ssn$|card[-_]?number|cvv|iban/i;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const MAX_DEPTH = 32;

/**
 * The default redaction: a copy of `payload` where the value of every key that looks like a secret,
 * token, password, credential or email is `'[redacted]'`, and every string that looks like an email
 * address is too, at any depth.
 *
 * @example
 * ```ts
 * redactSecrets({ user: { email: 'a@b.co', name: 'Ada' }, apiToken: 'x' });
 * // { user: { email: '[redacted]', name: 'Ada' }, apiToken: '[redacted]' }
 * ```
 */
export function redactSecrets(payload: unknown): unknown {
  return redact(payload, 0);
}

function redact(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return EMAIL.test(value.trim()) ? REDACTED : value;
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= MAX_DEPTH) return REDACTED;
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    copy[key] = SECRET_KEY.test(key) && item !== null && item !== undefined && item !== '' ? REDACTED : redact(item, depth + 1);
  }
  return copy;
}

// In free text: a secret-looking key (quoted or not) and its value after `:` or `=` (a quoted
// string, a `Bearer`/`Basic` credential, or a bare word), and any email address.
// Literals, not `new RegExp(…)`: a bundler drops an unused literal, never a call at module scope.
const SECRET_PAIR =
  /(["']?)([\w-]*(?:passw(?:or)?d|passphrase|secret|token|api[-_]?key|authori[sz]ation|credential|session[-_]?id|cookie|signature|private[-_]?key|e-?mail|card[-_]?number|cvv|iban)[\w-]*)\1(\s*[:=]\s*)("(?:[^"\\]|\\.)*"|'[^']*'|(?:Bearer|Basic)\s+[^\s,;}\]]+|[^\s,;}\]]+)/gi;
const EMAIL_IN_TEXT = /[^\s@"'<>(),;:[\]{}]+@[^\s@"'<>(),;:[\]{}]+\.[a-z]{2,}/gi;

/**
 * The default redaction of an error message before a delivery log keeps it (a handler's error
 * often quotes the payload): the value after every secret-looking key, and every email address,
 * become `'[redacted]'`; the rest of the text stays, so the message still says what went wrong.
 *
 * @example
 * ```ts
 * redactMessage('send failed for {"to":"ada@example.com","api_token":"tok_1"}');
 * // 'send failed for {"to":"[redacted]","api_token":"[redacted]"}'
 * ```
 */
export function redactMessage(message: string): string {
  return message
    .replace(SECRET_PAIR, (_match, quote: string, name: string, separator: string, value: string) =>
      `${quote}${name}${quote}${separator}${value.startsWith('"') ? `"${REDACTED}"` : value.startsWith("'") ? `'${REDACTED}'` : REDACTED}`,
    )
    .replace(EMAIL_IN_TEXT, REDACTED);
}
