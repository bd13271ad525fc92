export { webhookHandler, type WebhookHandlerOptions } from './webhook-handler.js';
export { webhookMiddleware, type WebhookMiddlewareOptions } from './webhook-middleware.js';
export type { ReceiverLike } from './receive-delivery.js';
