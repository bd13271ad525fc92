/** The columns of the row a claim inserts for a key that has none. */
export const NEW_CLAIM_COLUMNS = 'key, expires_at, lease_until, first_seen_at, claimed_at, attempt, token, state, fingerprint';

/** SQL expressions the new row is made of: the claim function and the plain claim name them differently. */
export type NewClaimInputs = {
  key: string;
  /** The claim's clock reading. */
  now: string;
  /** `now` plus the lease. */
  leaseUntil: string;
  leaseMs: string;
  retentionMs: string;
  fingerprint: string;
};

/**
 * The values of that row, in {@link NEW_CLAIM_COLUMNS} order: attempt 1 under a fresh token, kept
 * for the longer of the retention and the lease. The one definition for both places a key without
 * a row is claimed: the claim function (migration-sql.ts) and the plain claim (statements.ts).
 */
export function newClaimValues(inputs: NewClaimInputs): string {
  const { key, now, leaseUntil, leaseMs, retentionMs, fingerprint } = inputs;
  return `${key}, ${now} + greatest(${retentionMs}, ${leaseMs}) * interval '1 millisecond', ${leaseUntil},
       ${now}, ${now}, 1, pg_catalog.gen_random_uuid(), 'processing', ${fingerprint}`;
}

/** The rows a claim may take (in the claim function, where `v_now` is the claim's clock): expired, released, or whose lease lapsed. */
export function claimable(row: string): string {
  return `${row}.expires_at <= v_now OR ${row}.state = 'released'
       OR (${row}.state = 'processing' AND coalesce(${row}.lease_until, '-infinity') <= v_now)`;
}
