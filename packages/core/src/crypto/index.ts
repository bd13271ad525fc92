// '#crypto' resolves through package.json "imports": node:crypto (and node:buffer, for
// decodeUtf8's ASCII path) under the `node` condition, Web APIs everywhere else. Nothing else in
// the core imports a runtime module.
export { cryptoBackend, decodeUtf8 } from '#crypto';
export type { CryptoBackend, DigestEncoding, HmacAlgorithm, HmacKey } from './types.js';
export * from './encoding.js';
