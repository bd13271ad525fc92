import type { TableNames } from './table-names.js';

/** A named (prepared) statement: PostgreSQL parses and plans it once per connection. */
export type Statement = { name: string; text: string };

/** The statements behind each store operation, for one table. */
export type Statements = {
  /** `$1` key, `$2` lease ms, `$3` retention ms, `$4` fingerprint, `$5` exclusive lock. */
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
  const { table, claimFunction, statementSuffix } = names;
  const name = (operation: string): string => `hookguard_${operation}_${statementSuffix}`;
  const at = (ms: string): string => `pg_catalog.statement_timestamp() + ${ms}::float8 * interval '1 millisecond'`;
  return {
    claim: {
      name: name('claim'),
      text: `SELECT out_status, out_token, out_attempt, out_retry_after_ms, out_fingerprint_matches, out_result
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
