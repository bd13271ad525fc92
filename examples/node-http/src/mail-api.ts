/**
 * The side effect the example's handler performs: a reply sent through a mail API. Without
 * `MAIL_API_URL` it only logs. A failed call throws, so the receiver answers 500 and the
 * provider's retry runs the handler again.
 */
export async function sendReply(mailApiUrl: string | undefined, reply: { messageId: string; to: string; subject: string }): Promise<void> {
  if (mailApiUrl === undefined) {
    console.log(`reply to ${reply.to} about "${reply.subject}"`);
    return;
  }
  const response = await fetch(mailApiUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(reply) });
  if (!response.ok) throw new Error(`The mail API answered ${response.status} to the reply for ${reply.messageId}.`);
}
