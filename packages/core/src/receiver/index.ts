export { createReceiver } from './create-receiver.js';
export type * from './types.js';
