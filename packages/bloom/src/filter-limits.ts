/** The largest filter {@link BloomFilter} addresses: probe positions are 32-bit. */
export const MAX_FILTER_BITS = 0xffff_ffff;

/** The most probes per item {@link BloomFilter} makes: a snapshot keeps the count in one byte. */
export const MAX_HASH_COUNT = 255;
