import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WebhookError } from '../errors/webhook-error.js';
import { retryDelayAfter, retryDelayMs, type RetryPolicy } from './webhook-queue.js';

const policy: RetryPolicy = { attempts: 10, minDelayMs: 1_000, maxDelayMs: 3_600_000 };

describe('retryDelayMs', () => {
  it('doubles the step from minDelayMs, jittering over [step, 2 × step]', () => {
    expect(retryDelayMs(1, policy, () => 0)).toBe(1_000);
    expect(retryDelayMs(1, policy, () => 0.999_999)).toBe(2_000);
    expect(retryDelayMs(2, policy, () => 0)).toBe(2_000);
    expect(retryDelayMs(3, policy, () => 0.5)).toBe(6_000);
  });

  it('caps at maxDelayMs, even for a huge retry number', () => {
    expect(retryDelayMs(12, policy, () => 0)).toBe(2_048_000);
    expect(retryDelayMs(13, policy, () => 0)).toBe(3_600_000);
    expect(retryDelayMs(10_000, policy, () => 0.5)).toBe(3_600_000);
  });

  it('stays within [minDelayMs, maxDelayMs] for any retry, policy and random draw', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000 }),
        fc.integer({ min: 1, max: 100_000 }),
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (retry, minDelayMs, extra, draw) => {
          const bounded = { attempts: 5, minDelayMs, maxDelayMs: minDelayMs + extra };
          const delay = retryDelayMs(retry, bounded, () => draw);
          expect(Number.isInteger(delay)).toBe(true);
          expect(delay).toBeGreaterThanOrEqual(bounded.minDelayMs);
          expect(delay).toBeLessThanOrEqual(bounded.maxDelayMs);
        },
      ),
    );
  });
});

describe('retryDelayAfter', () => {
  it("waits only minDelayMs for a job refused as another receiver's, however many times it was refused", () => {
    const refused = new WebhookError('ERR_HOOKGUARD_QUEUE_SHARED', 'a job of another namespace');
    expect(retryDelayAfter(refused, 1, policy)).toBe(1_000);
    expect(retryDelayAfter(refused, 20, policy)).toBe(1_000);
  });

  it('backs off as retryDelayMs does for any other failure', () => {
    const failures: unknown[] = [new Error('boom'), new WebhookError('ERR_HOOKGUARD_HANDLER_FAILED', 'a handler threw'), 'a string', undefined];
    for (const failure of failures) {
      const delay = retryDelayAfter(failure, 12, policy);
      expect(delay).toBeGreaterThanOrEqual(2_048_000);
      expect(delay).toBeLessThanOrEqual(3_600_000);
    }
  });
});
