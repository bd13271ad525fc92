import { randomSeed } from './random-seed.js';

/** A claim not (yet) completed: held under a lease, lapsed, or released with its attempt count. */
export type ClaimRecord = {
  /** `undefined` once released: claimable at once, attempt count kept. */
  token: string | undefined;
  /** The token that released the record, so a repeated release is recognised. */
  releasedBy: string | undefined;
  /** Attempts counted: the one in flight, or the last released one (minus uncounted ones). */
  attempt: number;
  /** The latest error a release gave, returned by later claims. */
  lastError: string | undefined;
  leaseUntil: number;
  /** When the attempt count is forgotten (the record's retention). */
  expiresAt: number;
  /** The key's hash ({@link hashKey}), kept so completing does not hash again. */
  a: number;
  b: number;
};

/** The answer of {@link ClaimTable.take}. */
export type TakeResult =
  | { status: 'claimed'; token: string; attempt: number; lastError?: string }
  | { status: 'processing'; retryAfterMs: number };

/**
 * The exact, in-process half of the Bloom store: leases of claims in flight, owner-checked by
 * token, and the attempt counts of released or lapsed claims. A completed claim leaves the table
 * (its id moves into the filter), so the table holds only what is running or has failed.
 *
 * Tokens are a random per-table prefix and a counter: unique for the life of the process and
 * never sent anywhere, so they need no per-claim randomness.
 *
 * @example
 * ```ts
 * const table = new ClaimTable();
 * const taken = table.take('k', table.get('k'), now, 60_000, 3_600_000, hash);
 * ```
 */
export class ClaimTable {
  readonly #records = new Map<string, ClaimRecord>();
  readonly #prefix = `${randomSeed().toString(36)}.`;
  #sequence = 0;

  /** Records held: in flight, lapsed, or released and not yet expired. */
  get size(): number {
    return this.#records.size;
  }

  /** The record of `key`; when there is one, the filter is not consulted: the table is exact. */
  get(key: string): ClaimRecord | undefined {
    return this.#records.get(key);
  }

  /**
   * Claims `key`, whose current record is `record` (from {@link get}): `processing` while another
   * lease is live; otherwise a new token, with the attempt after the last one unless that record
   * expired. The record is kept for `retentionMs` (at least `leaseMs`); `hash` is kept for a key
   * the table did not know.
   */
  take(
    key: string,
    record: ClaimRecord | undefined,
    now: number,
    leaseMs: number,
    retentionMs: number,
    hash: { a: number; b: number },
  ): TakeResult {
    if (record !== undefined && record.token !== undefined && record.leaseUntil > now) {
      return { status: 'processing', retryAfterMs: record.leaseUntil - now };
    }
    const token = this.#prefix + (++this.#sequence).toString(36);
    const leaseUntil = now + leaseMs;
    if (record === undefined) {
      const expiresAt = now + Math.max(retentionMs, leaseMs);
      this.#records.set(key, { token, releasedBy: undefined, attempt: 1, lastError: undefined, leaseUntil, expiresAt, a: hash.a, b: hash.b });
      return { status: 'claimed', token, attempt: 1 };
    }
    if (record.expiresAt <= now) {
      record.attempt = 0;
      record.lastError = undefined;
      record.expiresAt = now + Math.max(retentionMs, leaseMs);
    }
    record.token = token;
    record.releasedBy = undefined;
    record.attempt++;
    record.leaseUntil = leaseUntil;
    record.expiresAt = Math.max(record.expiresAt, leaseUntil);
    const { attempt, lastError } = record;
    return lastError === undefined ? { status: 'claimed', token, attempt } : { status: 'claimed', token, attempt, lastError };
  }

  /** Removes and returns the record when `token` owns `key`; the caller completes it. */
  finish(key: string, token: string): ClaimRecord | undefined {
    const record = this.#records.get(key);
    if (record === undefined || record.token !== token) return undefined;
    this.#records.delete(key);
    return record;
  }

  /**
   * Ends the lease and keeps the attempt count (one less when `uncounted`) and `lastError` (when
   * given; the caller caps it). `false` when `token` does not own `key`; `true` again, changing
   * nothing, when `token` released it and nobody claimed it since.
   */
  release(key: string, token: string, uncounted = false, lastError?: string): boolean {
    const record = this.#records.get(key);
    if (record === undefined) return false;
    if (record.token !== token) return record.token === undefined && record.releasedBy === token;
    record.token = undefined;
    record.releasedBy = token;
    if (uncounted) record.attempt--;
    if (lastError !== undefined) record.lastError = lastError;
    return true;
  }

  /** Forgets `key`'s record, whoever holds it. */
  delete(key: string): void {
    this.#records.delete(key);
  }

  /** Renews the lease until `leaseUntil`. `false` when `token` does not own `key`. */
  extend(key: string, token: string, leaseUntil: number): boolean {
    const record = this.#records.get(key);
    if (record === undefined || record.token !== token) return false;
    record.leaseUntil = leaseUntil;
    record.expiresAt = Math.max(record.expiresAt, leaseUntil);
    return true;
  }

  /** Drops records that expired and hold no live lease. */
  sweep(now: number): void {
    for (const [key, record] of this.#records) {
      if (record.expiresAt <= now && (record.token === undefined || record.leaseUntil <= now)) this.#records.delete(key);
    }
  }

  /** Forgets every record. */
  clear(): void {
    this.#records.clear();
  }
}
