// POST /api/webhooks: Standard Webhooks deliveries, verified, deduplicated and dispatched by
// hookguard. `next build` evaluates this module, so WEBHOOK_SECRET must be set for the build too.
import { createReceiver, standardWebhooks } from '@hookguard/core';
import { webhookHandler } from '@hookguard/web';

type Events = {
  'message.received': { data: { messageId: string; from: string; subject: string } };
};

const receiver = createReceiver<Events>({ verifier: standardWebhooks({ secret: process.env['WEBHOOK_SECRET']! }) });

receiver.on('message.received', async (event, ctx) => {
  const { messageId, from, subject } = event.payload.data;
  const reply = { messageId, to: from, subject: `Re: ${subject}` };
  console.log(`attempt ${ctx.attempt} for ${event.id}`);
  const mailApiUrl = process.env['MAIL_API_URL'];
  if (mailApiUrl === undefined) return console.log(`reply to ${reply.to} about "${reply.subject}"`);
  const response = await fetch(mailApiUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(reply) });
  // A throw answers 500: the claim is released and the provider's retry runs this again.
  if (!response.ok) throw new Error(`The mail API answered ${response.status} to the reply for ${messageId}.`);
});

export const POST = webhookHandler(receiver);
