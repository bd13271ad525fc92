// '#crypto' resolves through package.json "imports": node:crypto under the `node` condition,
// Web Crypto everywhere else. Nothing else in the core imports a runtime module.
export { cryptoBackend, decodeUtf8 } from '#crypto';
export type { CryptoBackend, HmacAlgorithm, HmacKey } from './types.js';
export * from './encoding.js';
