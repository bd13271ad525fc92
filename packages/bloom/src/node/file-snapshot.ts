import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { WebhookError, refuseUnknownOptions, type OptionNames } from '@hookguard/core';
import { BloomStore, type BloomStoreOptions } from '../bloom-store.js';

const MAX_TIMER_MS = 2_147_483_647;

/** The save in progress or queued per path, so saves of one file in this process never overlap. */
const saving = new Map<string, Promise<void>>();

async function writeAtomically(store: BloomStore, path: string): Promise<void> {
  const bytes = store.save();
  // Unique per save, not per process: two saves must never write or rename each other's file.
  const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(temporary, 'wx');
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temporary, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/**
 * Writes `store.save()` to `path` atomically: to a temporary file of its own beside it, flushed to
 * disk, then renamed over `path`. A crash mid-write leaves the previous snapshot intact, never a
 * torn one. Saves of one path in this process run one after another, each with the state at its
 * turn, so the newest state is the one left on disk. Rejects when the file cannot be written (a
 * missing directory, a full disk): handle it, or use {@link startSnapshotting}, which cannot
 * crash the process.
 *
 * @example
 * ```ts
 * import { saveSnapshotFile } from '@hookguard/bloom/node';
 *
 * process.once('SIGTERM', async () => {
 *   await saveSnapshotFile(store, '/var/lib/app/bloom.snapshot');
 *   process.exit(0);
 * });
 * ```
 */
export function saveSnapshotFile(store: BloomStore, path: string): Promise<void> {
  const previous = saving.get(path) ?? Promise.resolve();
  const current = previous.catch(() => undefined).then(() => writeAtomically(store, path));
  const tracked = current.catch(() => undefined);
  saving.set(path, tracked);
  void tracked.then(() => {
    if (saving.get(path) === tracked) saving.delete(path);
  });
  return current;
}

/** Options for {@link startSnapshotting}. */
export type SnapshottingOptions = {
  /** The snapshot file; its directory must exist. */
  path: string;
  /**
   * How often to save, an integer from 1 to 2_147_483_647. Ids completed since the last save are
   * forgotten by a crash (duplicates, never losses).
   * @default 60_000
   */
  intervalMs?: number;
  /**
   * Called with the error of a periodic save that failed; the next one is tried as usual. An error
   * it throws is ignored: nothing here can crash the process.
   * @default logs the error with console.error
   */
  onError?: (error: unknown) => void;
};

const SNAPSHOTTING_OPTIONS: OptionNames<SnapshottingOptions> = { path: true, intervalMs: true, onError: true };

/** The handle {@link startSnapshotting} returns. */
export type Snapshotting = {
  /**
   * Stops the timer, waits for a save in progress, then saves once more, so the file holds every
   * id completed until now. Rejects when that last save fails. Call it on shutdown.
   */
  stop(): Promise<void>;
};

/**
 * Saves `store` to `path` every `intervalMs` ({@link saveSnapshotFile}) on an `unref()`'d timer
 * that never keeps the process alive. A failed save (a missing directory, a full disk) goes to
 * `onError` instead of becoming an unhandled rejection, and a tick that finds the previous save
 * still running is skipped.
 *
 * @example
 * ```ts
 * import { loadSnapshotFile, startSnapshotting } from '@hookguard/bloom/node';
 *
 * const path = '/var/lib/app/bloom.snapshot';
 * const store = await loadSnapshotFile(path, { expectedItems: 1_000_000, falsePositiveRate: 1e-9, retentionMs: 3 * 86_400_000 });
 * const snapshots = startSnapshotting(store, { path, intervalMs: 60_000, onError: (error) => console.error('bloom snapshot', error) });
 * process.once('SIGTERM', async () => {
 *   await snapshots.stop();
 *   process.exit(0);
 * });
 * ```
 */
export function startSnapshotting(store: BloomStore, options: SnapshottingOptions): Snapshotting {
  refuseUnknownOptions('startSnapshotting()', options, SNAPSHOTTING_OPTIONS);
  const { path, intervalMs = 60_000 } = options;
  if (typeof path !== 'string' || path.length === 0) {
    throw new WebhookError('ERR_HOOKGUARD_INVALID_OPTIONS', `startSnapshotting() needs a file path as \`path\`; received ${JSON.stringify(path)}.`);
  }
  if (typeof intervalMs !== 'number' || !Number.isInteger(intervalMs) || intervalMs < 1 || intervalMs > MAX_TIMER_MS) {
    throw new WebhookError(
      'ERR_HOOKGUARD_INVALID_OPTIONS',
      `startSnapshotting() \`intervalMs\` must be an integer number of milliseconds from 1 to ${MAX_TIMER_MS}; received ${String(intervalMs)}. Saving every 60000 ms suits most.`,
    );
  }
  const onError = options.onError ?? ((error: unknown) => console.error('[hookguard] saving the Bloom snapshot failed:', error));
  let running: Promise<void> | undefined;
  const tick = (): void => {
    if (running !== undefined) return;
    running = saveSnapshotFile(store, path)
      .catch((error: unknown) => {
        try {
          onError(error);
        } catch {
          // onError is the application's; a snapshot must never take the process down.
        }
      })
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(tick, intervalMs);
  (timer as { unref?: () => void }).unref?.();
  return {
    async stop() {
      clearInterval(timer);
      await running;
      await saveSnapshotFile(store, path);
    },
  };
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
