import { open, readFile, rename, rm } from 'node:fs/promises';
import { BloomStore, type BloomStoreOptions } from '../bloom-store.js';

/**
 * Writes `store.save()` to `path` atomically: to `<path>.<pid>.tmp`, flushed to disk, then renamed
 * over `path`. A crash mid-write leaves the previous snapshot intact, never a torn one.
 *
 * @example
 * ```ts
 * import { saveSnapshotFile } from '@hookguard/bloom/node';
 *
 * setInterval(() => void saveSnapshotFile(store, '/var/lib/app/bloom.snapshot'), 60_000).unref();
 * process.once('SIGTERM', async () => {
 *   await saveSnapshotFile(store, '/var/lib/app/bloom.snapshot');
 *   process.exit(0);
 * });
 * ```
 */
export async function saveSnapshotFile(store: BloomStore, path: string): Promise<void> {
  const bytes = store.save();
  const temporary = `${path}.${process.pid}.tmp`;
  const handle = await open(temporary, 'w');
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temporary, { force: true });
    throw error;
  }
  await handle.close();
  await rename(temporary, path);
}

/**
 * Restores a store from the snapshot file at `path` ({@link BloomStore.load}), or builds a new one
 * when there is no file yet. A file that exists but is corrupt, or was written with other
 * parameters, rejects: decide explicitly to discard it (its ids may then run again).
 *
 * @example
 * ```ts
 * import { loadSnapshotFile } from '@hookguard/bloom/node';
 *
 * const store = await loadSnapshotFile('/var/lib/app/bloom.snapshot', {
 *   expectedItems: 1_000_000,
 *   falsePositiveRate: 1e-6,
 *   retentionMs: 3 * 86_400_000,
 * });
 * ```
 */
export async function loadSnapshotFile(path: string, options: BloomStoreOptions): Promise<BloomStore> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return new BloomStore(options);
    throw error;
  }
  return BloomStore.load(bytes, options);
}
