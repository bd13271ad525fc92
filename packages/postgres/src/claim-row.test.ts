import { isWebhookError } from '@hookguard/core';
import { describe, expect, it } from 'vitest';
import { toClaimResult, type ClaimRow } from './claim-row.js';

const TOKEN = '12345678-0000-4000-8000-00000000000a';

describe('toClaimResult', () => {
  it("reads a new key's answer from the plain claim: its token alone, attempt 1", () => {
    expect(toClaimResult([[TOKEN]])).toEqual({ status: 'claimed', token: TOKEN, attempt: 1 });
  });

  it("reads the claim function's answer as pg parses json, and as text where the pool's json parser was replaced", () => {
    const completed: ClaimRow = ['completed', null, null, null, true, '{"sent":1}', null];
    const processing: ClaimRow = ['processing', null, null, 2_500, null, null, null];
    const retried: ClaimRow = ['claimed', TOKEN, 3, null, null, null, 'Error: boom'];
    for (const [row, expected] of [
      [completed, { status: 'completed', fingerprintMatches: true, result: { sent: 1 } }],
      [processing, { status: 'processing', retryAfterMs: 2_500 }],
      [retried, { status: 'claimed', token: TOKEN, attempt: 3, lastError: 'Error: boom' }],
    ] as const) {
      expect(toClaimResult([[row]])).toEqual(expected);
      expect(toClaimResult([[JSON.stringify(row)]])).toEqual(expected);
    }
  });

  it('refuses an answer it does not know, naming migrate()', () => {
    for (const rows of [[], [['not-a-uuid']], [[['later', null, null, null, null, null, null] as unknown as ClaimRow]]]) {
      let error: unknown;
      try {
        toClaimResult(rows as never);
      } catch (caught) {
        error = caught;
      }
      expect(isWebhookError(error) && error.code).toBe('ERR_HOOKGUARD_INTERNAL');
      expect((error as Error).message).toContain('store.migrate()');
    }
  });
});
