import type { KeyHash } from './hash.js';
import { randomSeed } from './random-seed.js';

/** What the ring needs from one generation's filter; {@link BloomFilter} is the one it ships with. */
export interface GenerationFilter {
  addHash(hash: KeyHash, key: string): void;
  hasHash(hash: KeyHash, key: string): boolean;
  /** Forgets every item and starts over with `seed`. */
  clear(seed: number): void;
  readonly byteLength: number;
}

/** One generation: the ids completed during one window. */
export type Generation<F extends GenerationFilter> = {
  /** Epoch milliseconds at which this generation became the one receiving ids. */
  startedAt: number;
  /** Ids added while it was receiving them. */
  items: number;
  readonly filter: F;
};

/** Options for {@link GenerationRing}. */
export type GenerationRingOptions<F extends GenerationFilter> = {
  /** Live generations, oldest first; the last one receives ids. At least 2. */
  generations: Generation<F>[];
  /** How long one generation receives ids before the oldest is dropped. */
  windowMs: number;
  /** Ids a generation receives before it is rotated out early, to keep its false-positive rate. */
  capacity: number;
};

/**
 * A fixed number of filters used as a ring: ids go into the newest, lookups check all, and every
 * `windowMs` the oldest is cleared and becomes the newest. An id added at `t` during the window
 * that began at `s` is therefore remembered until `s + generations·windowMs`: more than
 * `(generations - 1)·windowMs` after `t`, and at most `generations·windowMs`. Memory is the sum of
 * the filters, allocated once.
 *
 * A generation that reaches `capacity` before its window ends is rotated out early: the oldest
 * ids are then forgotten sooner (duplicates, the safe direction) instead of the false-positive
 * rate rising above its target (losses).
 *
 * @example
 * ```ts
 * const ring = new GenerationRing({ generations, windowMs: 86_400_000, capacity: 333_334 });
 * ring.advance(now);
 * if (!ring.has(hash, key)) ring.add(hash, key, now);
 * ```
 */
export class GenerationRing<F extends GenerationFilter> {
  readonly windowMs: number;
  readonly capacity: number;
  readonly #generations: Generation<F>[];
  #current: Generation<F>;
  #earlyRotations = 0;

  constructor(options: GenerationRingOptions<F>) {
    this.windowMs = options.windowMs;
    this.capacity = options.capacity;
    this.#generations = options.generations;
    this.#current = options.generations[options.generations.length - 1]!;
  }

  /** Live generations, oldest first. */
  get generations(): readonly Generation<F>[] {
    return this.#generations;
  }

  /** Rotations forced by a full generation before its window ended. */
  get earlyRotations(): number {
    return this.#earlyRotations;
  }

  /** Bytes of filter storage across all generations; constant for the life of the ring. */
  get byteLength(): number {
    let bytes = 0;
    for (const generation of this.#generations) bytes += generation.filter.byteLength;
    return bytes;
  }

  /**
   * Drops every generation whose time is over at `now`. Returns `true` when it rotated. A clock
   * that moved backwards rotates nothing.
   */
  advance(now: number): boolean {
    const dueAt = this.#current.startedAt + this.windowMs;
    if (now < dueAt) return false;
    const elapsed = Math.floor((now - this.#current.startedAt) / this.windowMs);
    const rotations = Math.min(elapsed, this.#generations.length);
    const lastStart = this.#current.startedAt + elapsed * this.windowMs;
    for (let rotation = rotations - 1; rotation >= 0; rotation--) this.#rotate(lastStart - rotation * this.windowMs);
    return true;
  }

  /** Whether any live generation (probably) holds the key. */
  has(hash: KeyHash, key: string): boolean {
    // Newest first: a redelivery usually follows its original within minutes.
    for (let index = this.#generations.length - 1; index >= 0; index--) {
      if (this.#generations[index]!.filter.hasHash(hash, key)) return true;
    }
    return false;
  }

  /** Adds the key to the newest generation, rotating first when that one is full. */
  add(hash: KeyHash, key: string, now: number): void {
    if (this.#current.items >= this.capacity) {
      this.#earlyRotations++;
      this.#rotate(Math.max(now, this.#current.startedAt));
    }
    this.#current.filter.addHash(hash, key);
    this.#current.items++;
  }

  #rotate(startedAt: number): void {
    const oldest = this.#generations.shift()!;
    oldest.filter.clear(randomSeed());
    oldest.startedAt = startedAt;
    oldest.items = 0;
    this.#generations.push(oldest);
    this.#current = oldest;
  }
}
