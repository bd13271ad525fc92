import { webhookHandler, type ReceiverLike } from '@hookguard/hono';
import { Hono } from 'hono';

/**
 * The example app: webhooks on POST /webhooks, read as exact bytes by the handler, and an
 * ordinary JSON route beside it. Uses only Web APIs, so `app.fetch` runs on any runtime.
 */
export function createApp(receiver: ReceiverLike): Hono {
  const app = new Hono();
  app.post('/webhooks', webhookHandler(receiver));
  app.get('/health', (c) => c.json({ ok: true }));
  return app;
}
