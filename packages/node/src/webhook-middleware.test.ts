import connect from 'connect';
import express from 'express';
import { createServer, request as httpRequest } from 'node:http';
import { describe, expect, it, vi } from 'vitest';
import { chunked, onServer, signedDelivery, standardReceiver, streamedPost } from './deliveries.fixtures.js';
import { webhookMiddleware } from './webhook-middleware.js';

function receiverWithHandler(options: { maxBodyBytes?: number } = {}) {
  const receiver = standardReceiver(options);
  const handled = vi.fn();
  receiver.on('message.received', handled);
  return { receiver, handled };
}

const post = (delivery: { body: string; headers: Record<string, string> }): RequestInit => ({ method: 'POST', headers: delivery.headers, body: delivery.body });

describe('webhookMiddleware on http.createServer', () => {
  it('receives a signed delivery and answers its redelivery as a duplicate', async () => {
    const { receiver, handled } = receiverWithHandler();
    await onServer(webhookMiddleware(receiver, { path: '/webhooks' }), async (origin) => {
      const delivery = signedDelivery('msg_1');
      const first = await fetch(`${origin}/webhooks`, post(delivery));
      expect(first.status).toBe(200);
      expect(first.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(first.headers.get('content-length')).toBe('17');
      expect(await first.text()).toBe('{"received":true}');
      const again = await fetch(`${origin}/webhooks`, post(delivery));
      expect(await again.json()).toEqual({ received: true, duplicate: true });
      expect(handled).toHaveBeenCalledTimes(1);
    });
  });

  it('answers 500 when the handler throws, and runs it again on the retry', async () => {
    const receiver = standardReceiver();
    let calls = 0;
    receiver.on('message.received', () => {
      if (++calls === 1) throw new Error('the mail API is down');
    });
    await onServer(webhookMiddleware(receiver, { path: '/webhooks' }), async (origin) => {
      const delivery = signedDelivery('msg_retry');
      const failed = await fetch(`${origin}/webhooks`, post(delivery));
      expect([failed.status, await failed.text()]).toEqual([500, '{"error":"ERR_HOOKGUARD_HANDLER_FAILED"}']);
      expect((await fetch(`${origin}/webhooks`, post(delivery))).status).toBe(200);
      expect(calls).toBe(2);
    });
  });

  it('reads a chunked upload without a Content-Length, multibyte characters split across chunks', async () => {
    const { receiver, handled } = receiverWithHandler();
    await onServer(webhookMiddleware(receiver), async (origin) => {
      const { body, headers } = signedDelivery('msg_chunked', { text: 'Grüße — 你好 — 👋🏽' });
      const response = await fetch(`${origin}/anything`, streamedPost(headers, chunked(body, 7)));
      expect(response.status).toBe(200);
      expect(handled.mock.calls[0]?.[0]).toMatchObject({ payload: { data: { text: 'Grüße — 你好 — 👋🏽' } } });
    });
  });

  it('matches its path whatever the query string and trailing slashes', async () => {
    const { receiver, handled } = receiverWithHandler();
    await onServer(webhookMiddleware(receiver, { path: '/webhooks/' }), async (origin) => {
      expect((await fetch(`${origin}/webhooks?source=mail`, post(signedDelivery('msg_a')))).status).toBe(200);
      expect((await fetch(`${origin}/webhooks//`, post(signedDelivery('msg_b')))).status).toBe(200);
      expect(handled).toHaveBeenCalledTimes(2);
    });
  });

  it('answers 404 to other paths when there is no next, without reading them', async () => {
    const { receiver, handled } = receiverWithHandler();
    await onServer(webhookMiddleware(receiver, { path: '/webhooks' }), async (origin) => {
      for (const path of ['/', '/webhooks-old', '/webhooks/extra']) {
        const response = await fetch(`${origin}${path}`, post(signedDelivery('msg_1')));
        expect({ path, status: response.status }).toEqual({ path, status: 404 });
      }
      expect(handled).not.toHaveBeenCalled();
    });
  });

  it('answers anything but POST on its path with 405 and Allow: POST', async () => {
    const { receiver } = receiverWithHandler();
    await onServer(webhookMiddleware(receiver, { path: '/webhooks' }), async (origin) => {
      for (const method of ['GET', 'PUT', 'DELETE']) {
        const response = await fetch(`${origin}/webhooks`, { method });
        expect({ method, status: response.status, allow: response.headers.get('allow') }).toEqual({ method, status: 405, allow: 'POST' });
      }
    });
  });

  it('refuses a body over maxBodyBytes with 413 and closes the connection, declared or chunked', async () => {
    const { receiver, handled } = receiverWithHandler({ maxBodyBytes: 1024 });
    await onServer(webhookMiddleware(receiver), async (origin) => {
      const { headers } = signedDelivery('msg_big');
      const declared = await fetch(`${origin}/webhooks`, { method: 'POST', headers, body: 'x'.repeat(5000) });
      expect([declared.status, declared.headers.get('connection')]).toEqual([413, 'close']);
      expect(await declared.json()).toEqual({ error: 'ERR_HOOKGUARD_BODY_TOO_LARGE' });
      const streamed = await fetch(`${origin}/webhooks`, streamedPost(headers, chunked('x'.repeat(5000))));
      expect([streamed.status, streamed.headers.get('connection')]).toEqual([413, 'close']);
      const fine = await fetch(`${origin}/webhooks`, post(signedDelivery('msg_fine')));
      expect([fine.status, fine.headers.get('connection')]).toEqual([200, 'keep-alive']);
      expect(handled).toHaveBeenCalledTimes(1);
    });
  });

  it('answers 408 to a body that stops arriving before bodyTimeoutMs', async () => {
    const receiver = standardReceiver({ bodyTimeoutMs: 50 });
    await onServer(webhookMiddleware(receiver), async (origin) => {
      const { headers } = signedDelivery('msg_slow');
      const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const request = httpRequest(`${origin}/webhooks`, { method: 'POST', headers: { ...headers, 'content-length': '100' } }, (response) => {
          let text = '';
          response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
        });
        request.on('error', reject);
        request.write('{"type":');
      });
      expect([status, body]).toEqual([408, '{"error":"ERR_HOOKGUARD_BODY_TIMEOUT"}']);
    });
  });

  it('resolves true when it answered and false when it handed the request to next', async () => {
    const { receiver } = receiverWithHandler();
    const middleware = webhookMiddleware(receiver, { path: '/webhooks' });
    const answered: boolean[] = [];
    await onServer(
      (req, res) => {
        void middleware(req, res, () => res.end('other route')).then((handled) => answered.push(handled));
      },
      async (origin) => {
        expect(await (await fetch(`${origin}/health`)).text()).toBe('other route');
        expect((await fetch(`${origin}/webhooks`, post(signedDelivery('msg_1')))).status).toBe(200);
      },
    );
    expect(answered).toEqual([false, true]);
  });

  it('passes every result to onResult', async () => {
    const receiver = standardReceiver();
    const outcomes: string[] = [];
    await onServer(webhookMiddleware(receiver, { onResult: (result) => void outcomes.push(result.outcome) }), async (origin) => {
      const delivery = signedDelivery('msg_1');
      await fetch(`${origin}/webhooks`, post(delivery));
      await fetch(`${origin}/webhooks`, post({ ...delivery, headers: { ...delivery.headers, 'webhook-signature': 'v1,AAAA' } }));
    });
    expect(outcomes).toEqual(['ignored', 'rejected']);
  });

  it('answers 500 ERR_HOOKGUARD_INTERNAL when onResult throws and there is no next', async () => {
    const receiver = standardReceiver();
    const middleware = webhookMiddleware(receiver, {
      onResult: () => {
        throw new Error('metrics are broken');
      },
    });
    await onServer(middleware, async (origin) => {
      const response = await fetch(`${origin}/webhooks`, post(signedDelivery('msg_1')));
      expect([response.status, await response.text()]).toEqual([500, '{"error":"ERR_HOOKGUARD_INTERNAL"}']);
    });
  });

  it('throws at setup without a receiver or with a path that is not a pathname', () => {
    // @ts-expect-error: the receiver is required
    expect(() => webhookMiddleware(undefined)).toThrow(expect.objectContaining({ code: 'ERR_HOOKGUARD_INVALID_OPTIONS' }));
    expect(() => webhookMiddleware(standardReceiver(), { path: 'webhooks' })).toThrow(expect.objectContaining({ code: 'ERR_HOOKGUARD_INVALID_OPTIONS' }));
  });
});

