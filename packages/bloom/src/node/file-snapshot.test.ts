import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isWebhookError } from '@hookguard/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BloomStore, type BloomStoreOptions } from '../bloom-store.js';
import { loadSnapshotFile, saveSnapshotFile } from './file-snapshot.js';

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
});
