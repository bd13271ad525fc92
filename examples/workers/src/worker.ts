/**
 * A Cloudflare Worker that receives Standard Webhooks deliveries on POST /webhooks with
 * `@hookguard/web`, and answers each `message.received` event with a reply sent through a mail API.
 */
import { createReceiver, standardWebhooks, type Receiver } from '@hookguard/core';
import { webhookHandler } from '@hookguard/web';

/** The Worker's bindings: a secret (`wrangler secret put WEBHOOK_SECRET`) and a variable. */
export type Env = {
  WEBHOOK_SECRET: string;
  /** Where replies are sent; without it they are only logged. */
  MAIL_API_URL?: string;
};

type Events = {
  'message.received': { data: { messageId: string; from: string; subject: string } };
};

function createWebhooks(env: Env): (request: Request) => Promise<Response> {
  const receiver: Receiver<Events> = createReceiver<Events>({ verifier: standardWebhooks({ secret: env.WEBHOOK_SECRET }) });
  receiver.on('message.received', async (event, ctx) => {
    const { messageId, from, subject } = event.payload.data;
    const reply = { messageId, to: from, subject: `Re: ${subject}` };
    console.log(`attempt ${ctx.attempt} for ${event.id}`);
    if (!env.MAIL_API_URL) return console.log(`reply to ${reply.to} about "${reply.subject}"`);
    const response = await fetch(env.MAIL_API_URL, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(reply) });
    // A throw answers 500: the claim is released and the provider's retry runs this again.
    if (!response.ok) throw new Error(`The mail API answered ${response.status} to the reply for ${messageId}.`);
  });
  return webhookHandler(receiver);
}

// Created on the first request, not at module scope: a Worker's secrets arrive with each request's
// `env`. One per isolate, so handled ids are remembered while the isolate lives.
let webhooks: ((request: Request) => Promise<Response>) | undefined;

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    if (new URL(request.url).pathname !== '/webhooks') return new Response('Not Found', { status: 404 });
    webhooks ??= createWebhooks(env);
    return webhooks(request);
  },
};
