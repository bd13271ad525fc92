import { WebhookError } from '@hookguard/core';

// What PostgreSQL's text and jsonb cannot hold, checked before a value reaches the server.

/**
 * Longest key, in UTF-8 bytes. A btree index entry holds at most about 2 700 bytes (a third of a
 * page), so longer keys fail on the primary key with 54000; 2 048 leaves room for the row header.
 */
export const MAX_KEY_BYTES = 2_048;

/** A token as PostgreSQL's uuid type writes it, and as the store's claims hand it out. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// NUL, or a surrogate that is not half of a pair: text refuses NUL, and the driver's UTF-8
// encoding turns every lone surrogate into U+FFFD, so `a\ud800` and `a\ud801` would be one key.
const UNSTORABLE = /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Rejects a key PostgreSQL cannot keep apart from others or store at all, with
 * `ERR_HOOKGUARD_UNSUPPORTED` instead of a driver error on every claim (issue 14, item 1). The
 * receiver and `ctx.once` replace such keys by digests before they reach a store; this catches
 * direct callers.
 *
 * @example
 * ```ts
 * checkKey('stripe:evt_1', 'claim'); // passes
 * checkKey('reply:\u0000', 'claim'); // throws ERR_HOOKGUARD_UNSUPPORTED
 * ```
 */
export function checkKey(key: string, operation: string): void {
  const problem = keyProblem(key);
  if (problem === undefined) return;
  throw new WebhookError(
    'ERR_HOOKGUARD_UNSUPPORTED',
    `PostgresStore ${operation} refused a key that ${problem}; received ${describe(key)}. Pass keys through the receiver or ctx.once, which digest such keys, or digest it yourself (e.g. a SHA-256 hex of it).`,
  );
}

/** Why the key cannot be stored, or `undefined` when it can. */
export function keyProblem(key: unknown): string | undefined {
  if (typeof key !== 'string' || key === '') return 'is not a non-empty string';
  if (UNSTORABLE.test(key)) return 'contains a NUL character or a lone surrogate, which PostgreSQL text cannot keep apart';
  // Checked exactly only when it could matter: a UTF-16 code unit is at most 3 UTF-8 bytes.
  if (key.length * 3 > MAX_KEY_BYTES && Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) {
    return `is longer than ${MAX_KEY_BYTES} UTF-8 bytes, more than PostgreSQL's index on the key can hold`;
  }
  return undefined;
}

/**
 * Where a result holds a string (or property name) that jsonb refuses, NUL or a lone surrogate:
 * `result.text`, `result.items[2]`; `undefined` when it holds none (issue 14, item 8).
 *
 * @example
 * ```ts
 * unstorableInResult({ text: 'a\u0000' }); // 'result.text'
 * ```
 */
export function unstorableInResult(value: unknown, path = 'result', ancestors = new Set<object>()): string | undefined {
  if (typeof value === 'string') return UNSTORABLE.test(value) ? path : undefined;
  // A cycle is JSON.stringify's to refuse; this walk only must not loop on it.
  if (typeof value !== 'object' || value === null || ancestors.has(value)) return undefined;
  ancestors.add(value);
  try {
    if (Array.isArray(value)) {
      for (let index = 0; index < value.length; index++) {
        const found = unstorableInResult(value[index] as unknown, `${path}[${index}]`, ancestors);
        if (found !== undefined) return found;
      }
      return undefined;
    }
    for (const [name, item] of Object.entries(value)) {
      const itemPath = `${path}[${JSON.stringify(name)}]`;
      if (UNSTORABLE.test(name)) return itemPath;
      const found = unstorableInResult(item, itemPath, ancestors);
      if (found !== undefined) return found;
    }
    return undefined;
  } finally {
    ancestors.delete(value);
  }
}

function describe(key: unknown): string {
  if (typeof key !== 'string') return typeof key;
  const shown = JSON.stringify(key.length > 60 ? `${key.slice(0, 60)}…` : key);
  return `${shown} (${key.length} characters)`;
}
