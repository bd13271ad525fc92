import { WebhookError } from '@hookguard/core';
import { crc32 } from './crc32.js';
import { MAX_FILTER_BITS } from './filter-limits.js';

/** The parameters a snapshot was written with. */
export type SnapshotParameters = {
  expectedItems: number;
  falsePositiveRate: number;
  retentionMs: number;
  generations: number;
  windowMs: number;
  /** Ids per generation before it is rotated out early. */
  capacity: number;
  /** Bits per generation. */
  bits: number;
  hashCount: number;
};

/** One generation as saved. */
export type SnapshotGeneration = {
  startedAt: number;
  items: number;
  seed: number;
  /** `ceil(bits / 8)` bytes of filter bits. */
  data: Uint8Array;
};

/** A decoded snapshot; generations oldest first. */
export type Snapshot = {
  parameters: SnapshotParameters;
  generations: SnapshotGeneration[];
};

/** "HGBF": hookguard Bloom filter. */
const MAGIC = [0x48, 0x47, 0x42, 0x46] as const;
/** Version 1: the layout below, hashKey over UTF-16 code units, probes as in BloomFilter. */
export const SNAPSHOT_VERSION = 1;
const HEADER_BYTES = 48;
const GENERATION_HEADER_BYTES = 16;
const CHECKSUM_BYTES = 4;
/** The most generations a store may have (one byte in the header; far more than useful). */
export const MAX_GENERATIONS = 64;

function rejected(detail: string): WebhookError {
  return new WebhookError(
    'ERR_HOOKGUARD_INVALID_SNAPSHOT',
    `Cannot load the Bloom snapshot: ${detail}. Start from new BloomStore(options) instead; the ids it remembered may then run again (duplicates, not losses).`,
  );
}

/**
 * Encodes a snapshot (all integers little-endian):
 *
 * | offset | bytes | field |
 * |---|---|---|
 * | 0 | 4 | magic `HGBF` |
 * | 4 | 1 | version (1) |
 * | 5 | 1 | generations `g` |
 * | 6 | 1 | hash count `k` |
 * | 7 | 1 | flags (0) |
 * | 8 | 8 | expectedItems (float64) |
 * | 16 | 8 | falsePositiveRate (float64) |
 * | 24 | 8 | retentionMs (float64) |
 * | 32 | 8 | windowMs (float64) |
 * | 40 | 4 | capacity per generation (uint32) |
 * | 44 | 4 | bits per generation `m` (uint32) |
 * | 48 | 16·g | per generation, oldest first: startedAt (float64 epoch ms), seed (uint32), items (uint32) |
 * | … | g·⌈m/8⌉ | per generation, oldest first: the bit array |
 * | end − 4 | 4 | CRC-32 of every byte before it |
 *
 * @example
 * ```ts
 * const bytes = encodeSnapshot({ parameters, generations });
 * ```
 */
export function encodeSnapshot(snapshot: Snapshot): Uint8Array {
  const { parameters, generations } = snapshot;
  const bytesPerGeneration = Math.ceil(parameters.bits / 8);
  const total = HEADER_BYTES + generations.length * (GENERATION_HEADER_BYTES + bytesPerGeneration) + CHECKSUM_BYTES;
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  bytes.set(MAGIC, 0);
  view.setUint8(4, SNAPSHOT_VERSION);
  view.setUint8(5, generations.length);
  view.setUint8(6, parameters.hashCount);
  view.setUint8(7, 0);
  view.setFloat64(8, parameters.expectedItems, true);
  view.setFloat64(16, parameters.falsePositiveRate, true);
  view.setFloat64(24, parameters.retentionMs, true);
  view.setFloat64(32, parameters.windowMs, true);
  view.setUint32(40, parameters.capacity, true);
  view.setUint32(44, parameters.bits, true);
  let offset = HEADER_BYTES;
  for (const generation of generations) {
    view.setFloat64(offset, generation.startedAt, true);
    view.setUint32(offset + 8, generation.seed, true);
    view.setUint32(offset + 12, Math.min(generation.items, 0xffff_ffff), true);
    offset += GENERATION_HEADER_BYTES;
  }
  for (const generation of generations) {
    bytes.set(generation.data, offset);
    offset += bytesPerGeneration;
  }
  view.setUint32(offset, crc32(bytes.subarray(0, offset)), true);
  return bytes;
}

