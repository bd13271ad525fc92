import { cryptoBackend } from '../crypto/index.js';

/**
 * Longest id or once key kept as it is in a store key, in UTF-16 code units (at most 600 UTF-8
 * bytes). Provider ids are far shorter; a B-tree entry (Postgres) must stay under about 2.7 KB.
 */
const MAX_PLAIN_LENGTH = 200;

// What no store may see as it is: C0 controls (Postgres text refuses NUL) and lone surrogates
// (encoded to UTF-8 each becomes U+FFFD, so two ids would share one key).
const UNSTORABLE = /[\u0000-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
// Event ids shaped like the digest form or like ctx.once() keys (`<namespace>:once:<key>`) would
// collide with them; ctx.once keys shaped like the digest form too.
const EVENT_RESERVED = /^(?:sha256|once):/;
// A once() key shaped like the digest form would collide with a digested one.
const ONCE_RESERVED = /^sha256:/;

/**
 * `prefix + text` as one flat string. V8 keeps `a + b` as a pair of pointers to its parts (a cons
 * string), while `join` copies the parts into one. A key lives in the memory store for its event's
 * retention: as a pair it is two or three objects for the collector to visit on every major
 * collection, and its hash is computed through a temporary copy; flat, it is one (issue 20).
 */
function concatenated(prefix: string, text: string): string {
  return [prefix, text].join('');
}

/**
 * `prefix + text`, or `prefix + 'sha256:' + digest` when `text` is too long, holds what a store
 * cannot keep apart, or starts like a reserved form. The digest covers the UTF-16 code units, so
 * distinct texts always get distinct keys. A promise only when a digest is needed and the crypto
 * backend hashes asynchronously (Web Crypto): the common case costs no promise hop.
 */
function storeKey(prefix: string, text: string, reserved: RegExp): string | Promise<string> {
  if (text.length <= MAX_PLAIN_LENGTH && !UNSTORABLE.test(text) && !reserved.test(text)) return concatenated(prefix, text);
  const units = new Uint8Array(text.length * 2);
  for (let index = 0; index < text.length; index++) {
    const unit = text.charCodeAt(index);
    units[2 * index] = unit & 0xff;
    units[2 * index + 1] = unit >> 8;
  }
  const digest = cryptoBackend.sha256(units);
  return typeof digest === 'string' ? concatenated(prefix, `sha256:${digest}`) : digest.then((hex) => concatenated(prefix, `sha256:${hex}`));
}

/**
 * The dedup key of an event: `<namespace>:<id>`, or `<namespace>:sha256:<digest>` when the id is
 * too long or holds what a store cannot keep apart. The digest covers the id's UTF-16 code units,
 * so distinct ids always get distinct keys.
 *
 * A string, or a promise when a digest is needed and the crypto backend hashes asynchronously
 * (Web Crypto): the common case costs no promise hop.
 *
 * @example
 * ```ts
 * dedupKey('stripe', 'evt_1'); // 'stripe:evt_1'
 * ```
 */
export function dedupKey(namespace: string, id: string): string | Promise<string> {
  return storeKey(`${namespace}:`, id, EVENT_RESERVED);
}

/**
 * The store key of `ctx.once(key)`: `<namespace>:once:<key>`, or `<namespace>:once:sha256:<digest>`
 * by the same rule as event ids (issue 14, item 1). Never equal to an event's key: event ids that
 * start with `once:` are digested.
 *
 * @example
 * ```ts
 * contextOnceStoreKey('mail', 'reply:msg_1'); // 'mail:once:reply:msg_1'
 * ```
 */
export function contextOnceStoreKey(namespace: string, key: string): string | Promise<string> {
  return storeKey(`${namespace}:once:`, key, EVENT_RESERVED);
}

/**
 * The store key of `once(store, key)`: `once:<key>`, or `once:sha256:<digest>` by the same rule as
 * event ids, so that keys a store could not keep apart (lone surrogates), could not store (NUL on
 * PostgreSQL) or could not index (over about 2.7 KB on PostgreSQL) still work (issue 14, item 1).
 * The prefix keeps them apart from event keys and `ctx.once` keys, which start with a namespace
 * (never `once`, see resolve-options.ts): a tool call keyed `'<namespace>:<event id>'` on the
 * receiver's store would otherwise answer that event as a duplicate, a loss.
 *
 * @example
 * ```ts
 * onceStoreKey('inbox:client_1'); // 'once:inbox:client_1'
 * ```
 */
export function onceStoreKey(key: string): string | Promise<string> {
  return storeKey('once:', key, ONCE_RESERVED);
}
