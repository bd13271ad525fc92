import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../store/memory-store.js';
import { standardWebhooks } from '../verifiers/index.js';
import type { Verifier } from '../verifiers/verifier.js';
import { createReceiver } from './create-receiver.js';
import { SECRET, captureLogs, signed } from './receiver.fixtures.js';

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

describe('WARN_HOOKGUARD_NO_HANDLERS', () => {
  it('warns once, at the first event a receiver without any handler answers 200 ignored', async () => {
    const logs = captureLogs();
    const receiver = createReceiver({ verifier: standardWebhooks({ secret: SECRET }), logger: logs.logger });
    expect(await receiver.receive(signed('msg_1', 'message.received', Date.now()))).toMatchObject({ outcome: 'ignored', status: 200 });
    await receiver.receive(signed('msg_2', 'message.received', Date.now()));
    expect(logs.codes('warn')).toEqual(['WARN_HOOKGUARD_NO_HANDLERS']);
    expect(logs.lines[0]?.message).toContain('register handlers with receiver.on()');
  });

  it('stays quiet when some handler exists (another type is ignored on purpose), and when switched off', async () => {
    const some = captureLogs();
    const receiver = createReceiver({ verifier: standardWebhooks({ secret: SECRET }), logger: some.logger });
    receiver.on('invoice.paid', () => undefined);
    expect(await receiver.receive(signed('msg_1', 'message.received', Date.now()))).toMatchObject({ outcome: 'ignored' });
    expect(some.codes('warn')).toEqual([]);
    const off = captureLogs();
    const silenced = createReceiver({ verifier: standardWebhooks({ secret: SECRET }), logger: off.logger, warnings: { WARN_HOOKGUARD_NO_HANDLERS: false } });
    await silenced.receive(signed('msg_1', 'message.received', Date.now()));
    expect(off.codes('warn')).toEqual([]);
  });
});
