import { createHash } from 'node:crypto';

/**
 * The pg-boss job id of a dedup key: pg-boss ids are UUIDs, so the id is a name-based UUID
 * (RFC 9562 version 8) of the queue name and the key. The same key in the same queue always gives
 * the same id, so pg-boss's insert (`ON CONFLICT DO NOTHING` on the job's primary key) refuses a
 * second copy while the job is kept.
 *
 * @example
 * ```ts
 * jobId('hookguard', 'github:abc'); // '6f1c…-…' (stable)
 * ```
 */
export function jobId(queue: string, key: string): string {
  const bytes = createHash('sha256').update(queue).update('\0').update(key).digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x80;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
