import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isWebhookError } from '@hookguard/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BloomStore, type BloomStoreOptions } from '../bloom-store.js';
import { loadSnapshotFile, saveSnapshotFile, startSnapshotting } from './file-snapshot.js';

const options: BloomStoreOptions = { expectedItems: 1000, falsePositiveRate: 1e-9, retentionMs: 60_000 };
const LEASE = { leaseMs: 1000, retentionMs: 60_000 };

describe('snapshot files', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'hookguard-bloom-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('saves atomically and loads back every completed id', async () => {
    const path = join(directory, 'bloom.snapshot');
    const store = new BloomStore(options);
    const claim = await store.claim('stripe:evt_1', LEASE);
    if (claim.status === 'claimed') await store.complete('stripe:evt_1', claim.token, { retentionMs: 60_000 });
    await saveSnapshotFile(store, path);
    await saveSnapshotFile(store, path);
    expect(await readdir(directory)).toEqual(['bloom.snapshot']);
    const restored = await loadSnapshotFile(path, options);
    expect((await restored.claim('stripe:evt_1', LEASE)).status).toBe('completed');
  });

  it('starts a new store when there is no file yet', async () => {
    const store = await loadSnapshotFile(join(directory, 'missing.snapshot'), options);
    expect((await store.claim('stripe:evt_1', LEASE)).status).toBe('claimed');
  });

  it('rejects a corrupt file instead of silently starting empty', async () => {
    const path = join(directory, 'bloom.snapshot');
    await writeFile(path, 'not a snapshot at all, but long enough to pass the minimum size check');
    const error = await loadSnapshotFile(path, options).catch((caught: unknown) => caught);
    expect(isWebhookError(error) && error.code).toBe('ERR_HOOKGUARD_INVALID_SNAPSHOT');
  });

  it('lets overlapping saves of one path all succeed, leaving the newest state and no temporary file', async () => {
    // Saves sharing one temporary name per process renamed each other's file away (issue 14, item 15).
    const path = join(directory, 'bloom.snapshot');
    const store = new BloomStore(options);
    const saves: Promise<void>[] = [];
    for (let index = 0; index < 8; index++) {
      const claim = await store.claim(`evt_${index}`, LEASE);
      if (claim.status === 'claimed') await store.complete(`evt_${index}`, claim.token, { retentionMs: 60_000 });
      saves.push(saveSnapshotFile(store, path));
    }
    expect(await Promise.allSettled(saves)).toEqual(saves.map(() => ({ status: 'fulfilled', value: undefined })));
    expect(await readdir(directory)).toEqual(['bloom.snapshot']);
    const restored = await loadSnapshotFile(path, options);
    for (let index = 0; index < 8; index++) expect((await restored.claim(`evt_${index}`, LEASE)).status).toBe('completed');
  });

  it('rejects a save into a missing directory and leaves nothing behind', async () => {
    const error = await saveSnapshotFile(new BloomStore(options), join(directory, 'missing', 'bloom.snapshot')).catch((caught: unknown) => caught);
    expect((error as { code?: string }).code).toBe('ENOENT');
    expect(await readdir(directory)).toEqual([]);
  });
});

describe('startSnapshotting', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'hookguard-bloom-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('hands a failed save to onError instead of an unhandled rejection, and saves once the directory exists', async () => {
    const path = join(directory, 'later', 'bloom.snapshot');
    const store = new BloomStore(options);
    const claim = await store.claim('stripe:evt_1', LEASE);
    if (claim.status === 'claimed') await store.complete('stripe:evt_1', claim.token, { retentionMs: 60_000 });
    const errors: unknown[] = [];
    const snapshots = startSnapshotting(store, { path, intervalMs: 5, onError: (error) => errors.push(error) });
    try {
      await vi.waitFor(() => expect(errors.length).toBeGreaterThanOrEqual(2), { timeout: 10_000 });
      expect((errors[0] as { code?: string }).code).toBe('ENOENT');
      await mkdir(join(directory, 'later'));
      await vi.waitFor(async () => expect(await readdir(join(directory, 'later'))).toContain('bloom.snapshot'), { timeout: 10_000 });
    } finally {
      await snapshots.stop();
    }
    expect((await (await loadSnapshotFile(path, options)).claim('stripe:evt_1', LEASE)).status).toBe('completed');
  });

  it('survives an onError that throws', async () => {
    let calls = 0;
    const snapshots = startSnapshotting(new BloomStore(options), {
      path: join(directory, 'missing', 'bloom.snapshot'),
      intervalMs: 5,
      onError: () => {
        calls++;
        throw new Error('the application hook failed');
      },
    });
    await vi.waitFor(() => expect(calls).toBeGreaterThanOrEqual(2), { timeout: 10_000 });
    const error = await snapshots.stop().catch((caught: unknown) => caught);
    expect((error as { code?: string }).code).toBe('ENOENT');
  });

  it('saves every id completed until stop() once more on stop()', async () => {
    const path = join(directory, 'bloom.snapshot');
    const store = new BloomStore(options);
    const snapshots = startSnapshotting(store, { path, intervalMs: 2_147_483_647 });
    const claim = await store.claim('stripe:evt_2', LEASE);
    if (claim.status === 'claimed') await store.complete('stripe:evt_2', claim.token, { retentionMs: 60_000 });
    await snapshots.stop();
    expect((await (await loadSnapshotFile(path, options)).claim('stripe:evt_2', LEASE)).status).toBe('completed');
  });

  it('throws ERR_HOOKGUARD_INVALID_OPTIONS for an interval that is not an integer from 1 to 2^31 - 1, or no path', () => {
    const store = new BloomStore(options);
    for (const intervalMs of [0, 2 ** 31, 1.5, Number.NaN]) {
      expect(() => startSnapshotting(store, { path: join(directory, 'x'), intervalMs }), String(intervalMs)).toThrow(/`intervalMs` must be an integer/);
    }
    expect(() => startSnapshotting(store, { path: '' })).toThrow(/path/);
  });
});
