export { webhookMiddleware, type ReceiverLike, type WebhookMiddleware, type WebhookMiddlewareOptions } from './webhook-middleware.js';
