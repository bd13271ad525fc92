-- hookguard dedup store (@hookguard/postgres), schema version 3: table hookguard_events.
-- Apply after 002, in one transaction (psql -1 -f). Idempotent and safe to run from many processes.

SELECT pg_catalog.pg_advisory_xact_lock(7524942234513768818);

-- Drops version 1's CHECK on state, which PostgreSQL parsed and planned again in every INSERT and
-- UPDATE of the table. Only while it exists: ALTER TABLE takes the table's exclusive lock, behind
-- running handlers.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_constraint
             WHERE conrelid = pg_catalog.to_regclass('"hookguard_events"') AND conname = 'hookguard_events_state_check' AND contype = 'c') THEN
    ALTER TABLE "hookguard_events" DROP CONSTRAINT "hookguard_events_state_check";
  END IF;
END
$$;
