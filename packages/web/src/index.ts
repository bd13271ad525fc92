export { webhookHandler, type ReceiverLike, type WebhookHandlerOptions } from './webhook-handler.js';
