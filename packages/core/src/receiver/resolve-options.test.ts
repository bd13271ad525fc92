import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../store/memory-store.js';
import { standardWebhooks, unsafeNoVerification } from '../verifiers/index.js';
import { createReceiver } from './create-receiver.js';
import { FlakyStore, SECRET, captureLogs } from './receiver.fixtures.js';
import { severalProcessesLikely } from './setup-warnings.js';
import type { ReceiverOptions } from './types.js';

const verifier = standardWebhooks({ secret: SECRET });

describe('createReceiver() configuration', () => {
  it.each<[string, Partial<ReceiverOptions>, RegExp]>([
    ['no verifier', { verifier: undefined as never }, /verifier.*required/],
    ['a zero lease', { leaseMs: 0 }, /leaseMs/],
    ['a fractional retention', { retentionMs: 1.5 }, /retentionMs/],
    ['a negative body limit', { maxBodyBytes: -1 }, /maxBodyBytes/],
    ['an unknown store policy', { onStoreError: 'ignore' as never }, /onStoreError/],
    ['an empty namespace', { namespace: '' }, /namespace/],
    ['zero attempts', { maxAttempts: 0 }, /maxAttempts/],
    ['an inexact store without consent', { store: new FlakyStore(new MemoryStore(), { exact: false }) }, /acceptFalsePositives/],
  ])('throws ERR_HOOKGUARD_INVALID_OPTIONS at construction for %s', (_name, options, message) => {
    let thrown: unknown;
    try {
      createReceiver({ verifier, logger: captureLogs().logger, ...options });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: 'ERR_HOOKGUARD_INVALID_OPTIONS' });
    expect((thrown as Error).message).toMatch(message);
  });

  it('refuses a transactional handler on a store without transactions', () => {
    const receiver = createReceiver({ verifier, logger: captureLogs().logger });
    expect(() => receiver.on('a.b', () => undefined, { transaction: true })).toThrow(/transaction/);
  });

  it('applies defaults without touching the caller’s object', () => {
    const options: ReceiverOptions = { verifier };
    const receiver = createReceiver(options);
    expect(Object.keys(options)).toEqual(['verifier']);
    expect(receiver.options).toMatchObject({
      namespace: 'standard-webhooks',
      leaseMs: 60_000,
      maxBodyBytes: 1_048_576,
      onStoreError: 'reject',
      maxAttempts: Number.POSITIVE_INFINITY,
    });
    expect(receiver.options.store).toBeInstanceOf(MemoryStore);
    expect(Object.isFrozen(receiver.options)).toBe(true);
  });

  it('warns once about unsafeNoVerification, and not when switched off', () => {
    const logs = captureLogs();
    createReceiver({ verifier: unsafeNoVerification(), logger: logs.logger });
    expect(logs.codes('warn')).toEqual(['WARN_HOOKGUARD_UNSAFE_NO_VERIFICATION']);
    const quiet = captureLogs();
    createReceiver({ verifier: unsafeNoVerification(), logger: quiet.logger, warnings: { WARN_HOOKGUARD_UNSAFE_NO_VERIFICATION: false } });
    expect(quiet.lines).toEqual([]);
  });

  it('warns when the store forgets ids sooner than the receiver’s retention', () => {
    const logs = captureLogs();
    const store = Object.assign(new FlakyStore(new MemoryStore()), { retentionMs: 60_000 });
    createReceiver({ verifier, store, retentionMs: 3_600_000, logger: logs.logger });
    expect(logs.codes('warn')).toEqual(['WARN_HOOKGUARD_RETENTION_SHORTER_THAN_RECEIVER']);
    const enough = captureLogs();
    createReceiver({ verifier, store, retentionMs: 60_000, logger: enough.logger });
    expect(enough.lines).toEqual([]);
  });

  it('recognises the usual signs of several processes behind one endpoint', () => {
    expect(severalProcessesLikely({})).toBeUndefined();
    expect(severalProcessesLikely({ WEB_CONCURRENCY: '1' })).toBeUndefined();
    expect(severalProcessesLikely({ WEB_CONCURRENCY: '4' })).toMatch(/WEB_CONCURRENCY/);
    expect(severalProcessesLikely({ NODE_UNIQUE_ID: '1' })).toMatch(/cluster/);
    expect(severalProcessesLikely({ NODE_APP_INSTANCE: '0' })).toMatch(/pm2/);
    expect(severalProcessesLikely({ KUBERNETES_SERVICE_HOST: '10.0.0.1' })).toMatch(/Kubernetes/);
  });
});
