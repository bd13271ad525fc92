// The `message.received` delivery the examples handle, signed as the provider signs it.
import { Webhook } from 'standardwebhooks';

/** The endpoint secret the examples are started with. */
export const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
/** A well-formed secret that is not the endpoint's: deliveries signed with it are forged. */
export const OTHER_SECRET = 'whsec_bm90IHRoZSBlbmRwb2ludCdzIHNlY3JldCBhdCBhbGw=';

/**
 * A `message.received` delivery signed by the Standard Webhooks SDK, as the provider sends it,
 * ready to pass to `fetch`.
 *
 * @example
 * const response = await fetch(`${origin}/webhooks`, delivery('msg_1'));
 */
export function delivery(id: string, secret = SECRET): { method: 'POST'; headers: Record<string, string>; body: string } {
  const body = JSON.stringify({ type: 'message.received', data: { messageId: `m_${id}`, from: 'ada@example.com', subject: 'Invoice' } });
  // One instant for the header and the signature: read twice, a second could tick over between
  // them (the SDK's first signature, its SHA-256 not yet compiled, takes milliseconds), and the
  // delivery would be signed over another timestamp than it carries.
  const signedAt = new Date(Math.floor(Date.now() / 1000) * 1000);
  return {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(signedAt.getTime() / 1000),
      'webhook-signature': new Webhook(secret).sign(id, signedAt, body),
    },
  };
}
