import { NEW_CLAIM_COLUMNS, keptForRetentionAndLease, newClaimValues } from './new-claim-row.js';
import { keyLock, textHash, type TableNames } from './table-names.js';

/**
 * A named (prepared) statement: PostgreSQL parses and plans it once per connection. `rowMode:
 * 'array'` has pg return each row as an array instead of an object keyed by column name.
 */
export type Statement = { name: string; text: string; rowMode?: 'array' };

/** What pg is handed for one run of a statement. */
export type StatementRun = {
  name: string;
  text: string;
  values: unknown[];
  rowMode: 'array' | undefined;
  /** pg's per-statement timeout in ms; `undefined`: none. */
  query_timeout: number | undefined;
};

/**
 * The config pg runs `statement` with. Every run gets an object of one shape, built whole: pg
 * copies each config property by property, and objects that grew a property after they were made
 * (a spread, then the timeout) sent V8 through its slow paths for every statement (BENCHMARKS.md, B6).
 *
 * @example
 * ```ts
 * await client.query(statementRun(statements.complete, [key, token, 60_000, null], 5_000));
 * ```
 */
export function statementRun(statement: Statement, values: unknown[], timeoutMs: number): StatementRun {
  return { name: statement.name, text: statement.text, values, rowMode: statement.rowMode, query_timeout: timeoutMs > 0 ? timeoutMs : undefined };
}

/**
 * The config pg runs an unnamed statement without parameters with (`BEGIN`, `COMMIT`, a
 * savepoint around an operation in one simple query, …).
 */
export function textRun(
  text: string,
  timeoutMs: number,
  rowMode?: 'array',
): { text: string; rowMode: 'array' | undefined; query_timeout: number | undefined } {
  return { text, rowMode, query_timeout: timeoutMs > 0 ? timeoutMs : undefined };
}

/** How a claim takes the key's advisory lock (see the claim function in migration-v2-sql.ts). */
export type LockMode = 'shared' | 'exclusive' | 'wait';

/** The statements behind each store operation, for one table. */
export type Statements = {
  /**
   * A plain claim (the key's advisory lock shared): `$1` key, `$2` lease ms, `$3` retention ms,
   * `$4` fingerprint, `$5` the token a new row gets (`crypto.randomUUID()`). A key without a row
   * is inserted by the statement itself and answered with `$5`; any other key goes through the
   * claim function, in the same statement and round trip.
   */
  plainClaim: Statement;
  /**
   * The claim function alone: `$1` key, `$2` lease ms, `$3` retention ms, `$4` fingerprint,
   * `$5` {@link LockMode}, `$6` longest lock wait in ms for `wait` (0: no limit).
   */
  claim: Statement;
  /**
   * `$1` key, `$2` token, `$3` retention ms, `$4` result as JSON text or null. Matches the row of
   * a key this token holds. The key is then kept `$3` ms from its completion, or at most one lease
   * longer when the claim already kept it that long.
   */
  complete: Statement;
  /**
   * `$1` key, `$2` token. Matches the row of a key this token completed: run when `complete`
   * matched nothing, so a repeated complete answers true and changes nothing.
   */
  completedBy: Statement;
  /**
   * `$1` key, `$2` token, `$3` uncounted, `$4` last error or null. Matches the row of a key this
   * token holds, or already released while no other token claimed it (a repeated release changes nothing).
   */
  release: Statement;
  /** `$1` key, `$2` token, `$3` lease ms. Only while the token holds the key. */
  extend: Statement;
  /** `$1` batch size. */
  prune: Statement;
};

/**
 * Builds the statements for one table. Every write is owner-checked by token in its WHERE clause
 * and timed by the server's clock (`statement_timestamp()`, which is `now()` outside a transaction
 * and stays current inside one). Completed and released rows keep the token that last held them,
 * so a repeated complete or release (a client re-sending a command whose reply was lost) answers
 * as the first did, while the state checks keep `extend` and the other writes owner-checked.
 *
 * @example
 * ```ts
 * const { claim } = statements(tableNames('hookguard_events', undefined));
 * await pool.query({ ...claim, values: [key, 60_000, 259_200_000, null, 'shared', 0] });
 * ```
 */
