import { createHmac, timingSafeEqual, type KeyObject } from 'node:crypto';

const TOLERANCE_SECONDS = 300;

/**
 * The least a correct Standard Webhooks verify does with node:crypto: read the three headers,
 * check the timestamp's freshness, HMAC-SHA256 `${id}.${timestamp}.${body}`, compare each `v1`
 * signature in constant time, and parse the body. The yardstick of B3.
 */
export function referenceVerify(key: KeyObject, body: Buffer, headers: Record<string, string>, parse: boolean): unknown {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (id === undefined || timestamp === undefined || signatures === undefined) throw new Error('missing headers');
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > TOLERANCE_SECONDS) throw new Error('stale timestamp');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest();
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
