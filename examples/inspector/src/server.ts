// Run from examples/inspector: WEBHOOK_SECRET=whsec_... INSPECTOR_TOKEN=... PORT=3000 npm start
import { MemoryDeliveryLog, createReceiver, standardWebhooks } from '@hookguard/core';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from './app.js';

type Events = {
  'message.received': { data: { messageId: string; from?: string; subject: string } };
};

const secret = process.env['WEBHOOK_SECRET'];
const inspectorToken = process.env['INSPECTOR_TOKEN'];
if (secret === undefined || inspectorToken === undefined || inspectorToken.length < 16) {
  console.error('Set WEBHOOK_SECRET to your endpoint secret (whsec_…) and INSPECTOR_TOKEN to a random string of 16 characters or more.');
  process.exit(1);
}

const receiver = createReceiver<Events>({
  verifier: standardWebhooks({ secret }),
  namespace: 'mail',
  // The last 5 000 deliveries, with their payloads, in this process's memory (shown redacted).
  deliveryLog: new MemoryDeliveryLog({ capacity: 5_000, payloads: true }),
});

receiver.on('message.received', async (event) => {
  const { messageId, from, subject } = event.payload.data;
  // A message without a sender cannot be answered: the delivery fails, and shows so in the inspector.
  if (from === undefined) throw new Error(`message ${messageId} has no sender`);
  console.log(`reply to ${from}: Re: ${subject}`);
});

const server = createServer(createApp(receiver, inspectorToken));
server.listen(Number(process.env['PORT'] ?? 3000), '127.0.0.1', () => {
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  console.log(`listening on ${origin}/webhooks, inspector at ${origin}/hookguard`);
});
