export { once, type JsonData, type JsonOnceWork, type OnceContext, type OnceOptions, type OnceWork } from './once.js';
export type { ContextOnce, ContextOnceOptions } from './context-once.js';
