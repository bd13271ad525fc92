import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { remainingAfterWait } from './pool-checkout.js';

describe('remainingAfterWait', () => {
  it('never leaves a statement more than the budget has left, and at least 1 ms', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2_147_483_647 }), fc.double({ min: 0, max: 1, noNaN: true }), (timeoutMs, share) => {
        const waitedMs = timeoutMs * share;
        const remaining = remainingAfterWait(timeoutMs, waitedMs);
        expect(Number.isInteger(remaining)).toBe(true);
        expect(remaining).toBeGreaterThanOrEqual(1);
        if (timeoutMs - waitedMs >= 1) expect(remaining).toBeLessThanOrEqual(timeoutMs - waitedMs);
        // Never more than a 64th of the budget below what is left.
        expect(timeoutMs - waitedMs - remaining).toBeLessThan(Math.ceil(timeoutMs / 64));
      }),
    );
  });

  it('gives the statements after a wait a few durations, not one each', () => {
    const durations = new Set(Array.from({ length: 1000 }, (_, index) => remainingAfterWait(5_000, index * 0.05)));
    // 1000 waits spread over 50 ms: at most one step of 79 ms apart, so one or two durations.
    expect(durations.size).toBeLessThanOrEqual(2);
    expect(remainingAfterWait(5_000, 12.5)).toBe(4_977);
    expect(remainingAfterWait(5_000, 4_990)).toBe(10);
    expect(remainingAfterWait(5_000, 5_000)).toBe(1);
  });
});
