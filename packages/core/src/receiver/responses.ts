import type { WebhookError } from '../errors/webhook-error.js';
import type { ReceiveOutcome, ReceiveResult, WebhookEvent } from './types.js';

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' } as const;

const BODIES = {
  processed: '{"received":true}',
  duplicate: '{"received":true,"duplicate":true}',
  ignored: '{"received":true,"ignored":true}',
  dead_lettered: '{"received":true,"dead_lettered":true}',
  queued: '{"received":true,"queued":true}',
} as const;

/** A 200 answer for an outcome the provider should not retry, about `event` once it is known. */
export function success(outcome: keyof typeof BODIES, event?: WebhookEvent): ReceiveResult {
  const result: ReceiveResult = { outcome, status: 200, headers: { ...JSON_HEADERS }, body: BODIES[outcome] };
  if (event !== undefined) result.event = event;
  return result;
}

/** A 200 answer carrying a protocol handshake body (Slack's url_verification). */
export function handshake(reply: Record<string, unknown>): ReceiveResult {
  return { outcome: 'handshake', status: 200, headers: { ...JSON_HEADERS }, body: JSON.stringify(reply) };
}

/** An error answer: the code only, never a message, stack or payload. */
export function failure(
  outcome: Exclude<ReceiveOutcome, keyof typeof BODIES | 'handshake'>,
  error: WebhookError,
  retryAfterSeconds?: number,
): ReceiveResult {
  const headers: Record<string, string> = { ...JSON_HEADERS };
  if (retryAfterSeconds !== undefined) headers['retry-after'] = String(retryAfterSeconds);
  return { outcome, status: error.status, headers, body: JSON.stringify({ error: error.code }), error };
}

/** Seconds for a Retry-After header: whole, at least 1. */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
