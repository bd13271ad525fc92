// The delivery scenarios every example's test runs against its webhook endpoint.
import { expect } from 'vitest';
import type { MailApi } from './mail-api.js';
import { delivery, OTHER_SECRET } from './signed-delivery.js';

/** How a test checks the answer to a redelivery of a handled delivery. */
export type DuplicateCheck = (response: Response) => Promise<void>;

/** The redelivery is answered 200 with exactly `{"received":true,"duplicate":true}`. */
export const duplicateAnswer: DuplicateCheck = async (response) => {
  expect([response.status, await response.text()]).toEqual([200, '{"received":true,"duplicate":true}']);
};

/** The redelivery's body parses to `{ received: true, duplicate: true }`. */
export const duplicateBody: DuplicateCheck = async (response) => {
  expect(await response.json()).toEqual({ received: true, duplicate: true });
};

/**
 * Sends the delivery `id` to `endpoint` three times with `mailApi` failing the first reply: the
 * first answer is 500, the retry 200, the redelivery a duplicate (`checkDuplicate`), and the mail
 * API got the failed reply and the retried one, nothing for the duplicate.
 *
 * @example
 * await expectRetriedThenDuplicate(`${example.origin}/webhooks`, mailApi, 'msg_1', duplicateAnswer);
 */
export async function expectRetriedThenDuplicate(endpoint: string, mailApi: MailApi, id: string, checkDuplicate: DuplicateCheck): Promise<void> {
  const sent = delivery(id);
  const failed = await fetch(endpoint, sent);
  expect([failed.status, await failed.text()]).toEqual([500, '{"error":"ERR_HOOKGUARD_HANDLER_FAILED"}']);
  const retried = await fetch(endpoint, sent);
  expect([retried.status, await retried.text()]).toEqual([200, '{"received":true}']);
  await checkDuplicate(await fetch(endpoint, sent));
  const reply = { messageId: `m_${id}`, to: 'ada@example.com', subject: 'Re: Invoice' };
  expect(mailApi.calls).toEqual([reply, reply]);
}

/**
 * Sends the delivery `id` signed with another secret to `endpoint`: answered 401, and the mail API
 * got nothing.
 *
 * @example
 * await expectForgedRefused(`${example.origin}/webhooks`, mailApi, 'msg_forged');
 */
export async function expectForgedRefused(endpoint: string, mailApi: MailApi, id: string): Promise<void> {
  const callsBefore = mailApi.calls.length;
  const forged = await fetch(endpoint, delivery(id, OTHER_SECRET));
  expect([forged.status, await forged.text()]).toEqual([401, '{"error":"ERR_HOOKGUARD_SIGNATURE_MISMATCH"}']);
  expect(mailApi.calls).toHaveLength(callsBefore);
}

/**
 * Posts a `message.received` body without its signature headers to `endpoint`: answered 400.
 *
 * @example
 * await expectUnsignedRefused(`${example.origin}/webhooks`);
 */
export async function expectUnsignedRefused(endpoint: string): Promise<void> {
  const response = await fetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type":"message.received"}' });
  expect([response.status, await response.text()]).toEqual([400, '{"error":"ERR_HOOKGUARD_MISSING_HEADER"}']);
}
