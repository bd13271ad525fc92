import { NEW_CLAIM_COLUMNS, SERVER_MADE_TOKEN, claimable, keptForRetentionOrLease, newClaimValues } from './new-claim-row.js';
import { keyLock, type TableNames } from './table-names.js';

/** The columns the store reads and writes, with their types as `format_type` spells them. */
const COLUMNS: ReadonlyArray<readonly [name: string, type: string]> = [
  ['key', 'text'],
  ['expires_at', 'timestamp with time zone'],
  ['lease_until', 'timestamp with time zone'],
  ['first_seen_at', 'timestamp with time zone'],
  ['claimed_at', 'timestamp with time zone'],
  ['completed_at', 'timestamp with time zone'],
  ['attempt', 'integer'],
  ['token', 'uuid'],
  ['state', 'text'],
  ['fingerprint', 'text'],
  ['result', 'jsonb'],
  // Added by this migration: may still be missing when the check runs.
  ['last_error', 'text'],
];

/**
 * A DO block that fails (SQLSTATE 42P16, message starting `hookguard:`) when a table of the
 * store's name exists but is not shaped as the store needs, saying what differs: without it,
 * `CREATE TABLE IF NOT EXISTS` accepts any table of that name, and the store fails later, on
 * every delivery (issue 15, item 10). Does nothing when the table does not exist.
 *
 * @example
 * ```ts
 * await client.query(tableShapeCheck(tableNames('hookguard_events', undefined)));
 * ```
 */
export function tableShapeCheck(names: TableNames): string {
  const expected = COLUMNS.map(([name, type]) => `'${name}:${type}'`).join(', ');
  return `-- Refuses an existing table of this name whose shape is not the store's, saying what differs.
DO $check$
DECLARE
  v_relation pg_catalog.regclass := pg_catalog.to_regclass(${names.relation});
  v_expected text[] := ARRAY[${expected}];
  v_problems text[] := '{}';
  v_item text;
  v_column text;
  v_type text;
BEGIN
  IF v_relation IS NULL THEN
    RETURN;
  END IF;
  FOREACH v_item IN ARRAY v_expected LOOP
    v_column := pg_catalog.split_part(v_item, ':', 1);
    SELECT pg_catalog.format_type(a.atttypid, a.atttypmod) INTO v_type
    FROM pg_catalog.pg_attribute AS a
    WHERE a.attrelid = v_relation AND a.attname = v_column AND a.attnum > 0 AND NOT a.attisdropped;
    IF NOT FOUND THEN
      IF v_column <> 'last_error' THEN
        v_problems := v_problems || pg_catalog.format('column %s is missing', v_column);
      END IF;
    ELSIF v_type <> pg_catalog.split_part(v_item, ':', 2) THEN
      v_problems := v_problems || pg_catalog.format('column %s is %s, not %s', v_column, v_type, pg_catalog.split_part(v_item, ':', 2));
    END IF;
  END LOOP;
  FOR v_column IN
    SELECT a.attname FROM pg_catalog.pg_attribute AS a
    WHERE a.attrelid = v_relation AND a.attnum > 0 AND NOT a.attisdropped AND a.attnotnull AND NOT a.atthasdef
      AND a.attname::text NOT IN (SELECT pg_catalog.split_part(e, ':', 1) FROM pg_catalog.unnest(v_expected) AS e)
  LOOP
    v_problems := v_problems || pg_catalog.format('column %s is NOT NULL without a default, so a claim cannot insert a row', v_column);
  END LOOP;
  IF NOT EXISTS (
    SELECT 1 FROM pg_catalog.pg_index AS i
    JOIN pg_catalog.pg_attribute AS a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
    WHERE i.indrelid = v_relation AND i.indisunique AND i.indnkeyatts = 1 AND i.indpred IS NULL
      AND i.indexprs IS NULL AND a.attname = 'key'
  ) THEN
    v_problems := v_problems || 'column key has no primary key or unique index of its own'::text;
  END IF;
  IF pg_catalog.cardinality(v_problems) > 0 THEN
    RAISE EXCEPTION USING
      ERRCODE = '42P16',
      MESSAGE = pg_catalog.format('hookguard: the existing table %s is not a hookguard dedup table: %s',
                                  v_relation, pg_catalog.array_to_string(v_problems, '; ')),
      HINT = 'Give the store another table name (the table option), or rename or fix the existing table.';
  END IF;
END
$check$;
`;
}

/**
 * Schema version 2 (sql/002_hookguard_events_v2.sql for the default table), applied after
 * version 1 in the same transaction:
 * - the shape check above;
 * - `last_error`, the error the latest failed attempt released the key with
 *   (`release(key, token, { lastError })`), returned by later claims;
 * - `<table>_claim_v2`: the claim function seeded by the table's oid (not the spelling of its
 *   name), returning `out_last_error`, with a third lock mode, `wait`, for claims made inside a
 *   handler's transaction. Version 1's function stays for processes still running the old version.
 *
 * @example
 * ```ts
 * const sql = migrationV2('hookguard_events', tableNames('hookguard_events', undefined), MIGRATION_LOCK);
 * ```
 */
