// Run from examples/fastify: WEBHOOK_SECRET=whsec_... PORT=3000 npm start
import { createReceiver, standardWebhooks } from '@hookguard/core';
import { createApp } from './app.js';

type Events = {
  'message.received': { data: { messageId: string; from: string; subject: string } };
};

const secret = process.env['WEBHOOK_SECRET'];
if (secret === undefined) {
  console.error('Set WEBHOOK_SECRET to your endpoint secret (whsec_…).');
  process.exit(1);
}

const receiver = createReceiver<Events>({ verifier: standardWebhooks({ secret }) });

let replies = 0;
receiver.on('message.received', async (event, ctx) => {
  // A stand-in side effect: in a real app, reply through the mail API with ctx.once() (see examples/mail-demo).
  replies++;
  console.log(`attempt ${ctx.attempt}: reply #${replies} to ${event.payload.data.from} about "${event.payload.data.subject}"`);
});

const port = Number(process.env['PORT'] ?? 3000);
const app = await createApp(receiver);
await app.listen({ port });
console.log(`listening on http://localhost:${port}/webhooks`);
