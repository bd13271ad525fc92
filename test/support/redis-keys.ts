import type { Redis } from 'ioredis';

/**
 * Deletes every key matching each of `patterns` (SCAN, then UNLINK), so a test leaves nothing in
 * the shared Redis: CI runs against the machine's own server, where keys would pile up run after run.
 *
 * @example
 * ```ts
 * await deleteRedisKeys(client, `${run}:*`, `bull:${run}-q:*`);
 * ```
 */
export async function deleteRedisKeys(client: Redis, ...patterns: string[]): Promise<void> {
  for (const pattern of patterns) {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      if (keys.length > 0) await client.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  }
}
