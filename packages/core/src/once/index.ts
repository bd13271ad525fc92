export { once, type JsonOnceWork, type OnceContext, type OnceOptions, type OnceWork } from './once.js';
export type { JsonData } from './json-result.js';
export type { ContextOnce, ContextOnceOptions } from './context-once.js';
