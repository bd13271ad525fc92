export { ERROR_STATUS, type ErrorCode } from './errors/error-codes.js';
export { WebhookError, isWebhookError, type WebhookErrorOptions } from './errors/webhook-error.js';
export { toWebhookHeaders, type HeadersInput, type WebhookHeaders } from './http/headers.js';
export { toBytes, type RawBodyInput } from './http/raw-body.js';
export type { ClaimOptions, ClaimResult, CompleteOptions, DedupStore } from './store/dedup-store.js';
export { MemoryStore, type MemoryStoreOptions } from './store/memory-store.js';
export { consoleLogger, silentLogger, type LogFields, type Logger } from './logging/logger.js';
export * from './verifiers/index.js';
export * from './receiver/index.js';
