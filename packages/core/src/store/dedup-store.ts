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
  /**
   * Nobody holds the key: the caller owns it and runs the handlers. `attempt` counts from 1.
   * `lastError` is the latest {@link ReleaseOptions.lastError} released for this key, if any.
   */
  | { status: 'claimed'; token: string; attempt: number; lastError?: string }
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

/** Options for {@link DedupStore.release}. */
export type ReleaseOptions = {
  /**
   * The attempt did not really happen (the store failed inside a handler, not the handler): the
   * next claim reports the same attempt number as the released one instead of one more.
   * @default false
   */
  uncounted?: boolean;
  /**
   * A short description of the handler's error. Stores keep at most its first
   * {@link MAX_LAST_ERROR_LENGTH} characters and return it as `lastError` from every later
   * successful claim of the key until another release gives a new one, the key completes or its
   * record expires (so a dead letter can name the real last error).
   */
  lastError?: string;
};

/**
 * The most characters of {@link ReleaseOptions.lastError} a store keeps.
 *
 * @example
 * ```ts
 * const kept = description.slice(0, MAX_LAST_ERROR_LENGTH);
 * ```
 */
export const MAX_LAST_ERROR_LENGTH = 1000;

// NUL and lone surrogates: PostgreSQL `text` refuses NUL, and UTF-8 cannot encode a lone surrogate.
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * What a store keeps of a {@link ReleaseOptions.lastError}: at most {@link MAX_LAST_ERROR_LENGTH}
 * characters, never cut inside a surrogate pair, with NUL and lone surrogates replaced by U+FFFD
 * so every store can keep it as it is.
 *
 * @example
 * ```ts
 * capLastError('x'.repeat(5000)).length; // 1000
 * ```
 */
export function capLastError(text: string): string {
  let capped = text;
  if (capped.length > MAX_LAST_ERROR_LENGTH) {
    const last = capped.charCodeAt(MAX_LAST_ERROR_LENGTH - 1);
    capped = capped.slice(0, last >= 0xd800 && last <= 0xdbff ? MAX_LAST_ERROR_LENGTH - 1 : MAX_LAST_ERROR_LENGTH);
  }
  return capped.replace(UNSTORABLE, '\ufffd');
}

/**
 * The dedup store contract (DESIGN.md, "The dedup store contract"). Every implementation passes
 * the shared suite in `@hookguard/core/testing`.
 *
 * Invariants:
 * - `claim` is atomic: of any number of concurrent claims of an absent key, exactly one is `claimed`.
 * - A lapsed lease is taken over by the next claim with `attempt + 1`.
 * - `complete`, `release` and `extend` succeed only with the current token, and return `false`
 *   (never throw) when the token no longer owns the key.
 * - Repeats are idempotent (a client may re-send a command whose reply was lost): `complete`
 *   repeated by the token that completed the key answers `true`; `release` repeated by the token
 *   that released it answers `true` until another token claims the key; a store that sends its
 *   claims over a network generates the token before sending, and a claim re-sent with that token
 *   answers `claimed` with the same token and attempt.
 * - `release` makes the key claimable at once and keeps its attempt count, so the next claim reports
 *   `attempt + 1` (poison-event detection), or the same attempt with `uncounted`; the count is
 *   forgotten when the record expires.
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
  release(key: string, token: string, options?: ReleaseOptions): Promise<boolean>;
  /** Renews the lease to `leaseMs` from now. `false` when the lease was lost. */
  extend(key: string, token: string, leaseMs: number): Promise<boolean>;
  /**
   * Stops timers the store started. Never closes a client the user passed in. A store whose records
   * live in the process (memory, Bloom) refuses claims afterwards with
   * `ERR_HOOKGUARD_STORE_UNAVAILABLE`, while claims in flight can still complete or release.
   */
  close?(): Promise<void>;
}
