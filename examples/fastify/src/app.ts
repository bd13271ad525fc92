import { hookguard, type ReceiverLike } from '@hookguard/fastify';
import Fastify, { type FastifyInstance } from 'fastify';

/**
 * The example app: webhooks on POST /webhooks through the hookguard plugin, whose raw-body parser
 * stays inside its own scope, and an ordinary JSON route beside it that Fastify parses as usual.
 */
export async function createApp(receiver: ReceiverLike): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(hookguard, { receiver, path: '/webhooks' });
  app.post('/echo', async (request) => ({ parsed: request.body }));
  app.get('/health', async () => ({ ok: true }));
  return app;
}
