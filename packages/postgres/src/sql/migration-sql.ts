import { migrationV2 } from './migration-v2-sql.js';
import { migrationV3 } from './migration-v3-sql.js';
import { NEW_CLAIM_COLUMNS, SERVER_MADE_TOKEN, claimable, keptForRetentionOrLease, newClaimValues } from './new-claim-row.js';
import { tableNames, type TableNames } from './table-names.js';

/** Options for {@link migrationSql}. */
export type MigrationSqlOptions = {
  /**
   * The table to create.
   * @default 'hookguard_events'
   */
  table?: string;
  /**
   * The schema to create it in (created when missing). Without one, the first schema on the
   * `search_path` is used.
   * @default undefined
   */
  schema?: string;
};

// 'hookguar' in ASCII: one lock for every hookguard migration, whatever the table, so two
// processes never run DDL on the catalog at the same time ("tuple concurrently updated").
export const MIGRATION_LOCK = '7524942234513768818';

/** One migration file: `sql/<name>.sql` in this package is its output for the default table. */
export type Migration = { name: string; sql: string };

/**
 * The DDL that `store.migrate()` runs, for teams that apply migrations with their own tool: every
 * migration in order (`sql/001_hookguard_events.sql`, `sql/002_hookguard_events_v2.sql` and
 * `sql/003_hookguard_events_v3.sql` in this package are its parts for the default table). Run it
 * in one transaction (`psql -1 -f`, or any migration runner): each part takes an advisory lock
 * first, so many processes may run it at once, every statement is idempotent, and it fails,
 * changing nothing, on an existing table of that name whose columns differ from the store's.
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * import { migrationSql } from '@hookguard/postgres';
 *
 * writeFileSync('migrations/042_hookguard.sql', migrationSql({ schema: 'webhooks' }));
 * ```
 */
export function migrationSql(options: MigrationSqlOptions = {}): string {
  return migrations(options)
    .map((migration) => migration.sql)
    .join('\n');
}

/**
 * The migrations one by one, oldest first; a migration, once shipped, never changes.
 *
 * @example
 * ```ts
 * const [first, second, third] = migrations({ schema: 'webhooks' });
 * ```
 */
export function migrations(options: MigrationSqlOptions = {}): Migration[] {
  const table = options.table ?? 'hookguard_events';
  const names = tableNames(table, options.schema);
  return [
    { name: '001_hookguard_events', sql: renderMigration(table, names) },
    { name: '002_hookguard_events_v2', sql: migrationV2(table, names, MIGRATION_LOCK) },
    { name: '003_hookguard_events_v3', sql: migrationV3(table, names, MIGRATION_LOCK) },
  ];
}


function renderMigration(tableName: string, names: TableNames): string {
  const { table, claimFunction, expiresIndex, schema, schemaName, lockSeed } = names;
  const createSchema =
    schema === undefined || schemaName === undefined
      ? ''
      : `
-- Created only when missing, so a role without CREATE on the database can use an existing schema.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = '${schemaName}') THEN
    CREATE SCHEMA ${schema};
  END IF;
END
$$;
`;
  return `-- hookguard dedup store (@hookguard/postgres), schema version 1: table ${tableName}.
-- Idempotent and safe to run from many processes at once; run it in one transaction (psql -1 -f).
-- Needs PostgreSQL 13 or later (gen_random_uuid).

SELECT pg_catalog.pg_advisory_xact_lock(${MIGRATION_LOCK});
${createSchema}
-- One row per dedup key. A logged table on purpose: an UNLOGGED one is emptied after a crash,
-- which would forget every handled event at once.
CREATE TABLE IF NOT EXISTS ${table} (
  key text PRIMARY KEY,
  -- The row may be deleted after this (prune); never before lease_until.
  expires_at timestamptz NOT NULL,
  -- While state = 'processing': the claim is exclusive until then.
  lease_until timestamptz,
  first_seen_at timestamptz NOT NULL,
  -- Start of the latest attempt.
  claimed_at timestamptz NOT NULL,
  completed_at timestamptz,
  -- 1 for the first claim, +1 for each claim after a release or a lapsed lease.
  attempt integer NOT NULL,
  -- The current owner's token while state = 'processing'.
  token uuid,
  state text NOT NULL CHECK (state IN ('processing', 'released', 'completed')),
  -- Digest of the body of the delivery that claimed the key.
  fingerprint text,
  -- What complete() stored for later claims (once() results); SQL NULL when nothing was stored.
  result jsonb
);

CREATE INDEX IF NOT EXISTS ${expiresIndex} ON ${table} (expires_at);

-- claim(): one round trip, deciding by the atomic INSERT ... ON CONFLICT DO UPDATE ... WHERE
-- <claimable>. A key that is visibly completed or under a live lease is answered from a plain read
-- first: a duplicate then takes no row lock and writes nothing (no WAL flush). When the upsert
-- refuses the key it has locked the row, so the next read sees the very version that refused it.
CREATE OR REPLACE FUNCTION ${claimFunction}(
  p_key text,
  p_lease_ms double precision,
  p_retention_ms double precision,
  p_fingerprint text,
  p_exclusive boolean
)
RETURNS TABLE (
  out_status text,
  out_token uuid,
  out_attempt integer,
  out_retry_after_ms integer,
  out_fingerprint_matches boolean,
  out_result text
)
LANGUAGE plpgsql
VOLATILE
AS $function$
DECLARE
  v_now timestamptz := pg_catalog.statement_timestamp();
  v_lease_until timestamptz := v_now + p_lease_ms * interval '1 millisecond';
  v_lock bigint := pg_catalog.hashtextextended(p_key, ${lockSeed});
  v_row ${table}%ROWTYPE;
  v_rounds integer := 0;
BEGIN
  -- A transactional claim holds this lock exclusively until its transaction ends, and its row is
  -- invisible until then: trying the lock first answers 'processing' at once instead of waiting
  -- on that transaction's row lock. Plain claims share the lock, so they never block each other.
  IF NOT (CASE WHEN p_exclusive THEN pg_catalog.pg_try_advisory_xact_lock(v_lock)
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
      attempt = CASE WHEN e.expires_at <= v_now THEN 1 ELSE e.attempt + 1 END,
      token = excluded.token,
      state = 'processing',
      fingerprint = excluded.fingerprint,
      result = NULL
    WHERE ${claimable('e')}
    RETURNING e.token, e.attempt INTO out_token, out_attempt;

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
