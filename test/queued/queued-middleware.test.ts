import { webhookMiddleware } from '@hookguard/hono';
import { Hono } from 'hono';
import { afterEach, expect, it } from 'vitest';
import { describeWithRedis } from '../support/services.js';
import { queuedReceiver, signedDelivery, type QueuedSetup } from './queued-fixtures.js';

const open: QueuedSetup[] = [];
afterEach(async () => {
  for (const setup of open.splice(0)) await setup.close();
});

describeWithRedis('a middleware route on a queued receiver', () => {
  it('runs the route inside the request, since no worker could run it, and queues nothing', async () => {
    const setup = await queuedReceiver('bullmq');
    open.push(setup);
    const ran: string[] = [];
    const app = new Hono();
    app.post('/hooks', webhookMiddleware(setup.receiver), (c) => {
      ran.push(c.get('webhook').id);
      return c.json({ routed: true });
    });
    const { body, headers } = signedDelivery('evt_route', 'order.created', {});
    const first = await app.request('/hooks', { method: 'POST', body, headers });
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ routed: true });
    expect(ran).toEqual(['evt_route']);
    expect(await setup.queue.find(`${setup.receiver.options.namespace}:evt_route`)).toBeUndefined();
    const again = await app.request('/hooks', { method: 'POST', body, headers });
    expect(await again.json()).toEqual({ received: true, duplicate: true });
    expect(ran).toEqual(['evt_route']);
  });
});
