export { RedisStore, type RedisStoreOptions } from './redis-store.js';
export type { RedisClient } from './script-runner.js';
export { RedisDeliveryLog, type RedisDeliveryLogOptions } from './redis-delivery-log.js';
