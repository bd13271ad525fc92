export { BloomStore, type BloomStoreOptions, type BloomStoreStats } from './bloom-store.js';
export { BloomFilter, type BloomFilterOptions } from './bloom-filter.js';
export { hashKey, type KeyHash } from './hash.js';
export { bloomParameters, expectedFalsePositiveRate, optimalBitsPerItem, perGenerationRate, type BloomParameters } from './sizing.js';