export function migrationV2(tableName: string, names: TableNames, migrationLock: string): string {
  const { table, claimFunctionV2, relation } = names;
  return `-- hookguard dedup store (@hookguard/postgres), schema version 2: table ${tableName}.
-- Apply after 001, in one transaction (psql -1 -f). Idempotent and safe to run from many processes.

SELECT pg_catalog.pg_advisory_xact_lock(${migrationLock});

${tableShapeCheck(names)}
-- Only when missing: ALTER TABLE would take an exclusive lock on every run, behind running handlers.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute
                 WHERE attrelid = pg_catalog.to_regclass(${relation}) AND attname = 'last_error' AND NOT attisdropped) THEN
    -- What the latest failed attempt released the key with (release(…, { lastError })), capped.
    ALTER TABLE ${table} ADD COLUMN last_error text;
  END IF;
END
$$;

-- claim(), version 2. As version 1, plus: the key's advisory lock is seeded by the table's oid, so
-- every spelling of the table's name takes the same lock; the answer carries last_error; and
-- p_lock chooses the lock: 'shared' (plain claims), 'exclusive' (a delivery's transaction: answer
-- 'processing' at once when it is held) or 'wait' (a once key inside a handler's transaction: wait
-- for the holder's transaction to end, at most p_wait_ms, 0 without limit; PostgreSQL's deadlock
-- detection breaks a cycle of such waits).
CREATE OR REPLACE FUNCTION ${claimFunctionV2}(
  p_key text,
  p_lease_ms double precision,
  p_retention_ms double precision,
  p_fingerprint text,
  p_lock text,
  p_wait_ms double precision
)
RETURNS TABLE (
  out_status text,
  out_token uuid,
  out_attempt integer,
  out_retry_after_ms integer,
  out_fingerprint_matches boolean,
  out_result text,
  out_last_error text
)
LANGUAGE plpgsql
VOLATILE
AS $function$
DECLARE
  v_now timestamptz := pg_catalog.statement_timestamp();
  v_lease_until timestamptz := v_now + p_lease_ms * interval '1 millisecond';
  v_lock bigint := ${keyLock(names, 'p_key')};
  v_lock_timeout text;
  v_row ${table}%ROWTYPE;
  v_rounds integer := 0;
BEGIN
  IF p_lock = 'wait' THEN
    v_lock_timeout := pg_catalog.current_setting('lock_timeout');
    PERFORM pg_catalog.set_config('lock_timeout', pg_catalog.ceil(p_wait_ms)::bigint || 'ms', true);
    PERFORM pg_catalog.pg_advisory_xact_lock(v_lock);
    PERFORM pg_catalog.set_config('lock_timeout', v_lock_timeout, true);
  ELSIF NOT (CASE WHEN p_lock = 'exclusive' THEN pg_catalog.pg_try_advisory_xact_lock(v_lock)
                  ELSE pg_catalog.pg_try_advisory_xact_lock_shared(v_lock) END) THEN
    out_status := 'processing';
    out_retry_after_ms := least(greatest(ceil(p_lease_ms), 1), 2147483647)::integer;
    RETURN NEXT;
    RETURN;
  END IF;

  LOOP
    SELECT * INTO v_row FROM ${table} AS e WHERE e.key = p_key;
    IF FOUND AND NOT (${claimable('v_row')}) THEN
      IF v_row.state = 'completed' THEN
        out_status := 'completed';
        out_fingerprint_matches := CASE WHEN v_row.fingerprint IS NULL OR p_fingerprint IS NULL THEN NULL
                                        ELSE v_row.fingerprint = p_fingerprint END;
        out_result := v_row.result::text;
      ELSE
        out_status := 'processing';
        out_retry_after_ms := least(greatest(
          ceil(extract(epoch FROM v_row.lease_until - v_now) * 1000), 1), 2147483647)::integer;
      END IF;
      RETURN NEXT;
      RETURN;
    END IF;

    INSERT INTO ${table} AS e
      (${NEW_CLAIM_COLUMNS})
    VALUES
      (${newClaimValues({ key: 'p_key', now: 'v_now', leaseUntil: 'v_lease_until', expiresAt: keptForRetentionOrLease('v_now', 'p_retention_ms', 'p_lease_ms'), fingerprint: 'p_fingerprint', token: SERVER_MADE_TOKEN })})
    ON CONFLICT (key) DO UPDATE SET
      -- An expired record starts over; otherwise the record lives at least as long as the lease.
      expires_at = CASE WHEN e.expires_at <= v_now THEN excluded.expires_at
                        ELSE greatest(e.expires_at, excluded.lease_until) END,
      lease_until = excluded.lease_until,
      first_seen_at = CASE WHEN e.expires_at <= v_now THEN v_now ELSE e.first_seen_at END,
      claimed_at = v_now,
      completed_at = NULL,
      -- attempt counts the attempts that happened; an uncounted release took its own back.
      attempt = CASE WHEN e.expires_at <= v_now THEN 1 ELSE e.attempt + 1 END,
      token = excluded.token,
      state = 'processing',
      fingerprint = excluded.fingerprint,
      result = NULL,
      last_error = CASE WHEN e.expires_at <= v_now THEN NULL ELSE e.last_error END
    WHERE ${claimable('e')}
    RETURNING e.token, e.attempt, e.last_error INTO out_token, out_attempt, out_last_error;

    IF FOUND THEN
      out_status := 'claimed';
      RETURN NEXT;
      RETURN;
    END IF;

    v_rounds := v_rounds + 1;
    IF v_rounds > 3 THEN
      RAISE EXCEPTION 'hookguard: the claim of a key did not settle after % rounds', v_rounds;
    END IF;
  END LOOP;
END
$function$;
`;
}
