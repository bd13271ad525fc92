import { createReceiver, standardWebhooks, type Receiver } from '@hookguard/core';
import { Inject, Injectable } from '@nestjs/common';
import { MailService } from './mail.service.js';

type Events = {
  'message.received': { data: { messageId: string; from: string; subject: string } };
};

/** Holds the app's receiver; its handlers use other providers through Nest's injection. */
@Injectable()
export class WebhooksService {
  readonly receiver: Receiver<Events>;

  // @Inject with the class: tsx (esbuild) emits no decorator metadata for Nest to read the type from.
  constructor(@Inject(MailService) mail: MailService) {
    const secret = process.env['WEBHOOK_SECRET'];
    if (secret === undefined) throw new Error('Set WEBHOOK_SECRET to your endpoint secret (whsec_…).');
    this.receiver = createReceiver<Events>({ verifier: standardWebhooks({ secret }) });
    this.receiver.on('message.received', async (event, ctx) => {
      const { messageId, from, subject } = event.payload.data;
      console.log(`attempt ${ctx.attempt} for ${event.id}`);
      await mail.reply({ messageId, to: from, subject: `Re: ${subject}` });
    });
  }
}
