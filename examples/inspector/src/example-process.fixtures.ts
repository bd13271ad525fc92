import { Webhook } from 'standardwebhooks';
import { SECRET } from '../../../test/support/signed-delivery.js';

export { startExample, type StartedExample } from '../../../test/support/example-process.js';
export { SECRET };
export const TOKEN = 'example-inspector-token-7f3a9c';

/** A `message.received` delivery carrying `data`, signed by the Standard Webhooks SDK, as the provider sends it. */
export function delivery(id: string, data: Record<string, unknown>): { method: 'POST'; headers: Record<string, string>; body: string } {
  const body = JSON.stringify({ type: 'message.received', timestamp: new Date().toISOString(), data });
  const now = new Date();
  return {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': new Webhook(SECRET).sign(id, now, body) },
  };
}
