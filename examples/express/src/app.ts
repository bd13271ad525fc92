import type { ReceiverLike } from '@hookguard/express';
import { webhookHandler } from '@hookguard/express';
import express, { type Express } from 'express';

/**
 * The example app: webhooks on POST /webhooks, mounted before express.json() so the receiver
 * sees the exact bytes, and an ordinary JSON route beside it.
 */
export function createApp(receiver: ReceiverLike): Express {
  const app = express();
  app.post('/webhooks', webhookHandler(receiver));
  app.use(express.json());
  app.get('/health', (_req, res) => {
    res.json({ ok: true });
  });
  return app;
}
