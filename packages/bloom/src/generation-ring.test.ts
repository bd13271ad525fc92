import { describe, expect, it } from 'vitest';
import { BloomFilter } from './bloom-filter.js';
import { GenerationRing, type Generation } from './generation-ring.js';
import { hashKey } from './hash.js';

const WINDOW = 1000;

function ring(count = 4, capacity = 1000, start = 0): GenerationRing<BloomFilter> {
  const generations: Generation<BloomFilter>[] = Array.from({ length: count }, (_, index) => ({
    startedAt: start - (count - 1 - index) * WINDOW,
    items: 0,
    filter: BloomFilter.forCapacity(capacity, 1e-9),
  }));
  return new GenerationRing({ generations, windowMs: WINDOW, capacity });
}

function add(target: GenerationRing<BloomFilter>, key: string, now: number): void {
  target.advance(now);
  target.add(hashKey(key), key, now);
}

function has(target: GenerationRing<BloomFilter>, key: string, now: number): boolean {
  target.advance(now);
  return target.has(hashKey(key), key);
}

describe('GenerationRing', () => {
  it('keeps an id through generations - 1 further windows and drops it when its generation is the oldest to go', () => {
    const target = ring(4);
    add(target, 'id', 250);
    expect(has(target, 'id', 3999)).toBe(true);
    expect(has(target, 'id', 4000)).toBe(false);
  });

  it('rotates once per window, on the window grid, whatever the gaps between calls', () => {
    const target = ring(4);
    expect(target.advance(999)).toBe(false);
    expect(target.advance(2500)).toBe(true);
    expect(target.generations.map((generation) => generation.startedAt)).toEqual([-1000, 0, 1000, 2000]);
    expect(target.advance(2999)).toBe(false);
  });

  it('drops every generation when the clock jumps past all of them', () => {
    const target = ring(4);
    add(target, 'id', 0);
    expect(has(target, 'id', 123_456)).toBe(false);
    expect(target.generations.map((generation) => generation.startedAt)).toEqual([120_000, 121_000, 122_000, 123_000]);
  });

  it('rotates nothing when the clock moves backwards', () => {
    const target = ring(4, 1000, 10_000);
    add(target, 'id', 10_000);
    expect(target.advance(5_000)).toBe(false);
    expect(has(target, 'id', 5_000)).toBe(true);
  });

  it('starts a new generation early when the newest is full, counting it', () => {
    const target = ring(3, 10);
    for (let index = 0; index < 25; index++) add(target, `k${index}`, 500);
    expect(target.earlyRotations).toBe(2);
    expect(target.generations.map((generation) => generation.items)).toEqual([10, 10, 5]);
    expect(target.generations.at(-1)?.startedAt).toBe(500);
    expect(has(target, 'k0', 500)).toBe(true);
    add(target, 'k25', 500);
    add(target, 'k26', 500);
    for (let index = 27; index < 31; index++) add(target, `k${index}`, 500);
    expect(has(target, 'k0', 500)).toBe(false);
  });

  it('never changes its byte length', () => {
    const target = ring(4, 100);
    const bytes = target.byteLength;
    for (let index = 0; index < 5000; index++) add(target, `k${index}`, index * 7);
    expect(target.byteLength).toBe(bytes);
  });
});
