import type { ClaimOptions, ClaimResult, CompleteOptions, DedupStore } from './dedup-store.js';
import { cryptoBackend } from '../crypto/index.js';

/** Options for {@link MemoryStore}. */
export type MemoryStoreOptions = {
  /**
   * Clock in epoch milliseconds; inject one in tests.
   * @default Date.now
   */
  now?: () => number;
  /**
   * How often expired records are swept. Expired records are also ignored on read, so this bounds
   * memory, not correctness.
   * @default 60_000
   */
  sweepIntervalMs?: number;
};

type InFlightRecord = {
  /** `undefined` once released: claimable at once, attempt count kept. */
  token: string | undefined;
  attempt: number;
  leaseUntil: number;
  expiresAt: number;
  fingerprint: string | undefined;
};

// A completed record is one number, so memory per remembered id stays that of a Map<string, number>
// (issue 9, B8): milliseconds after `origin` until expiry, times 2^16, plus a 16-bit fingerprint
// digest (0 = none). 2^37 ms (4.3 years) of expiry times 2^16 stays inside 2^53.
const FINGERPRINT_SLOTS = 65_536;

function fingerprintDigest(fingerprint: string | undefined): number {
  if (fingerprint === undefined) return 0;
  let hash = 0x811c9dc5;
  for (let index = 0; index < fingerprint.length; index++) {
    hash = Math.imul(hash ^ fingerprint.charCodeAt(index), 0x01000193);
  }
  return ((hash >>> 0) % (FINGERPRINT_SLOTS - 1)) + 1;
}

/**
 * The embedded default store: exact, in this process only. Completed ids live in insertion-ordered
 * maps, one per retention, so expiry sweeps only what has expired and never scans live keys.
 *
 * Use it for a single process. With several processes behind a load balancer each has its own
 * memory and a redelivery that lands elsewhere runs again: use `@hookguard/redis` or
 * `@hookguard/postgres` there.
 *
 * @example
 * ```ts
 * const store = new MemoryStore();
 * const receiver = createReceiver({ verifier, store });
 * // on shutdown
 * await store.close();
 * ```
 */
export class MemoryStore implements DedupStore {
  readonly name = 'memory';
  readonly exact = true;
  readonly shared = false;

