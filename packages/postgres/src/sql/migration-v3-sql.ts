import type { TableNames } from './table-names.js';

/**
 * Schema version 3 (sql/003_hookguard_events_v3.sql for the default table), applied after
 * version 2 in the same transaction: drops the CHECK on `state` that version 1's table was made
 * with (PostgreSQL names it `<table>_state_check`).
 *
 * PostgreSQL keeps a CHECK constraint as the text of its expression, and every INSERT and UPDATE
 * of the table reads that text back into an expression tree and plans it before checking the row:
 * for this one, about 70,000 of the 400,000 instructions the server spent on a new event's claim
 * and completion (BENCHMARKS.md, B6). `state` is written only by the store's own statements and
 * claim functions, each with one of the three literal states, so the check guarded nothing they
 * can do. Nothing depends on the constraint either way: processes of any version run against a
 * table with or without it.
 *
 * @example
 * ```ts
 * const sql = migrationV3('hookguard_events', tableNames('hookguard_events', undefined), MIGRATION_LOCK);
 * ```
 */
export function migrationV3(tableName: string, names: TableNames, migrationLock: string): string {
  const { table, relation } = names;
  const constraint = `${tableName}_state_check`;
  return `-- hookguard dedup store (@hookguard/postgres), schema version 3: table ${tableName}.
-- Apply after 002, in one transaction (psql -1 -f). Idempotent and safe to run from many processes.

SELECT pg_catalog.pg_advisory_xact_lock(${migrationLock});

-- Drops version 1's CHECK on state, which PostgreSQL parsed and planned again in every INSERT and
-- UPDATE of the table. Only while it exists: ALTER TABLE takes the table's exclusive lock, behind
-- running handlers.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_constraint
             WHERE conrelid = pg_catalog.to_regclass(${relation}) AND conname = '${constraint}' AND contype = 'c') THEN
    ALTER TABLE ${table} DROP CONSTRAINT "${constraint}";
  END IF;
END
$$;
`;
}
