import type { HandlerContext, WebhookEvent } from '@hookguard/core';
import { Hono, type Context } from 'hono';
import { streamText } from 'hono/streaming';
import { describe, expect, expectTypeOf, it, vi } from 'vitest';
import { chunkedBody, signedDelivery, standardReceiver } from './deliveries.fixtures.js';
import { webhookMiddleware } from './webhook-middleware.js';

type Route = (c: Context) => Response | Promise<Response>;

function appWith(route: Route): { app: Hono; registered: ReturnType<typeof vi.fn>; errors: unknown[] } {
  const receiver = standardReceiver();
  const registered = vi.fn();
  receiver.on('*', registered);
  const errors: unknown[] = [];
  const app = new Hono();
  app.onError((error, c) => {
    errors.push(error);
    return c.text('app.onError answer', 500);
  });
  app.post('/webhooks', webhookMiddleware(receiver), route);
  return { app, registered, errors };
}

function post(app: Hono, delivery: { body: string; headers: Record<string, string> }): Promise<Response> {
  return Promise.resolve(app.request('/webhooks', { method: 'POST', headers: delivery.headers, body: delivery.body }));
}

describe('webhookMiddleware', () => {
  it('runs the route once with the verified event in c.get("webhook") and answers redeliveries as duplicates', async () => {
    const seen: WebhookEvent[] = [];
    const { app, registered } = appWith((c) => {
      seen.push(c.get('webhook'));
      return c.json({ received: true });
    });
    const delivery = signedDelivery('msg_1');
    const first = await post(app, delivery);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ received: true });
    const again = await post(app, delivery);
    expect(again.status).toBe(200);
    expect(await again.text()).toBe('{"received":true,"duplicate":true}');
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ id: 'msg_1', type: 'message.received', payload: { data: { text: 'hello' } } });
    expect(registered).not.toHaveBeenCalled();
  });

  it('sends the response the route chose for a handled delivery', async () => {
    const { app } = appWith((c) => c.text('accepted', 202, { 'x-route': 'yes' }));
    const response = await post(app, signedDelivery('msg_1'));
    expect(response.status).toBe(202);
    expect(response.headers.get('x-route')).toBe('yes');
    expect(await response.text()).toBe('accepted');
  });

  it('lets the route call c.req.json() on a streamed body without a Content-Length', async () => {
    const bodies: unknown[] = [];
    const { app } = appWith(async (c) => {
      bodies.push(await c.req.json());
      return c.body(null, 204);
    });
    const { body, headers } = signedDelivery('msg_1', { text: 'ünïcødé' });
    const init = { method: 'POST', headers, body: chunkedBody(body, 7).stream, duplex: 'half' };
    const response = await app.fetch(new Request('http://localhost/webhooks', init));
    expect(response.status).toBe(204);
    expect(bodies).toEqual([JSON.parse(body)]);
  });

  it('answers the receiver 500 when the route throws, releases the claim, and runs the route again on the retry', async () => {
    let calls = 0;
    const attempts: number[] = [];
    const { app, errors } = appWith((c) => {
      calls++;
      attempts.push(c.get('webhookContext').attempt);
      if (calls === 1) throw new Error('mail API down');
      return c.json({ received: true });
    });
    const delivery = signedDelivery('msg_1');
    const failed = await post(app, delivery);
    expect(failed.status).toBe(500);
    expect(await failed.json()).toEqual({ error: 'ERR_HOOKGUARD_HANDLER_FAILED' });
    expect(errors).toHaveLength(1);
    const retried = await post(app, delivery);
    expect(retried.status).toBe(200);
    expect(attempts).toEqual([1, 2]);
  });

  it('counts a route that answers a non-2xx status as failed: its answer is sent and the retry runs the route again', async () => {
    let calls = 0;
    const { app } = appWith((c) => {
      calls++;
      return calls === 1 ? c.json({ error: 'try later' }, 503) : c.json({ received: true });
    });
    const delivery = signedDelivery('msg_1');
    const failed = await post(app, delivery);
    expect(failed.status).toBe(503);
    expect(await failed.json()).toEqual({ error: 'try later' });
    expect((await post(app, delivery)).status).toBe(200);
    expect(calls).toBe(2);
  });

  it('refuses a streamed answer whose work is still running, releases the claim, and runs the route again on the retry', async () => {
    let calls = 0;
    const swallowed = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const { app } = appWith((c) => {
      calls++;
      if (calls > 1) return c.json({ received: true });
      // Hono's stream helpers swallow this error: the route "succeeded" before its work failed.
      return streamText(c, async (stream) => {
        await stream.sleep(20);
        throw new Error('the work inside the stream failed');
      });
    });
    const delivery = signedDelivery('msg_1');
    const refused = await post(app, delivery);
    expect(refused.status).toBe(500);
    expect(await refused.json()).toEqual({ error: 'ERR_HOOKGUARD_HANDLER_FAILED' });
    const retried = await post(app, delivery);
    // Not "duplicate": the event was never recorded as handled.
    expect(retried.status).toBe(200);
    expect(await retried.json()).toEqual({ received: true });
    expect(calls).toBe(2);
    await vi.waitFor(() => expect(swallowed).toHaveBeenCalledWith(expect.objectContaining({ message: 'the work inside the stream failed' })));
    swallowed.mockRestore();
  });

  it('still sends a complete body built from a stream that is already finished', async () => {
    const { app } = appWith((c) => c.body(new Blob(['{"ok":true}']).stream(), 200, { 'content-type': 'application/json' }));
    const answered = await post(app, signedDelivery('msg_1'));
    expect(answered.status).toBe(200);
    expect(await answered.json()).toEqual({ ok: true });
  });

  it('answers a bad signature itself and never runs the route', async () => {
    const route = vi.fn((c: Context) => c.json({ received: true }));
    const { app } = appWith(route);
    const delivery = signedDelivery('msg_1');
    const response = await post(app, { ...delivery, headers: { ...delivery.headers, 'webhook-signature': 'v1,AAAA' } });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: 'ERR_HOOKGUARD_SIGNATURE_MISMATCH' });
    expect(route).not.toHaveBeenCalled();
  });

  it('answers 409 with Retry-After while the route is still handling the same event', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const running = new Promise<void>((resolve) => (entered = resolve));
    const { app } = appWith(async (c) => {
      entered();
      await held;
      return c.json({ received: true });
    });
    const delivery = signedDelivery('msg_1');
    const first = post(app, delivery);
    await running;
    const concurrent = await post(app, delivery);
    expect(concurrent.status).toBe(409);
    expect(concurrent.headers.get('retry-after')).toMatch(/^\d+$/);
    release();
    expect((await first).status).toBe(200);
  });

  it('types c.get("webhook") and c.get("webhookContext") for every route', () => {
    const app = new Hono();
    app.post('/webhooks', webhookMiddleware(standardReceiver()), (c) => {
      expectTypeOf(c.get('webhook')).toEqualTypeOf<WebhookEvent>();
      expectTypeOf(c.get('webhookContext')).toEqualTypeOf<HandlerContext>();
      return c.body(null, 204);
    });
  });
});
