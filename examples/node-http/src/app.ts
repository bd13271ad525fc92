import { webhookMiddleware, type ReceiverLike } from '@hookguard/node';
import type { RequestListener } from 'node:http';

/**
 * The example server's request listener: webhooks on POST /webhooks, read as exact bytes by the
 * middleware, and every other request handed to the rest of the app (here, one health route).
 */
export function createApp(receiver: ReceiverLike): RequestListener {
  const webhooks = webhookMiddleware(receiver, { path: '/webhooks' });
  return (req, res) => {
    void webhooks(req, res, () => {
      if (req.method === 'GET' && req.url === '/health') {
        res.setHeader('content-type', 'application/json');
        res.end('{"ok":true}');
        return;
      }
      res.statusCode = 404;
      res.end();
    });
  };
}
