import { NEW_CLAIM_COLUMNS, newClaimValues } from './new-claim-row.js';
import type { TableNames } from './table-names.js';

/** A named (prepared) statement: PostgreSQL parses and plans it once per connection. */
export type Statement = { name: string; text: string };

/** The statements behind each store operation, for one table. */
export type Statements = {
  /**
   * A plain claim (the key's advisory lock shared): `$1` key, `$2` lease ms, `$3` retention ms,
   * `$4` fingerprint. A key without a row is inserted by the statement itself; any other key goes
   * through the claim function, in the same statement and round trip.
   */
  plainClaim: Statement;
  /** The claim function alone: `$1` key, `$2` lease ms, `$3` retention ms, `$4` fingerprint, `$5` exclusive lock. */
  claim: Statement;
  /** `$1` key, `$2` token, `$3` retention ms, `$4` result as JSON text or null. */
  complete: Statement;
  /** `$1` key, `$2` token. */
  release: Statement;
  /** `$1` key, `$2` token, `$3` lease ms. */
  extend: Statement;
  /** `$1` batch size. */
  prune: Statement;
};

/**
 * Builds the statements for one table. Every write is owner-checked by token in its WHERE clause
 * and timed by the server's clock (`statement_timestamp()`, which is `now()` outside a transaction
 * and stays current inside one).
 *
 * @example
 * ```ts
 * const { claim } = statements(tableNames('hookguard_events', undefined));
 * await pool.query({ ...claim, values: [key, 60_000, 259_200_000, null, false] });
 * ```
 */
export function statements(names: TableNames): Statements {
  const { table, claimFunction, statementSuffix, lockSeed } = names;
  const name = (operation: string): string => `hookguard_${operation}_${statementSuffix}`;
  const at = (ms: string): string => `pg_catalog.statement_timestamp() + ${ms}::float8 * interval '1 millisecond'`;
  const claimColumns = 'out_status, out_token, out_attempt, out_retry_after_ms, out_fingerprint_matches, out_result';
  return {
    plainClaim: {
      // A new event's key has no row: taking the lock and inserting in plain SQL spares it the
      // PL/pgSQL call, a tenth of the pair's server time (BENCHMARKS.md, B6). The row is the one
      // the function inserts (new-claim-row.ts). The function runs only when nothing was inserted
      // (a row exists, or a transactional claim holds the lock exclusively) and decides as it
      // always does; a lock taken twice in one transaction is simply held twice. `ON CONFLICT DO
      // NOTHING` neither locks nor writes an existing row, so duplicates still touch nothing.
      name: name('plain_claim'),
      text: `WITH lock AS MATERIALIZED (
  SELECT pg_catalog.pg_try_advisory_xact_lock_shared(pg_catalog.hashtextextended($1::text, ${lockSeed})) AS held
), inserted AS (
  INSERT INTO ${table} AS e (${NEW_CLAIM_COLUMNS})
  SELECT ${newClaimValues({ key: '$1::text', now: 'pg_catalog.statement_timestamp()', leaseUntil: at('$2'), leaseMs: '$2::float8', retentionMs: '$3::float8', fingerprint: '$4::text' })}
  FROM lock WHERE lock.held
  ON CONFLICT (key) DO NOTHING
  RETURNING e.token, e.attempt
)
SELECT 'claimed'::text AS out_status, token AS out_token, attempt AS out_attempt, NULL::integer AS out_retry_after_ms,
  NULL::boolean AS out_fingerprint_matches, NULL::text AS out_result
FROM inserted
UNION ALL
SELECT ${claimColumns}
FROM ${claimFunction}($1::text, $2::float8, $3::float8, $4::text, false)
WHERE NOT EXISTS (SELECT 1 FROM inserted)`,
    },
    claim: {
      name: name('claim'),
      text: `SELECT ${claimColumns}
FROM ${claimFunction}($1::text, $2::float8, $3::float8, $4::text, $5::boolean)`,
    },
    complete: {
      name: name('complete'),
      text: `UPDATE ${table} SET state = 'completed', token = NULL, lease_until = NULL, expires_at = ${at('$3')},
  completed_at = pg_catalog.statement_timestamp(), result = $4::jsonb
WHERE key = $1::text AND token = $2::uuid`,
    },
    release: {
      // The attempt count stays, so the next claim reports attempt + 1.
      name: name('release'),
      text: `UPDATE ${table} SET state = 'released', token = NULL, lease_until = NULL
WHERE key = $1::text AND token = $2::uuid`,
    },
    extend: {
      name: name('extend'),
      text: `UPDATE ${table} SET lease_until = ${at('$3')}, expires_at = greatest(expires_at, ${at('$3')})
WHERE key = $1::text AND token = $2::uuid`,
    },
    prune: {
      // Oldest first through the expires_at index; rows locked by a running claim are skipped, and
      // a row under a live lease is never expired (expires_at >= lease_until), checked again here.
      name: name('prune'),
      text: `WITH doomed AS (
  SELECT key FROM ${table}
  WHERE expires_at <= pg_catalog.statement_timestamp()
    AND (lease_until IS NULL OR lease_until <= pg_catalog.statement_timestamp())
  ORDER BY expires_at
  LIMIT $1::integer
  FOR UPDATE SKIP LOCKED
)
DELETE FROM ${table} AS t USING doomed WHERE t.key = doomed.key`,
    },
  };
}
