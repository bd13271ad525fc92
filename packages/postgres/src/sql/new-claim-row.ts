/** The columns of the row a claim inserts for a key that has none. */
export const NEW_CLAIM_COLUMNS = 'key, expires_at, lease_until, first_seen_at, claimed_at, attempt, token, state, fingerprint';

/**
 * A token made by the server, as the claim functions of schema versions 1 and 2 make it. The plain
 * claim takes one the client made instead (`crypto.randomUUID()`): `gen_random_uuid()` cost the
 * server 16,000 instructions per claim, for a new key and a duplicate alike, as the row's values
 * are computed before the conflict is found (BENCHMARKS.md, B6).
 */
export const SERVER_MADE_TOKEN = 'pg_catalog.gen_random_uuid()';

/** SQL expressions the new row is made of: the claim function and the plain claim name them differently. */
export type NewClaimInputs = {
  key: string;
  /** The claim's clock reading. */
  now: string;
  /** `now` plus the lease. */
  leaseUntil: string;
  /** Until when the row is kept: {@link keptForRetentionOrLease} or {@link keptForRetentionAndLease}. */
  expiresAt: string;
  fingerprint: string;
  /**
   * The new row's token: {@link SERVER_MADE_TOKEN} in the claim functions, a parameter the client
   * made in the plain claim.
   */
  token: string;
};

/**
 * The longer of the retention and the lease from `now`: how long a new row is kept by the claim
 * functions of schema versions 1 and 2, whose shipped text must not change.
 */
export function keptForRetentionOrLease(now: string, retentionMs: string, leaseMs: string): string {
  return `${now} + greatest(${retentionMs}, ${leaseMs}) * interval '1 millisecond'`;
}

/**
 * The retention plus the lease from `now`: how long the plain claim keeps a new row. A completion
 * within the lease then already has its retention (and at most one lease more) and leaves
 * `expires_at` as it is, so the row's indexed columns do not change and PostgreSQL updates it in
 * place (a HOT update: no new index entries).
 */
export function keptForRetentionAndLease(now: string, retentionMs: string, leaseMs: string): string {
  return `${now} + (${retentionMs} + ${leaseMs}) * interval '1 millisecond'`;
}

/**
 * The values of that row, in {@link NEW_CLAIM_COLUMNS} order: attempt 1 under a fresh token, kept
 * until `expiresAt`. The one definition for both places a key without a row is claimed: the claim
 * function (migration-sql.ts) and the plain claim (statements.ts).
 */
export function newClaimValues(inputs: NewClaimInputs): string {
  const { key, now, leaseUntil, expiresAt, fingerprint, token } = inputs;
  return `${key}, ${expiresAt}, ${leaseUntil},
       ${now}, ${now}, 1, ${token}, 'processing', ${fingerprint}`;
}

/** The rows a claim may take (in the claim function, where `v_now` is the claim's clock): expired, released, or whose lease lapsed. */
export function claimable(row: string): string {
  return `${row}.expires_at <= v_now OR ${row}.state = 'released'
       OR (${row}.state = 'processing' AND coalesce(${row}.lease_until, '-infinity') <= v_now)`;
}
