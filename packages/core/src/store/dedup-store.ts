/** Options for {@link DedupStore.claim}. */
export type ClaimOptions = {
  /** How long the claim stays exclusive without a heartbeat; a lapsed lease can be taken over. */
  leaseMs: number;
  /** How long the record may be kept at most; a completed record is kept this long after completion. */
  retentionMs: number;
  /** A digest of the body, so a later delivery can tell whether the same id came with other content. */
  fingerprint?: string;
};

/** The answer to a claim. */
export type ClaimResult =
  /** Nobody holds the key: the caller owns it and runs the handlers. `attempt` counts from 1. */
  | { status: 'claimed'; token: string; attempt: number }
  /**
   * Handled before. `fingerprintMatches` is `undefined` when either side had no fingerprint;
   * `result` is what `complete` stored, if anything.
   */
  | { status: 'completed'; fingerprintMatches: boolean | undefined; result?: unknown }
  /** Another caller holds a live lease; it lapses in about `retryAfterMs`. */
  | { status: 'processing'; retryAfterMs: number };

/** Options for {@link DedupStore.complete}. */
export type CompleteOptions = {
  /** How long to remember the completed key, from now. */
  retentionMs: number;
  /** A JSON-serialisable value returned to later claims of the key (`once()` results). */
  result?: unknown;
};

/**
 * The dedup store contract (DESIGN.md, "The dedup store contract"). Every implementation passes
 * the shared suite in `@hookguard/core/testing`.
 *
 * Invariants:
 * - `claim` is atomic: of any number of concurrent claims of an absent key, exactly one is `claimed`.
 * - A lapsed lease is taken over by the next claim with `attempt + 1`.
 * - `complete`, `release` and `extend` succeed only with the current token, and return `false`
 *   (never throw) when the token no longer owns the key.
 * - `release` makes the key claimable at once and keeps its attempt count, so the next claim reports
 *   `attempt + 1` (poison-event detection); the count is forgotten when the record expires.
 * - Expiry may forget a key early (a duplicate) but never reports `completed` for a key that was not.
 * - Operations reject only when the store itself failed (unreachable, timed out); the receiver
 *   then applies its `onStoreError` policy.
 *
 * @example
 * ```ts
 * const claim = await store.claim('stripe:evt_1', { leaseMs: 60_000, retentionMs: 259_200_000 });
 * if (claim.status === 'claimed') {
 *   await handle();
 *   await store.complete('stripe:evt_1', claim.token, { retentionMs: 259_200_000 });
 * }
 * ```
 */
export interface DedupStore {
  /** Short name for logs (`memory`, `redis`, `postgres`, `bloom`). */
  readonly name: string;
  /** `false` when `completed` may be a false positive (Bloom). */
  readonly exact: boolean;
  /** `false` when other processes cannot see this store's records (memory, Bloom). */
  readonly shared: boolean;
  claim(key: string, options: ClaimOptions): Promise<ClaimResult>;
  /** processing → completed, kept for `retentionMs`. `false` when `token` no longer owns the key. */
  complete(key: string, token: string, options: CompleteOptions): Promise<boolean>;
  /** processing → claimable again, so a retry runs the handlers again. `false` when not the owner. */
  release(key: string, token: string): Promise<boolean>;
  /** Renews the lease to `leaseMs` from now. `false` when the lease was lost. */
  extend(key: string, token: string, leaseMs: number): Promise<boolean>;
  /** Stops timers the store started. Never closes a client the user passed in. */
  close?(): Promise<void>;
}
