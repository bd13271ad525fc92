import { Injectable } from '@nestjs/common';

/** A reply the app sends when a message arrives. */
export type Reply = { messageId: string; to: string; subject: string };

/**
 * Sends replies through a mail API (`MAIL_API_URL`; without it, it only logs). A failed call
 * throws, so the webhook is answered 500 and the provider's retry runs the handler again.
 */
@Injectable()
export class MailService {
  readonly #url = process.env['MAIL_API_URL'];

  async reply(reply: Reply): Promise<void> {
    if (this.#url === undefined) {
      console.log(`reply to ${reply.to} about "${reply.subject}"`);
      return;
    }
    const response = await fetch(this.#url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(reply) });
    if (!response.ok) throw new Error(`The mail API answered ${response.status} to the reply for ${reply.messageId}.`);
  }
}
