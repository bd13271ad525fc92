export { createReceiver } from './create-receiver.js';
export type * from './types.js';
export { isStoreFailure } from './store-failure.js';
