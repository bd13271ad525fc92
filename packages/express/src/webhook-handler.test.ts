import { createReceiver, standardWebhooks, type Receiver } from '@hookguard/core';
import express5 from 'express';
// @ts-expect-error 'express4' is an npm alias of express@4, typed through the 'express' import below.
import express4 from 'express4';
import { Webhook } from 'standardwebhooks';
import request from 'supertest';
import { describe, expect, it, vi } from 'vitest';
import { webhookHandler } from './webhook-handler.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const silent = { warn: () => undefined, error: () => undefined };

function delivery(id: string, data: unknown = { text: 'hello' }) {
  const body = JSON.stringify({ type: 'message.received', timestamp: new Date().toISOString(), data });
  // One instant for the header and the signature, so a second cannot tick over between them.
  const signedAt = new Date(Math.floor(Date.now() / 1000) * 1000);
  const headers = {
    'webhook-id': id,
    'webhook-timestamp': String(signedAt.getTime() / 1000),
    'webhook-signature': new Webhook(SECRET).sign(id, signedAt, body),
    'content-type': 'application/json',
  };
  return { body, headers };
}

function receiverWithHandler(): { receiver: Receiver; handler: ReturnType<typeof vi.fn> } {
  const receiver = createReceiver({ verifier: standardWebhooks({ secret: SECRET }), logger: silent });
  const handler = vi.fn();
  receiver.on('message.received', handler);
  return { receiver, handler };
}

type ExpressFactory = typeof express5;
const versions: [string, ExpressFactory][] = [
  ['Express 5', express5],
  ['Express 4', express4 as unknown as ExpressFactory],
];

describe.each(versions)('%s', (_name, express) => {
  it('receives a signed delivery from the raw stream and answers duplicates', async () => {
    const { receiver, handler } = receiverWithHandler();
    const app = express();
    app.post('/webhooks', webhookHandler(receiver));
    const { body, headers } = delivery('msg_1');
    const first = await request(app).post('/webhooks').set(headers).send(body);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ received: true });
    expect(first.headers['content-type']).toMatch(/application\/json/);
    const again = await request(app).post('/webhooks').set(headers).send(body);
    expect(again.body).toEqual({ received: true, duplicate: true });
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('uses the Buffer left by express.raw()', async () => {
    const { receiver, handler } = receiverWithHandler();
    const app = express();
    app.post('/webhooks', express.raw({ type: '*/*' }), webhookHandler(receiver));
    const { body, headers } = delivery('msg_1');
    const response = await request(app).post('/webhooks').set(headers).send(body);
    expect(response.body).toEqual({ received: true });
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('uses the bytes an express.json() verify hook kept as req.rawBody', async () => {
    const { receiver, handler } = receiverWithHandler();
    const app = express();
    app.use(
      express.json({
        verify: (req, _res, buf) => {
          (req as unknown as { rawBody: Buffer }).rawBody = buf;
        },
      }),
    );
    app.post('/webhooks', webhookHandler(receiver));
    const { body, headers } = delivery('msg_1', { text: 'spacing  and ünïcødé' });
    const response = await request(app).post('/webhooks').set(headers).send(body);
    expect(response.body).toEqual({ received: true });
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('answers 500 ERR_HOOKGUARD_BODY_ALREADY_PARSED, not a bad signature, after express.json() consumed the bytes', async () => {
    const { receiver, handler } = receiverWithHandler();
    const warnings: unknown[] = [];
    const logged = createReceiver({ verifier: standardWebhooks({ secret: SECRET }), logger: { warn: (fields) => void warnings.push(fields), error: () => undefined } });
    const app = express();
    app.use(express.json());
    app.post('/webhooks', webhookHandler(receiver));
    app.post('/logged', webhookHandler(logged));
    const { body, headers } = delivery('msg_1');
    const result = await request(app).post('/webhooks').set(headers).send(body);
    expect(result.status).toBe(500);
    expect(result.body).toEqual({ error: 'ERR_HOOKGUARD_BODY_ALREADY_PARSED' });
    expect(handler).not.toHaveBeenCalled();
    await request(app).post('/logged').set(headers).send(body);
    await request(app).post('/logged').set(headers).send(body);
    expect(warnings).toHaveLength(1);
  });

  it('still reads the stream when express.json() skipped a non-JSON content type', async () => {
    const { receiver, handler } = receiverWithHandler();
    const app = express();
    app.use(express.json());
    app.post('/webhooks', webhookHandler(receiver));
    const { body, headers } = delivery('msg_1');
    expect((await request(app).post('/webhooks').set({ ...headers, 'content-type': 'text/plain' }).send(body)).status).toBe(200);
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('answers 413 with Connection: close to a body over maxBodyBytes', async () => {
    const receiver = createReceiver({ verifier: standardWebhooks({ secret: SECRET }), logger: silent, maxBodyBytes: 1024 });
    const app = express();
    app.post('/webhooks', webhookHandler(receiver));
    const { body, headers } = delivery('msg_1', { text: 'x'.repeat(4096) });
    const result = await request(app).post('/webhooks').set(headers).send(body);
    expect(result.status).toBe(413);
    expect(result.headers['connection']).toBe('close');
  });
});