  readonly #now: () => number;
  readonly #origin: number;
  readonly #sweepIntervalMs: number;
  readonly #inFlight = new Map<string, InFlightRecord>();
  /** retentionMs → (key → packed expiry and fingerprint), in expiry order. */
  readonly #completed = new Map<number, Map<string, number>>();
  readonly #results = new Map<string, string>();
  /** The most recently created retention map: the only one when `#completed.size` is 1. */
  #latest: Map<string, number> | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(options: MemoryStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#sweepIntervalMs = options.sweepIntervalMs ?? 60_000;
    this.#origin = this.#now();
  }

  /** Number of records held (in flight, released and completed, expired or not yet swept). */
  get size(): number {
    let size = this.#inFlight.size;
    for (const byKey of this.#completed.values()) size += byKey.size;
    return size;
  }

  claim(key: string, options: ClaimOptions): Promise<ClaimResult> {
    this.#startSweeping();
    const now = this.#now();
    const record = this.#inFlight.get(key);
    if (record !== undefined) {
      if (record.token !== undefined && record.leaseUntil > now) {
        return Promise.resolve({ status: 'processing', retryAfterMs: record.leaseUntil - now });
      }
      const expired = record.expiresAt <= now;
      const next: InFlightRecord = {
        token: cryptoBackend.randomId(),
        attempt: expired ? 1 : record.attempt + 1,
        leaseUntil: now + options.leaseMs,
        expiresAt: Math.max(expired ? now + options.retentionMs : record.expiresAt, now + options.leaseMs),
        fingerprint: options.fingerprint,
      };
      this.#inFlight.set(key, next);
      return Promise.resolve({ status: 'claimed', token: next.token!, attempt: next.attempt });
    }
    const completed = this.#findCompleted(key, now);
    if (completed !== undefined) {
      const stored = completed % FINGERPRINT_SLOTS;
      const offered = fingerprintDigest(options.fingerprint);
      const result = this.#results.get(key);
      return Promise.resolve({
        status: 'completed',
        fingerprintMatches: stored === 0 || offered === 0 ? undefined : stored === offered,
        ...(result === undefined ? {} : { result: JSON.parse(result) as unknown }),
      });
    }
    const token = cryptoBackend.randomId();
    this.#inFlight.set(key, {
      token,
      attempt: 1,
      leaseUntil: now + options.leaseMs,
      expiresAt: now + Math.max(options.retentionMs, options.leaseMs),
      fingerprint: options.fingerprint,
    });
    return Promise.resolve({ status: 'claimed', token, attempt: 1 });
  }

  complete(key: string, token: string, options: CompleteOptions): Promise<boolean> {
    const record = this.#inFlight.get(key);
    if (record === undefined || record.token !== token) return Promise.resolve(false);
    // Serialised now, so later mutation by the caller cannot change what duplicates receive.
    const result = options.result === undefined ? undefined : JSON.stringify(options.result);
    this.#inFlight.delete(key);
    const expiresAt = this.#now() + options.retentionMs;
    let byKey = this.#completed.get(options.retentionMs);
    if (byKey === undefined) {
      byKey = new Map();
      this.#completed.set(options.retentionMs, byKey);
      this.#latest = byKey;
    }
    byKey.set(key, Math.max(0, expiresAt - this.#origin) * FINGERPRINT_SLOTS + fingerprintDigest(record.fingerprint));
    if (result !== undefined) this.#results.set(key, result);
    return Promise.resolve(true);
  }

  release(key: string, token: string): Promise<boolean> {
    const record = this.#inFlight.get(key);
    if (record === undefined || record.token !== token) return Promise.resolve(false);
    record.token = undefined;
    return Promise.resolve(true);
  }

  extend(key: string, token: string, leaseMs: number): Promise<boolean> {
    const record = this.#inFlight.get(key);
    if (record === undefined || record.token !== token) return Promise.resolve(false);
    record.leaseUntil = this.#now() + leaseMs;
    record.expiresAt = Math.max(record.expiresAt, record.leaseUntil);
    return Promise.resolve(true);
  }

  /** Drops expired records now. Runs on its own every `sweepIntervalMs`. */
  sweep(): void {
    const now = this.#now();
    for (const [key, record] of this.#inFlight) {
      if (record.expiresAt <= now && (record.token === undefined || record.leaseUntil <= now)) this.#inFlight.delete(key);
    }
    for (const byKey of this.#completed.values()) {
      for (const [key, packed] of byKey) {
        if (this.#expiresAt(packed) > now) break;
        byKey.delete(key);
        this.#results.delete(key);
      }
    }
  }

  /** Stops the sweep timer and forgets every record. */
  close(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#inFlight.clear();
    this.#completed.clear();
    this.#latest = undefined;
    this.#results.clear();
    return Promise.resolve();
  }

  #expiresAt(packed: number): number {
    return this.#origin + Math.floor(packed / FINGERPRINT_SLOTS);
  }

  #findCompleted(key: string, now: number): number | undefined {
    // Nearly every store holds a single retention: look there without an iterator.
    if (this.#completed.size === 1) return this.#findIn(this.#latest!, key, now);
    for (const byKey of this.#completed.values()) {
      const packed = this.#findIn(byKey, key, now);
      if (packed !== undefined) return packed;
    }
    return undefined;
  }

  #findIn(byKey: Map<string, number>, key: string, now: number): number | undefined {
    const packed = byKey.get(key);
    if (packed === undefined) return undefined;
    if (this.#expiresAt(packed) > now) return packed;
    byKey.delete(key);
    this.#results.delete(key);
    return undefined;
  }

  #startSweeping(): void {
    // Started on first use, not in the constructor: Workers forbid timers at module scope.
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => this.sweep(), this.#sweepIntervalMs);
    (this.#timer as { unref?: () => void }).unref?.();
  }
}
