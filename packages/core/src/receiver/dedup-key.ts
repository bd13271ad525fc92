import { cryptoBackend } from '../crypto/index.js';

/**
 * Longest id kept as it is in the dedup key, in UTF-16 code units (at most 600 UTF-8 bytes).
 * Provider ids are far shorter; a B-tree entry (Postgres) must stay under about 2.7 KB.
 */
const MAX_PLAIN_ID_LENGTH = 200;

// Ids that no store may see as they are: C0 controls (Postgres text refuses NUL), lone surrogates
// (encoded to UTF-8 each becomes U+FFFD, so two ids would share one key) and ids shaped like the
// digest form or like ctx.once() keys (`<namespace>:once:<key>`), which would collide with them.
const NEEDS_DIGEST = /[\u0000-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]|^(?:sha256|once):/;

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
  if (id.length <= MAX_PLAIN_ID_LENGTH && !NEEDS_DIGEST.test(id)) return `${namespace}:${id}`;
  const units = new Uint8Array(id.length * 2);
  for (let index = 0; index < id.length; index++) {
    const unit = id.charCodeAt(index);
    units[2 * index] = unit & 0xff;
    units[2 * index + 1] = unit >> 8;
  }
  const digest = cryptoBackend.sha256(units);
  return typeof digest === 'string' ? `${namespace}:sha256:${digest}` : digest.then((text) => `${namespace}:sha256:${text}`);
}
