import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { describe, expect, it, vi } from 'vitest';
import { chunkedBody, endlessBody, signedBody, signedDelivery, standardReceiver } from './deliveries.fixtures.js';
import { webhookHandler } from './webhook-handler.js';

/** Serves `app` through @hono/node-server on a free loopback port while `run` talks to it. */
async function onNode(app: { fetch: Parameters<typeof serve>[0]['fetch'] }, run: (origin: string) => Promise<void>): Promise<void> {
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const started = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(started));
  });
  try {
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    await run(`http://127.0.0.1:${address.port}`);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

function appWith(options: { maxBodyBytes?: number; bodyTimeoutMs?: number } = {}): { app: Hono; handler: ReturnType<typeof vi.fn> } {
  const receiver = standardReceiver(options);
  const handler = vi.fn();
  receiver.on('message.received', handler);
  const app = new Hono();
  app.post('/webhooks', webhookHandler(receiver));
  return { app, handler };
}

/** A request whose body streams in without a Content-Length, as `fetch` builds it on any Web runtime. */
function streamedRequest(url: string, headers: Record<string, string>, body: ReadableStream<Uint8Array>): Request {
  const init = { method: 'POST', headers, body, duplex: 'half' };
  return new Request(url, init);
}

describe('webhookHandler', () => {
  it('receives a signed delivery and answers its redelivery as a duplicate', async () => {
    const { app, handler } = appWith();
    const { body, headers } = signedDelivery('msg_1');
    const first = await app.request('/webhooks', { method: 'POST', headers, body });
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await first.text()).toBe('{"received":true}');
    const again = await app.request('/webhooks', { method: 'POST', headers, body });
    expect(await again.json()).toEqual({ received: true, duplicate: true });
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('runs on a Web-standard runtime: app.fetch() with a streamed body and no Content-Length', async () => {
    const { app, handler } = appWith();
    const { body, headers } = signedDelivery('msg_1', { text: 'ünïcødé ✓ 👍' });
    const { stream } = chunkedBody(body, 5);
    const response = await app.fetch(streamedRequest('http://localhost/webhooks', headers, stream));
    expect(response.status).toBe(200);
    expect(handler).toHaveBeenCalledTimes(1);
    expect(handler.mock.calls[0]?.[0]).toMatchObject({ id: 'msg_1', payload: { data: { text: 'ünïcødé ✓ 👍' } } });
  });

  it('leaves the bytes in the body cache, so middleware around it can still call c.req.json()', async () => {
    const receiver = standardReceiver();
    receiver.on('message.received', () => undefined);
    const app = new Hono();
    const seen: unknown[] = [];
    app.use(async (c, next) => {
      await next();
      seen.push(await c.req.json(), await c.req.text());
    });
    app.post('/webhooks', webhookHandler(receiver));
    const { body, headers } = signedDelivery('msg_1');
    const response = await app.fetch(streamedRequest('http://localhost/webhooks', headers, chunkedBody(body).stream));
    expect(response.status).toBe(200);
    expect(seen).toEqual([JSON.parse(body), body]);
  });

  it('refuses an endless body without a Content-Length with 413 once it passes maxBodyBytes', async () => {
    const { app, handler } = appWith({ maxBodyBytes: 1024 });
    const { headers } = signedDelivery('msg_1');
    const endless = endlessBody(256);
    const response = await app.fetch(streamedRequest('http://localhost/webhooks', headers, endless.stream));
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ error: 'ERR_HOOKGUARD_BODY_TOO_LARGE' });
    // The stream's own read-ahead may pull a chunk or two more, never the endless rest.
    expect(endless.pulled()).toBeLessThan(1024 + 4 * 256);
    expect(handler).not.toHaveBeenCalled();
  });

  it('refuses a declared Content-Length over maxBodyBytes with 413 before reading the body', async () => {
    const { app } = appWith({ maxBodyBytes: 1024 });
    const { headers } = signedDelivery('msg_1');
    const endless = endlessBody(256);
    const request = streamedRequest('http://localhost/webhooks', { ...headers, 'content-length': '5000' }, endless.stream);
    const response = await app.fetch(request);
    expect(response.status).toBe(413);
    // A ReadableStream pulls once to fill its queue when it is created; the handler read nothing.
    expect(endless.pulled()).toBeLessThanOrEqual(256);
    // Connection management is the runtime's business off Node.
    expect(response.headers.get('connection')).toBeNull();
  });

  it('closes the connection after a 413 on Node over HTTP/1, so the refused body is not read and discarded', async () => {
    const { app } = appWith({ maxBodyBytes: 1024 });
    await onNode(app, async (origin) => {
      const { headers } = signedDelivery('msg_too_large');
      const tooLarge = await fetch(`${origin}/webhooks`, { method: 'POST', headers, body: 'x'.repeat(5000) });
      expect(tooLarge.status).toBe(413);
      expect(tooLarge.headers.get('connection')).toBe('close');
      const { body, headers: fine } = signedDelivery('msg_fine');
      const accepted = await fetch(`${origin}/webhooks`, { method: 'POST', headers: fine, body });
      expect(accepted.status).toBe(200);
      expect(accepted.headers.get('connection')).not.toBe('close');
    });
  });

  it('answers 408 to a body that stops arriving before bodyTimeoutMs', async () => {
    const { app } = appWith({ bodyTimeoutMs: 50 });
    const { headers } = signedDelivery('msg_1');
    const stalled = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"type":'));
      },
    });
    const response = await app.fetch(streamedRequest('http://localhost/webhooks', headers, stalled));
    expect(response.status).toBe(408);
    expect(await response.json()).toEqual({ error: 'ERR_HOOKGUARD_BODY_TIMEOUT' });
  });

  it('reuses the exact bytes an earlier c.req.arrayBuffer() cached, byte order mark included', async () => {
    const receiver = standardReceiver();
    const handler = vi.fn();
    receiver.on('message.received', handler);
    const app = new Hono();
    app.use(async (c, next) => {
      await c.req.arrayBuffer();
      await next();
    });
    app.post('/webhooks', webhookHandler(receiver));
    const { body, headers } = signedBody('msg_1', `\uFEFF${JSON.stringify({ type: 'message.received' })}`);
    const response = await app.request('/webhooks', { method: 'POST', headers, body });
    expect(response.status).toBe(200);
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('answers 500 ERR_HOOKGUARD_BODY_ALREADY_PARSED after c.req.text() read the body, since text decoding loses bytes', async () => {
    const receiver = standardReceiver();
    const app = new Hono();
    app.use(async (c, next) => {
      await c.req.text();
      await next();
    });
    app.post('/webhooks', webhookHandler(receiver));
    const { body, headers } = signedDelivery('msg_1');
    const response = await app.request('/webhooks', { method: 'POST', headers, body });
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ error: 'ERR_HOOKGUARD_BODY_ALREADY_PARSED' });
  });

  it('answers 500 ERR_HOOKGUARD_BODY_ALREADY_PARSED, not a bad signature, after c.req.json() read the body', async () => {
    const receiver = standardReceiver();
    const handler = vi.fn();
    receiver.on('message.received', handler);
    const app = new Hono();
    app.use(async (c, next) => {
      await c.req.json();
      await next();
    });
    app.post('/webhooks', webhookHandler(receiver));
    const { body, headers } = signedDelivery('msg_1');
    const response = await app.request('/webhooks', { method: 'POST', headers, body });
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ error: 'ERR_HOOKGUARD_BODY_ALREADY_PARSED' });
    expect(handler).not.toHaveBeenCalled();
  });

  it('throws at setup without a receiver', () => {
    // @ts-expect-error: the receiver is required
    expect(() => webhookHandler(undefined)).toThrow(expect.objectContaining({ code: 'ERR_HOOKGUARD_INVALID_OPTIONS' }));
  });

  it('passes every result to onResult', async () => {
    const receiver = standardReceiver();
    const outcomes: string[] = [];
    const app = new Hono();
    app.post('/webhooks', webhookHandler(receiver, { onResult: (result) => void outcomes.push(result.outcome) }));
    const { body, headers } = signedDelivery('msg_1');
    await app.request('/webhooks', { method: 'POST', headers, body });
    await app.request('/webhooks', { method: 'POST', headers: { ...headers, 'webhook-signature': 'v1,AAAA' }, body });
    expect(outcomes).toEqual(['ignored', 'rejected']);
  });

  it('runs on Node through @hono/node-server, with a chunked upload over a real socket', async () => {
    const { app, handler } = appWith();
    await onNode(app, async (origin) => {
      const { body, headers } = signedDelivery('msg_1');
      const response = await fetch(streamedRequest(`${origin}/webhooks`, headers, chunkedBody(body).stream));
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('{"received":true}');
      expect(handler).toHaveBeenCalledTimes(1);
    });
  });

  it('reads Node’s own request on @hono/node-server and still leaves the bytes for c.req.json() and c.req.text()', async () => {
    const receiver = standardReceiver();
    receiver.on('message.received', () => undefined);
    const app = new Hono<{ Bindings: { incoming?: unknown } }>();
    const seen: unknown[] = [];
    app.use(async (c, next) => {
      await next();
      seen.push(c.env.incoming !== undefined, await c.req.json(), await c.req.text());
    });
    app.post('/webhooks', webhookHandler(receiver));
    await onNode(app, async (origin) => {
      const { body, headers } = signedDelivery('msg_node_cache', { text: 'ünïcødé ✓' });
      const response = await fetch(`${origin}/webhooks`, { method: 'POST', headers, body });
      expect(response.status).toBe(200);
      expect(seen).toEqual([true, JSON.parse(body), body]);
    });
  });
});
