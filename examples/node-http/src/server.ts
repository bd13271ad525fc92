// Run from examples/node-http: WEBHOOK_SECRET=whsec_... PORT=3000 [MAIL_API_URL=http://…] npm start
import { createReceiver, standardWebhooks } from '@hookguard/core';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from './app.js';
import { sendReply } from './mail-api.js';

type Events = {
  'message.received': { data: { messageId: string; from: string; subject: string } };
};

const secret = process.env['WEBHOOK_SECRET'];
if (secret === undefined) {
  console.error('Set WEBHOOK_SECRET to your endpoint secret (whsec_…).');
  process.exit(1);
}
const mailApiUrl = process.env['MAIL_API_URL'];

const receiver = createReceiver<Events>({ verifier: standardWebhooks({ secret }) });

receiver.on('message.received', async (event, ctx) => {
  const { messageId, from, subject } = event.payload.data;
  console.log(`attempt ${ctx.attempt} for ${event.id}`);
  // Throws when the mail API fails: the answer is 500 and the provider's retry runs this again.
  await sendReply(mailApiUrl, { messageId, to: from, subject: `Re: ${subject}` });
});

const server = createServer(createApp(receiver));
server.listen(Number(process.env['PORT'] ?? 3000), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`);
});
