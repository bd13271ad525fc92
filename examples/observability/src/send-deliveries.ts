// Sends a few deliveries to the running example, signed by the Standard Webhooks SDK: three new
// events, one of them again (a duplicate), and one signed with another secret (refused).
import { Webhook } from 'standardwebhooks';

const origin = process.argv[2] ?? 'http://127.0.0.1:3000';
const endpoint = new Webhook(process.env['WEBHOOK_SECRET'] ?? 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
const stranger = new Webhook('whsec_bm90IHRoZSBlbmRwb2ludCdzIHNlY3JldCBhdCBhbGw=');

for (const [id, signer] of [['msg_1', endpoint], ['msg_2', endpoint], ['msg_3', endpoint], ['msg_2', endpoint], ['msg_4', stranger]] as const) {
  const body = JSON.stringify({ type: 'message.received', data: { text: 'hello' } });
  const now = new Date();
  const headers = { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': signer.sign(id, now, body) };
  const response = await fetch(`${origin}/webhooks`, { method: 'POST', body, headers });
  console.log(id, response.status, await response.text());
}
