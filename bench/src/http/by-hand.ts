import { createHash, createSecretKey } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { oneShotHash, referenceGitHubVerify, referenceVerify } from '../micro/reference-verify.js';
import { GITHUB_SECRET } from '../adapters/github-deliveries.js';
import { EVENT_TYPE, SECRET } from './deliveries.js';
import type { ServerCounters } from './server-config.js';

/** An answer for the framework to write. */
export type Answer = { status: number; body: string };

/** The content type every server in the HTTP rounds answers with. */
export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** The body of a 200 for a new event. */
export const RECEIVED = '{"received":true}';
const DUPLICATE = '{"received":true,"duplicate":true}';
const INVALID = '{"error":"invalid signature"}';

/**
 * The webhook route people write without a library: the `standardwebhooks` package's `verify`
 * (which also parses the JSON), then a `Set` of the ids already handled.
 */
export function byHandReceiver(counters: ServerCounters): (body: Buffer, headers: Record<string, string>) => Answer {
  const webhook = new Webhook(SECRET);
  return dedupingReceiver(counters, (body, headers) => webhook.verify(body, headers));
}

/**
 * The least any verifying, deduplicating route can do: B3's minimal node:crypto verify (headers,
 * freshness, one HMAC, constant-time compare, `JSON.parse`) and a `Set` of ids, nothing else: no
 * limits, no leases, no retries, no reports. Its throughput is the ceiling of B1 for any library.
 */
export function minimalReceiver(counters: ServerCounters): (body: Buffer, headers: Record<string, string>) => Answer {
  const key = createSecretKey(Buffer.from(SECRET.slice('whsec_'.length), 'base64'));
  return dedupingReceiver(counters, (body, headers) => referenceVerify(key, body, headers, true));
}

// The same one-shot SHA-256 as @hookguard/core's node:crypto backend.
const sha256 = (body: Buffer): string =>
  oneShotHash === undefined ? createHash('sha256').update(body).digest('base64url') : oneShotHash('sha256', body, 'base64url');

/**
 * A body's fingerprint as the least route keeps it: the first 30 bits of its SHA-256 (five base64url
 * characters), a small integer, as the memory store keeps a number per id and not the digest's string
 * (kept strings would be promoted and make this yardstick slower than the route it measures).
 */
function fingerprintOf(body: Buffer): number {
  const digest = sha256(body);
  let bits = 0;
  for (let index = 0; index < 5; index++) bits = bits * 64 + BASE64URL.indexOf(digest[index]!);
  return bits;
}
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * {@link minimalReceiver} that also keeps the guarantee whose cost no code removes: a SHA-256
 * fingerprint of each body, 30 bits of it kept with its id (a `Map` instead of the `Set`) and
 * compared when the id comes again, as hookguard does to tell a redelivery from another body under
 * a reused id. The yardstick of issue 20's "a guarantee that cannot be cut, measured on its own".
 */
export function minimalFingerprintingReceiver(counters: ServerCounters): (body: Buffer, headers: Record<string, string>) => Answer {
  const key = createSecretKey(Buffer.from(SECRET.slice('whsec_'.length), 'base64'));
  return dedupingReceiver(counters, (body, headers) => referenceVerify(key, body, headers, true), undefined, undefined, fingerprintOf);
}

/**
 * The same least for GitHub deliveries: the minimal node:crypto GitHub verify (one HMAC of the body,
 * a constant-time compare, `JSON.parse`) and a `Set` of `X-GitHub-Delivery` ids.
 */
export function minimalGitHubReceiver(counters: ServerCounters): (body: Buffer, headers: Record<string, string>) => Answer {
  const key = createSecretKey(Buffer.from(GITHUB_SECRET));
  const handled = (payload: unknown, headers: Record<string, string>): boolean =>
    headers['x-github-event'] === 'issues' && (payload as { action?: unknown }).action === 'opened';
  return dedupingReceiver(counters, (body, headers) => referenceGitHubVerify(key, body, headers), 'x-github-delivery', handled);
}

function dedupingReceiver(
  counters: ServerCounters,
  verify: (body: Buffer, headers: Record<string, string>) => unknown,
  idHeader = 'webhook-id',
  handled: (payload: unknown, headers: Record<string, string>) => boolean = (payload) => (payload as { type?: unknown }).type === EVENT_TYPE,
  fingerprint?: (body: Buffer) => number,
): (body: Buffer, headers: Record<string, string>) => Answer {
  const seen = new Set<string>();
  const fingerprints = new Map<string, number>();
  return (body, headers) => {
    let payload: unknown;
    try {
      payload = verify(body, headers);
    } catch {
      counters.errors++;
      return { status: 400, body: INVALID };
    }
    const id = headers[idHeader]!;
    if (fingerprint === undefined) {
      if (seen.has(id)) {
        counters.duplicates++;
        return { status: 200, body: DUPLICATE };
      }
      seen.add(id);
    } else {
      const offered = fingerprint(body);
      const known = fingerprints.get(id);
      if (known !== undefined) {
        counters.duplicates++;
        // Another body under a known id: still a duplicate, and counted as the error it reveals.
        if (known !== offered) counters.errors++;
        return { status: 200, body: DUPLICATE };
      }
      fingerprints.set(id, offered);
    }
    if (handled(payload, headers)) counters.processed++;
    return { status: 200, body: RECEIVED };
  };
}