/**
 * Decodes and checks a snapshot written by {@link encodeSnapshot}. Rejects, with
 * `ERR_HOOKGUARD_INVALID_SNAPSHOT` and a message saying what was wrong, anything truncated,
 * extended, altered (CRC-32), from another format or from an unknown version.
 *
 * @example
 * ```ts
 * const { parameters, generations } = decodeSnapshot(bytes);
 * ```
 */
export function decodeSnapshot(bytes: Uint8Array): Snapshot {
  if (!(bytes instanceof Uint8Array)) throw rejected(`expected a Uint8Array, received ${typeof bytes}`);
  if (bytes.byteLength < HEADER_BYTES + CHECKSUM_BYTES) {
    throw rejected(`it is ${bytes.byteLength} bytes, shorter than the ${HEADER_BYTES + CHECKSUM_BYTES}-byte minimum: it was truncated or is not a Bloom snapshot`);
  }
  if (MAGIC.some((byte, index) => bytes[index] !== byte)) throw rejected('it does not start with the HGBF signature: it is not a hookguard Bloom snapshot');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint8(4);
  if (version !== SNAPSHOT_VERSION) {
    throw rejected(`it has format version ${version}, and this version of @hookguard/bloom reads only version ${SNAPSHOT_VERSION}`);
  }
  const generationCount = view.getUint8(5);
  const parameters: SnapshotParameters = {
    generations: generationCount,
    hashCount: view.getUint8(6),
    expectedItems: view.getFloat64(8, true),
    falsePositiveRate: view.getFloat64(16, true),
    retentionMs: view.getFloat64(24, true),
    windowMs: view.getFloat64(32, true),
    capacity: view.getUint32(40, true),
    bits: view.getUint32(44, true),
  };
  const bytesPerGeneration = Math.ceil(parameters.bits / 8);
  const expected = HEADER_BYTES + generationCount * (GENERATION_HEADER_BYTES + bytesPerGeneration) + CHECKSUM_BYTES;
  if (bytes.byteLength !== expected) {
    throw rejected(`its header describes ${expected} bytes (${generationCount} generations of ${parameters.bits} bits) but it is ${bytes.byteLength} bytes: it was truncated or extended`);
  }
  const stored = view.getUint32(expected - CHECKSUM_BYTES, true);
  const computed = crc32(bytes.subarray(0, expected - CHECKSUM_BYTES));
  if (stored !== computed) {
    throw rejected(`its CRC-32 is 0x${computed.toString(16).padStart(8, '0')} where 0x${stored.toString(16).padStart(8, '0')} was written: the bytes were altered`);
  }
  checkParameters(parameters);
  const generations: SnapshotGeneration[] = [];
  let dataOffset = HEADER_BYTES + generationCount * GENERATION_HEADER_BYTES;
  for (let index = 0; index < generationCount; index++) {
    const offset = HEADER_BYTES + index * GENERATION_HEADER_BYTES;
    const startedAt = view.getFloat64(offset, true);
    if (!Number.isFinite(startedAt)) throw rejected(`generation ${index} has start time ${startedAt}`);
    generations.push({
      startedAt,
      seed: view.getUint32(offset + 8, true),
      items: view.getUint32(offset + 12, true),
      data: bytes.subarray(dataOffset, dataOffset + bytesPerGeneration),
    });
    dataOffset += bytesPerGeneration;
  }
  return { parameters, generations };
}

function checkParameters(parameters: SnapshotParameters): void {
  // The checksum matched, so these fail only for a snapshot written by a broken writer.
  const checks: [boolean, string][] = [
    [parameters.generations >= 2 && parameters.generations <= MAX_GENERATIONS, `generations ${parameters.generations}`],
    [parameters.hashCount >= 1, `hashCount ${parameters.hashCount}`],
    [parameters.bits >= 8 && parameters.bits <= MAX_FILTER_BITS, `bits ${parameters.bits}`],
    [parameters.capacity >= 1, `capacity ${parameters.capacity}`],
    [Number.isFinite(parameters.expectedItems) && parameters.expectedItems >= 1, `expectedItems ${parameters.expectedItems}`],
    [parameters.falsePositiveRate > 0 && parameters.falsePositiveRate < 1, `falsePositiveRate ${parameters.falsePositiveRate}`],
    [Number.isFinite(parameters.retentionMs) && parameters.retentionMs > 0, `retentionMs ${parameters.retentionMs}`],
    [Number.isFinite(parameters.windowMs) && parameters.windowMs > 0, `windowMs ${parameters.windowMs}`],
  ];
  for (const [ok, field] of checks) if (!ok) throw rejected(`its header holds an impossible ${field}`);
}
