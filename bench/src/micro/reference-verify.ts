import * as nodeCrypto from 'node:crypto';
import { createHmac, timingSafeEqual, type KeyObject } from 'node:crypto';

const TOLERANCE_SECONDS = 300;

/**
 * The least a correct Standard Webhooks verify does with node:crypto: read the three headers,
 * check the timestamp's freshness, HMAC-SHA256 `${id}.${timestamp}.${body}`, compare each `v1`
 * signature in constant time, and parse the body. The yardstick of B3.
 */
export function referenceVerify(key: KeyObject, body: Buffer, headers: Record<string, string>, parse: boolean, hmac: ReferenceHmac = createHmacOf): unknown {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (id === undefined || timestamp === undefined || signatures === undefined) throw new Error('missing headers');
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > TOLERANCE_SECONDS) throw new Error('stale timestamp');
  const expected = hmac(key, `${id}.${timestamp}.`, body);
  let matched = false;
  for (const entry of signatures.split(' ')) {
    const comma = entry.indexOf(',');
    if (entry.slice(0, comma) !== 'v1') continue;
    const candidate = Buffer.from(entry.slice(comma + 1), 'base64');
    if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) matched = true;
  }
  if (!matched) throw new Error('no matching signature');
  return parse ? JSON.parse(body.toString('utf8')) : undefined;
}

/** An HMAC-SHA256 of `prefix` then `body` under `key`. */
export type ReferenceHmac = (key: KeyObject, prefix: string, body: Buffer) => Buffer;

/** What a user writes: one `Hmac` object per signature. */
const createHmacOf: ReferenceHmac = (key, prefix, body) => createHmac('sha256', key).update(prefix).update(body).digest();

/** node:crypto's one-shot `crypto.hash` (Node 20.12+), or `undefined` on older releases. */
export const oneShotHash = (nodeCrypto as { hash?: (algorithm: string, data: Uint8Array, encoding: 'binary' | 'base64url') => string }).hash;

/**
 * The same HMAC as two one-shot `crypto.hash` calls (RFC 2104 by hand, Node 20.12+), as
 * @hookguard/core signs content up to 16 KB: no `Hmac` object per signature, the content copied
 * after the inner pad into a reused buffer, digests as binary (latin1) text (a Buffer of its own per digest
 * costs more). The reference with it is the least a verify through node:crypto costs.
 */
export function oneShotHmac(secret: Buffer): ReferenceHmac {
  const hash = oneShotHash;
  if (hash === undefined || secret.length > 64) throw new Error('oneShotHmac needs crypto.hash (Node 20.12+) and a key of at most 64 bytes');
  const outer = Buffer.alloc(64 + 32);
  let content = Buffer.alloc(4096);
  for (let index = 0; index < 64; index++) {
    content[index] = (secret[index] ?? 0) ^ 0x36;
    outer[index] = (secret[index] ?? 0) ^ 0x5c;
  }
  return (_key, prefix, body) => {
    const length = 64 + 3 * prefix.length + body.length;
    if (content.length < length) content = Buffer.concat([content.subarray(0, 64), Buffer.alloc(length)]);
    const at = 64 + content.write(prefix, 64);
    content.set(body, at);
    outer.write(hash('sha256', content.subarray(0, at + body.length), 'binary'), 64, 'binary');
    return Buffer.from(hash('sha256', outer, 'binary'), 'binary');
  };
}

/**
 * The least a correct GitHub verify does with node:crypto: HMAC-SHA256 of the body under the
 * secret (a `KeyObject`, made once), the `X-Hub-Signature-256` hex compared in constant time, and
 * the body parsed. The yardstick of `B2.node.octokit.minimal`.
 */
export function referenceGitHubVerify(key: KeyObject, body: Buffer, headers: Record<string, string>): unknown {
  const header = headers['x-hub-signature-256'];
  if (header === undefined || !header.startsWith('sha256=')) throw new Error('missing signature');
  const expected = createHmac('sha256', key).update(body).digest();
  const candidate = Buffer.from(header.slice('sha256='.length), 'hex');
  if (candidate.length !== expected.length || !timingSafeEqual(candidate, expected)) throw new Error('no matching signature');
  return JSON.parse(body.toString('utf8'));
}
