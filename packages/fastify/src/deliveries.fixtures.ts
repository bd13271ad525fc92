import { createReceiver, standardWebhooks, type Receiver } from '@hookguard/core';
import { Webhook } from 'standardwebhooks';

export const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
export const silent = { warn: (): undefined => undefined, error: (): undefined => undefined };

/** A `message.received` delivery signed by the Standard Webhooks SDK. */
export function signedDelivery(id: string, data: unknown = { text: 'hello' }): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify({ type: 'message.received', data });
  // One instant for the header and the signature, so a second cannot tick over between them.
  const signedAt = new Date(Math.floor(Date.now() / 1000) * 1000);
  return {
    body,
    headers: {
      'webhook-id': id,
      'webhook-timestamp': String(signedAt.getTime() / 1000),
      'webhook-signature': new Webhook(SECRET).sign(id, signedAt, body),
      'content-type': 'application/json',
    },
  };
}

export function standardReceiver(options: { maxBodyBytes?: number } = {}): Receiver {
  return createReceiver({ verifier: standardWebhooks({ secret: SECRET }), logger: silent, ...options });
}
