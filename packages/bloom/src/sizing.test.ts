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
