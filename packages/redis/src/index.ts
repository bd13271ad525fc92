export { RedisStore, type RedisStoreOptions } from './redis-store.js';
export type { RedisClient } from './script-runner.js';
