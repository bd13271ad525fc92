export { once, type OnceContext, type OnceOptions, type OnceWork } from './once.js';
export type { ContextOnce, ContextOnceOptions } from './context-once.js';
