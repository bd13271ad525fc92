import { describe, expect, it } from 'vitest';
import { REDACTED, redactSecrets } from './redact.js';
import { storedPayload } from './stored-payload.js';

describe('storedPayload', () => {
  it('keeps the redacted payload and its JSON', () => {
    const stored = storedPayload({ data: { password: 'hunter2', note: 'hi' } }, redactSecrets, 16_384);
    expect(stored.value).toEqual({ data: { password: REDACTED, note: 'hi' } });
    expect(JSON.parse(stored.json)).toEqual(stored.value);
    expect(stored.json).not.toContain('hunter2');
  });

  it('replaces a payload longer than maxChars of JSON by a note', () => {
    const stored = storedPayload({ text: 'x'.repeat(100) }, (payload) => payload, 50);
    expect(stored.value).toBe('[payload of 111 characters not kept]');
    expect(JSON.parse(stored.json)).toBe(stored.value);
  });

  it('stores a note when the redact function throws, never the unredacted payload', () => {
    const stored = storedPayload({ secret: 's' }, () => {
      throw new Error('broken');
    }, 16_384);
    expect(stored).toEqual({ value: '[the redact function threw]', json: '"[the redact function threw]"' });
  });
});
