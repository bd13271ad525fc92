import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../store/memory-store.js';
import { standardWebhooks } from '../verifiers/index.js';
import type { Verifier } from '../verifiers/verifier.js';
import { createReceiver } from './create-receiver.js';
import { SECRET, captureLogs } from './receiver.fixtures.js';

/** The Standard Webhooks verifier, declaring its replay window as verifiers do (`toleranceMs`). */
function verifierWithTolerance(toleranceMs: number | undefined): Verifier {
  const inner = standardWebhooks({ secret: SECRET });
  return { name: inner.name, ...(toleranceMs === undefined ? {} : { toleranceMs }), verify: (input) => inner.verify(input) } as Verifier;
}

describe('setup warnings', () => {
  it('warns when retentionMs is shorter than twice the tolerance, since a replay within the window would run again', () => {
    const logs = captureLogs();
    createReceiver({ verifier: verifierWithTolerance(300_000), retentionMs: 60_000, logger: logs.logger });
    expect(logs.codes('warn')).toEqual(['WARN_HOOKGUARD_RETENTION_BELOW_REPLAY_WINDOW']);
    const line = logs.lines.find((entry) => entry.fields['code'] === 'WARN_HOOKGUARD_RETENTION_BELOW_REPLAY_WINDOW');
    expect(line?.fields).toMatchObject({ retentionMs: 60_000, toleranceMs: 300_000, replayWindowMs: 600_000 });
    expect(line?.message).toContain('Raise retentionMs to at least 600000');
  });

  it('warns when the store’s own window, not the receiver’s, is below the replay window', () => {
    const logs = captureLogs();
    const store = Object.assign(new MemoryStore(), { retentionMs: 120_000 });
    createReceiver({ verifier: verifierWithTolerance(300_000), store, retentionMs: 600_000, logger: logs.logger });
    expect(logs.codes('warn')).toEqual(['WARN_HOOKGUARD_RETENTION_SHORTER_THAN_RECEIVER', 'WARN_HOOKGUARD_RETENTION_BELOW_REPLAY_WINDOW']);
    expect(logs.lines[1]?.message).toContain("the 'memory' store's retentionMs");
  });

  it('stays quiet at exactly twice the tolerance, for schemes without a timestamp, and when switched off', () => {
    const atWindow = captureLogs();
    createReceiver({ verifier: verifierWithTolerance(300_000), retentionMs: 600_000, logger: atWindow.logger });
    expect(atWindow.lines).toEqual([]);
    const noTimestamp = captureLogs();
    createReceiver({ verifier: verifierWithTolerance(undefined), retentionMs: 1_000, logger: noTimestamp.logger });
    expect(noTimestamp.lines).toEqual([]);
    const off = captureLogs();
    createReceiver({
      verifier: verifierWithTolerance(300_000),
      retentionMs: 60_000,
      logger: off.logger,
      warnings: { WARN_HOOKGUARD_RETENTION_BELOW_REPLAY_WINDOW: false },
    });
    expect(off.lines).toEqual([]);
  });
});