describe('webhookMiddleware in Connect-style stacks', () => {
  it('falls through to the next middleware for other paths in Connect, and is reached under a mount path without a path option', async () => {
    const { receiver, handled } = receiverWithHandler();
    const app = connect();
    app.use(webhookMiddleware(receiver, { path: '/webhooks' }));
    app.use('/hooks', webhookMiddleware(receiver));
    app.use((_req: unknown, res: { end: (text: string) => void }) => res.end('the rest of the app'));
    await onServer(createServer(app), async (origin) => {
      expect(await (await fetch(`${origin}/status`)).text()).toBe('the rest of the app');
      expect((await fetch(`${origin}/webhooks`, post(signedDelivery('msg_1')))).status).toBe(200);
      expect((await fetch(`${origin}/hooks`, post(signedDelivery('msg_2')))).status).toBe(200);
      expect(handled).toHaveBeenCalledTimes(2);
    });
  });

  it('keeps the headers middleware before it set, and answers with a length, not chunked', async () => {
    const { receiver } = receiverWithHandler();
    const app = connect();
    app.use((_req: unknown, res: { setHeader: (name: string, value: string) => void }, next: () => void) => {
      res.setHeader('access-control-allow-origin', '*');
      res.setHeader('content-type', 'text/plain');
      next();
    });
    app.use(webhookMiddleware(receiver, { path: '/webhooks' }));
    await onServer(createServer(app), async (origin) => {
      const response = await fetch(`${origin}/webhooks`, post(signedDelivery('msg_1')));
      expect(response.status).toBe(200);
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
      // The receiver's own content type wins over one set before it.
      expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(response.headers.get('content-length')).toBe('17');
      expect(response.headers.get('transfer-encoding')).toBeNull();
      expect(await response.text()).toBe('{"received":true}');
    });
  });

  it('reuses the Buffer express.raw() left and the rawBody a verify hook kept', async () => {
    const { receiver, handled } = receiverWithHandler();
    const app = express();
    app.post('/raw', express.raw({ type: '*/*' }), webhookMiddleware(receiver));
    app.post('/kept', express.json({ verify: (req, _res, buf) => void ((req as { rawBody?: Buffer }).rawBody = buf) }), webhookMiddleware(receiver));
    await onServer(createServer(app), async (origin) => {
      expect(await (await fetch(`${origin}/raw`, post(signedDelivery('msg_raw')))).json()).toEqual({ received: true });
      expect(await (await fetch(`${origin}/kept`, post(signedDelivery('msg_kept')))).json()).toEqual({ received: true });
      expect(handled).toHaveBeenCalledTimes(2);
    });
  });

  it('answers 500 ERR_HOOKGUARD_BODY_ALREADY_PARSED, not a bad signature, after express.json() consumed the body', async () => {
    const { receiver, handled } = receiverWithHandler();
    const app = express();
    app.use(express.json());
    app.use(webhookMiddleware(receiver, { path: '/webhooks' }));
    await onServer(createServer(app), async (origin) => {
      const response = await fetch(`${origin}/webhooks`, post(signedDelivery('msg_1')));
      expect([response.status, await response.text()]).toEqual([500, '{"error":"ERR_HOOKGUARD_BODY_ALREADY_PARSED"}']);
      expect(handled).not.toHaveBeenCalled();
    });
  });

  it('passes an error thrown after the answer was prepared to next, for the framework to handle', async () => {
    const receiver = standardReceiver();
    const app = express();
    const seen: string[] = [];
    app.use(webhookMiddleware(receiver, { onResult: () => { throw new Error('metrics are broken'); } }));
    app.use((error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      seen.push(error.message);
      res.status(502).end();
    });
    await onServer(createServer(app), async (origin) => {
      expect((await fetch(`${origin}/webhooks`, post(signedDelivery('msg_1')))).status).toBe(502);
    });
    expect(seen).toEqual(['metrics are broken']);
  });
});