export function statements(names: TableNames): Statements {
  const { table, claimFunctionV2 } = names;
  const now = 'pg_catalog.statement_timestamp()';
  const at = (ms: string): string => `${now} + ${ms}::float8 * interval '1 millisecond'`;
  // The claim function's answer is one json column (claim-row.ts; json text in the plain claim),
  // read as an array: pg describes each column of a result and builds each row anew for every
  // query, which for the function's seven columns was a large part of the client's cost per
  // claim (BENCHMARKS.md, B6).
  const claimAnswer = 'pg_catalog.json_build_array(out_status, out_token, out_attempt, out_retry_after_ms, out_fingerprint_matches, out_result, out_last_error)';
  return namedByText({
    plainClaim: {
      // A new event's key has no row: taking the lock and inserting in plain SQL spares it the
      // PL/pgSQL call, a tenth of the pair's server time (BENCHMARKS.md, B6). The row is the one
      // the function inserts (new-claim-row.ts), kept one lease longer (see complete), under a
      // token the client made (SERVER_MADE_TOKEN says why). The lock is the insert's one-time
      // filter: PostgreSQL takes it once, before it makes the row, and inserts nothing when a
      // transactional claim holds it exclusively (a CTE around the lock cost 7,000 instructions
      // more). The function runs only when nothing was inserted (a row exists, or the lock was
      // refused) and decides as it always does; a lock taken twice in one transaction is simply
      // held twice. `ON CONFLICT DO NOTHING` neither locks nor writes an existing row, so
      // duplicates still touch nothing. `coalesce` runs its second subquery only when the first
      // is NULL; the server completed 1.03 times the claims and completions of new keys that it
      // did with the `UNION ALL … WHERE NOT EXISTS` this replaced (BENCHMARKS.md, B6). The answer
      // is text: a new key's token alone (its attempt is 1), or the function's answer as json
      // text. A json array built for a new key cost the server 6,600 instructions more, and the
      // client a parse.
      name: 'plain_claim',
      rowMode: 'array',
      text: `WITH inserted AS (
  INSERT INTO ${table} AS e (${NEW_CLAIM_COLUMNS})
  SELECT ${newClaimValues({ key: '$1::text', now, leaseUntil: at('$2'), expiresAt: keptForRetentionAndLease(now, '$3::float8', '$2::float8'), fingerprint: '$4::text', token: '$5::uuid' })}
  WHERE pg_catalog.pg_try_advisory_xact_lock_shared(${keyLock(names, '$1::text')})
  ON CONFLICT (key) DO NOTHING
  RETURNING e.token
)
SELECT coalesce(
  (SELECT token::text FROM inserted),
  (SELECT ${claimAnswer}::text FROM ${claimFunctionV2}($1::text, $2::float8, $3::float8, $4::text, 'shared', 0))
)`,
    },
    claim: {
      name: 'claim_json',
      rowMode: 'array',
      text: `SELECT ${claimAnswer}
FROM ${claimFunctionV2}($1::text, $2::float8, $3::float8, $4::text, $5::text, $6::float8)`,
    },
    complete: {
      // In SET, every column is the row's before this statement. A key completed within its lease
      // already has its retention, at most one lease more (the plain claim kept it for the
      // retention plus the lease), so expires_at stays: with no indexed column changed, PostgreSQL
      // updates the row in place (HOT). A retention other than the claim's moves it. Only a held
      // row matches: a repeat is answered by completedBy, as CASEs keeping a completed row as it
      // was cost every completion 7,000 server instructions (BENCHMARKS.md, B6).
      name: 'complete',
      text: `UPDATE ${table} SET state = 'completed', lease_until = NULL,
  expires_at = CASE WHEN expires_at < ${at('$3')} OR expires_at > ${at('$3')} + (lease_until - claimed_at)
                    THEN ${at('$3')} ELSE expires_at END,
  completed_at = pg_catalog.statement_timestamp(),
  result = $4::jsonb
WHERE key = $1::text AND token = $2::uuid AND state = 'processing'`,
    },
    completedBy: {
      name: 'completed_by',
      text: `SELECT FROM ${table} WHERE key = $1::text AND token = $2::uuid AND state = 'completed'`,
    },
    release: {
      // The attempt count stays, so the next claim reports attempt + 1; an uncounted release (the
      // attempt did not really happen: the store failed) takes its attempt back. The last error
      // stays until a release brings a new one.
      name: 'release',
      text: `UPDATE ${table} SET state = 'released', lease_until = NULL,
  attempt = CASE WHEN state = 'processing' AND $3::boolean THEN attempt - 1 ELSE attempt END,
  last_error = CASE WHEN state = 'processing' THEN coalesce($4::text, last_error) ELSE last_error END
WHERE key = $1::text AND token = $2::uuid AND state IN ('processing', 'released')`,
    },
    extend: {
      name: 'extend',
      text: `UPDATE ${table} SET lease_until = ${at('$3')}, expires_at = greatest(expires_at, ${at('$3')})
WHERE key = $1::text AND token = $2::uuid AND state = 'processing'`,
    },
    prune: {
      // Oldest first through the expires_at index; rows locked by a running claim are skipped, and
      // a row under a live lease is never expired (expires_at >= lease_until), checked again here.
      name: 'prune',
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
  });
}

/**
 * Gives each statement its name on the connection: `hookguard_<operation>_<hash of its text>`.
 * pg prepares a name once per connection and refuses the same name with another text, so a name
 * made from the text never meets another store's statement on a shared pool, another table's, or
 * another version's of the same operation (two versions of the package in one process, a pool
 * handed from one to the other).
 */
function namedByText(statements: Statements): Statements {
  const named = {} as Record<keyof Statements, Statement>;
  for (const [operation, statement] of Object.entries(statements) as [keyof Statements, Statement][]) {
    named[operation] = { ...statement, name: `hookguard_${statement.name}_${textHash(statement.text)}` };
  }
  return named;
}
