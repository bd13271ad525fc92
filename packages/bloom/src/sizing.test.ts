import { describe, expect, it } from 'vitest';
import { bloomParameters, expectedFalsePositiveRate, optimalBitsPerItem, perGenerationRate } from './sizing.js';

describe('bloomParameters', () => {
  it('meets the rate at capacity within 1 % of the optimum bits, from 1e-1 to 1e-12', () => {
    for (let exponent = 1; exponent <= 12; exponent++) {
      for (const capacity of [1_000, 1_000_000]) {
        const rate = 10 ** -exponent;
        const parameters = bloomParameters(capacity, rate);
        expect(expectedFalsePositiveRate(parameters, capacity)).toBeLessThanOrEqual(rate * (1 + 1e-9));
        expect(parameters.bits / capacity / optimalBitsPerItem(rate)).toBeLessThan(1.01);
        expect(Math.abs(parameters.hashCount + Math.log2(rate))).toBeLessThanOrEqual(1);
      }
    }
  });

  it('gives the textbook figure for one million ids at 1e-6: 28.76 bits per id, 20 probes', () => {
    const parameters = bloomParameters(1_000_000, 1e-6);
    expect(parameters.hashCount).toBe(20);
    expect(parameters.bits / 1_000_000).toBeCloseTo(28.76, 2);
  });
});

describe('perGenerationRate', () => {
  it('splits a rate so that checking every generation adds back up to it', () => {
    for (const generations of [2, 4, 8, 64]) {
      for (const rate of [1e-2, 1e-6, 1e-12]) {
        const each = perGenerationRate(rate, generations);
        expect(each).toBeGreaterThanOrEqual(rate / generations);
        expect(Math.abs(-Math.expm1(generations * Math.log1p(-each)) / rate - 1)).toBeLessThan(1e-9);
      }
    }
  });
});

describe('the sizing functions on bad input', () => {
  const invalid = (call: () => unknown): string => {
    try {
      return `returned ${String(call())}`;
    } catch (error) {
      return `${(error as { code?: string }).code}: ${(error as Error).message}`;
    }
  };

  it('refuse a rate outside (0, 1), a capacity or generation count that is not a positive integer, with ERR_HOOKGUARD_INVALID_OPTIONS', () => {
    for (const rate of [0, 1, -0.1, 1.5, Number.NaN, '1e-6']) {
      for (const call of [() => optimalBitsPerItem(rate as number), () => bloomParameters(1000, rate as number), () => perGenerationRate(rate as number, 4)]) {
        expect(invalid(call)).toMatch(/^ERR_HOOKGUARD_INVALID_OPTIONS: \w+\(\) falsePositiveRate must be a number between 0 and 1 exclusive/);
      }
    }
    for (const capacity of [0, -5, 1.5, Number.POSITIVE_INFINITY, Number.NaN]) {
      expect(invalid(() => bloomParameters(capacity, 1e-6))).toMatch(/^ERR_HOOKGUARD_INVALID_OPTIONS: bloomParameters\(\) capacity must be a positive integer/);
    }
    for (const generations of [0, 2.5, -1]) {
      expect(invalid(() => perGenerationRate(1e-6, generations))).toMatch(/^ERR_HOOKGUARD_INVALID_OPTIONS: perGenerationRate\(\) generations must be a positive integer/);
    }
  });

  it('refuse parameters or an item count that no filter has, instead of answering NaN', () => {
    for (const parameters of [{ bits: 0, hashCount: 3 }, { bits: 1000, hashCount: 0 }, { bits: 1000.5, hashCount: 3 }, null, {}]) {
      expect(invalid(() => expectedFalsePositiveRate(parameters as never, 10))).toMatch(/^ERR_HOOKGUARD_INVALID_OPTIONS: expectedFalsePositiveRate\(\) needs \{ bits, hashCount \}/);
    }
    for (const items of [-1, 0.5, Number.NaN]) {
      expect(invalid(() => expectedFalsePositiveRate({ bits: 1000, hashCount: 3 }, items))).toMatch(/^ERR_HOOKGUARD_INVALID_OPTIONS: expectedFalsePositiveRate\(\) items must be an integer/);
    }
    expect(expectedFalsePositiveRate({ bits: 1000, hashCount: 3 }, 0)).toBe(0);
  });
});
