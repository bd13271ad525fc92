import type { JobState, QueuedEvent, StoredJob } from '@hookguard/core';

/**
 * The statements the queue runs on pg-boss's job table beside pg-boss's own API (send, fetch,
 * maintenance). pg-boss 10 fails and completes by job id alone and counts retries in whole seconds;
 * these check that the run still holds the job (its `started_on`, renewed by the heartbeat) and
 * schedule retries to the millisecond, so one run's late answer never settles another run's job.
 */
export type JobStatements = ReturnType<typeof jobStatements>;

// A run holds the job while started_on is the value its fetch or last heartbeat returned. pg returns
// timestamps to the millisecond and stores microseconds, hence the window.
const HELD = `state = 'active' AND started_on > $3::timestamptz - interval '1 millisecond' AND started_on < $3::timestamptz + interval '1 millisecond'`;
/** {@link HELD} for each row of `unnest(ids, tokens) AS run(id, token)`. */
const RUN_HOLDS = `job.name = $1 AND job.id = run.id AND job.state = 'active'
        AND job.started_on > run.token - interval '1 millisecond' AND job.started_on < run.token + interval '1 millisecond'`;

const JOB_COLUMNS = `id, data, state::text AS state, retry_count, started_on IS NOT NULL AS started, start_after > now() AS later, output,
  COALESCE(completed_on, started_on, created_on) AS updated_on`;

/** The statements for one pg-boss schema (already validated as an identifier). */
export function jobStatements(schema: string) {
  const table = `"${schema}".job`;
  return {
    /**
     * Renews the locks of every running job of a worker at once. $2, $3: the ids and their runs'
     * tokens; returns the ids still held, each with its new token.
     */
    heartbeat: `UPDATE ${table} AS job SET started_on = now()
      FROM unnest($2::uuid[], $3::timestamptz[]) AS run(id, token)
      WHERE ${RUN_HOLDS} RETURNING job.id, job.started_on`,
    /**
     * Keeps the last failure's output: a job that succeeded on a retry still tells why it retried.
     * $2, $3: the ids and their runs' tokens, one statement for every run that finished in one
     * tick; returns the ids completed (a run that no longer held its job completes nothing).
     */
    complete: `UPDATE ${table} AS job SET state = 'completed', completed_on = now()
      FROM unnest($2::uuid[], $3::timestamptz[]) AS run(id, token)
      WHERE ${RUN_HOLDS} RETURNING job.id`,
    /** $4: dead (true) or retried; $5: the retry delay in ms; $6: the output (the error). */
    fail: `UPDATE ${table} SET
        state = CASE WHEN $4::boolean THEN 'failed' ELSE 'retry' END::"${schema}".job_state,
        start_after = CASE WHEN $4::boolean THEN start_after ELSE now() + $5::double precision * interval '1 millisecond' END,
        completed_on = CASE WHEN $4::boolean THEN now() END,
        output = $6::jsonb
      WHERE name = $1 AND id = $2 AND ${HELD}`,
    find: `SELECT ${JOB_COLUMNS} FROM ${table} WHERE name = $1 AND id = $2`,
    dead: `SELECT ${JOB_COLUMNS} FROM ${table} WHERE name = $1 AND state = 'failed' ORDER BY completed_on DESC, id LIMIT $2`,
    replay: `UPDATE ${table} SET state = 'created', retry_count = 0, started_on = NULL, start_after = now(), completed_on = NULL, output = NULL
      WHERE name = $1 AND id = $2 AND state IN ('completed', 'failed', 'cancelled') RETURNING id`,
  };
}

/**
 * A job's data: the event as JSON text inside the `jsonb` column, so it comes back exactly as it was
 * written. As `jsonb` itself, key order would be lost and a payload string holding `\u0000` (valid
 * JSON, refused by PostgreSQL's `jsonb`) could never be enqueued.
 */
export type JobData = { event: string };

/** The data pg-boss keeps for `event`. */
export function toJobData(event: QueuedEvent): JobData {
  return { event: JSON.stringify(event) };
}

/** The event a job's data holds. */
export function fromJobData(data: JobData): QueuedEvent {
  return JSON.parse(data.event) as QueuedEvent;
}

/** A row of `find` or `dead`. */
export type JobRow = {
  id: string;
  data: JobData;
  state: string;
  retry_count: number;
  started: boolean;
  later: boolean;
  output: unknown;
  updated_on: Date | null;
};

/**
 * The output a failed run leaves, in the shape pg-boss's own failures use (`{ value: { message } }`).
 * `handedBack` marks a run that a closing worker gave up, which is neither a failure nor a loss.
 */
export function errorOutput(message: string, handedBack = false): string {
  return JSON.stringify(handedBack ? { value: { message }, handedBack } : { value: { message } });
}

/** Whether a job's output says its last run was handed back by a closing worker. */
export function wasHandedBack(output: unknown): boolean {
  return typeof output === 'object' && output !== null && (output as { handedBack?: unknown }).handedBack === true;
}

/** A job row as the contract's `StoredJob`. */
export function storedJob(row: JobRow): StoredJob {
  return {
    event: fromJobData(row.data),
    state: jobState(row),
    // pg-boss counts retry_count up when it fetches a job that ran before.
    attempts: row.started ? row.retry_count + 1 : 0,
    lastError: lastError(row.output),
    updatedAt: row.updated_on?.getTime(),
  };
}

function jobState(row: JobRow): JobState {
  switch (row.state) {
    case 'active':
      return 'active';
    case 'completed':
      return 'completed';
    case 'failed':
    case 'cancelled':
      return 'dead';
    default:
      return row.later ? 'delayed' : 'waiting';
  }
}

function lastError(output: unknown): string | undefined {
  if (typeof output !== 'object' || output === null) return undefined;
  const value = (output as { value?: unknown }).value ?? output;
  if (typeof value === 'string') return value;
  const message = (value as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : JSON.stringify(value);
}
