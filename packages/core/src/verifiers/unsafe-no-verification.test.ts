import { describe, expect, it, vi } from 'vitest';
import { toWebhookHeaders } from '../http/headers.js';
import { unsafeNoVerification } from './unsafe-no-verification.js';

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('unsafeNoVerification()', () => {
  it('marks itself unsafe so the receiver can warn', () => {
    const verifier = unsafeNoVerification();
    expect(verifier).toMatchObject({ name: 'unsafe-no-verification', unsafe: true });
  });

  it('accepts an unsigned request, the id from webhook-id or else the body, the type from the body', async () => {
    const verifier = unsafeNoVerification();
    const body = encode('{"id":"evt_1","type":"thing.happened"}');
    await expect(verifier.verify({ rawBody: body, headers: toWebhookHeaders({}) })).resolves.toMatchObject({
      id: 'evt_1',
      type: 'thing.happened',
      timestamp: undefined,
    });
    await expect(
      verifier.verify({ rawBody: body, headers: toWebhookHeaders({ 'Webhook-Id': 'msg_9', 'webhook-timestamp': '1700000000' }) }),
    ).resolves.toMatchObject({ id: 'msg_9', timestamp: new Date(1_700_000_000_000) });
  });

  it('resolves a body it cannot read with bodyError, and logs nothing', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const delivery = await unsafeNoVerification().verify({ rawBody: encode('plain text'), headers: toWebhookHeaders({}) });
    expect(delivery).toMatchObject({ id: undefined, type: undefined, payload: undefined });
    expect(delivery.bodyError?.code).toBe('ERR_HOOKGUARD_INVALID_BODY');
    expect(warn).not.toHaveBeenCalled();
    warn.mockRestore();
  });
});
