import Koa from 'koa';
import { describe, expect, it, vi } from 'vitest';
import { onServer, signedDelivery, standardReceiver } from './deliveries.fixtures.js';
import { webhookMiddleware } from './webhook-middleware.js';

describe('webhookMiddleware in Koa, through the README bridge', () => {
  it('receives deliveries and duplicates on its route while the rest of the app answers as before', async () => {
    const receiver = standardReceiver();
    const handled = vi.fn();
    receiver.on('message.received', handled);
    const app = new Koa();
    // The README's bridge, as written there.
    const hookguard = webhookMiddleware(receiver);
    app.use(async (ctx, next) => {
      if (ctx.method !== 'POST' || ctx.path !== '/webhooks') return next();
      ctx.respond = false; // hookguard writes the answer to ctx.res itself
      await hookguard(ctx.req, ctx.res);
    });
    app.use((ctx) => {
      ctx.body = { ok: true };
    });
    await onServer(app.callback(), async (origin) => {
      const { body, headers } = signedDelivery('msg_koa');
      const first = await fetch(`${origin}/webhooks`, { method: 'POST', headers, body });
      expect([first.status, await first.text()]).toEqual([200, '{"received":true}']);
      const again = await fetch(`${origin}/webhooks`, { method: 'POST', headers, body });
      expect(await again.json()).toEqual({ received: true, duplicate: true });
      const bad = await fetch(`${origin}/webhooks`, { method: 'POST', headers: { ...headers, 'webhook-signature': 'v1,AAAA' }, body });
      expect(bad.status).toBe(401);
      expect(await (await fetch(`${origin}/health`)).json()).toEqual({ ok: true });
      expect(handled).toHaveBeenCalledTimes(1);
    });
  });
});
