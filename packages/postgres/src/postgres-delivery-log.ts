import {
  WebhookError,
  WriteBuffer,
  consoleLogger,
  pageLimit,
  redactSecrets,
  storedPayload,
  type DeliveryLog,
  type DeliveryLogEntry,
  type DeliveryLogOutcome,
  type DeliveryLogPage,
  type DeliveryLogQuery,
  type DeliveryLogRecord,
  type FlushOptions,
  type StoredDeliveryLogOptions,
  type Logger,
  type OutcomeCounts,
  type Redactor,
  refuseUnknownOptions,
  type OptionNames,
  STORED_DELIVERY_LOG_OPTIONS,
} from '@hookguard/core';
import type { Pool } from 'pg';
import { MIGRATION_LOCK } from './sql/migration-sql.js';
import { tableNames } from './sql/table-names.js';

/** Options for {@link PostgresDeliveryLog}. */
export type PostgresDeliveryLogOptions = StoredDeliveryLogOptions & {
  /** Your pg Pool (the log never ends it). */
  pool: Pool;
  /**
   * The table, created by `migrate()` or by the DDL of {@link deliveryLogMigrationSql}.
   * @default 'hookguard_deliveries'
   */
  table?: string;
  /** The schema of the table; without one, the first on the `search_path`. */
  schema?: string;
  /**
   * How long records are kept; `prune()` (and the background pruning) deletes older ones.
   * @default 604_800_000 (7 days)
   */
  retentionMs?: number;
  /**
   * Most records kept: the oldest beyond it are deleted after each hundredth of it written.
   * @default 100_000
   */
  maxRows?: number;
  /**
   * How often `prune()` runs in the background, in milliseconds (an `unref`'d timer); 0 for never.
   * @default 600_000
   */
  pruneIntervalMs?: number;
};

const COLUMNS = `seq::text AS seq, (extract(epoch FROM at) * 1000)::float8 AS at, namespace, source, event_id, type, key, outcome,
  status, attempt, duration_ms, error_code, error_message, duplicate, payload`;

type Row = {
  seq: string;
  at: number;
  namespace: string;
  source: 'receive' | 'worker';
  event_id: string | null;
  type: string | null;
  key: string | null;
  outcome: DeliveryLogOutcome;
  status: number | null;
  attempt: number | null;
  duration_ms: number;
  error_code: string | null;
  error_message: string | null;
  duplicate: boolean;
  payload: unknown;
};

/**
 * The DDL of the delivery log's table and its indexes, for teams that apply migrations with their
 * own tool (`PostgresDeliveryLog.migrate()` runs the same). Idempotent.
 *
 * @example
 * ```ts
 * import { deliveryLogMigrationSql } from '@hookguard/postgres';
 * console.log(deliveryLogMigrationSql({ schema: 'webhooks' }));
 * ```
 */
export function deliveryLogMigrationSql(options: { table?: string; schema?: string } = {}): string {
  const names = tableNames(options.table ?? 'hookguard_deliveries', options.schema);
  const bare = options.table ?? 'hookguard_deliveries';
  return `${names.schema === undefined ? '' : `CREATE SCHEMA IF NOT EXISTS ${names.schema};\n`}CREATE TABLE IF NOT EXISTS ${names.table} (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at timestamptz NOT NULL,
  namespace text NOT NULL,
  source text NOT NULL,
  event_id text,
  type text,
  key text,
  outcome text NOT NULL,
  status integer,
  attempt integer,
  duration_ms double precision NOT NULL,
  error_code text,
  error_message text,
  duplicate boolean NOT NULL,
  payload jsonb
);
CREATE INDEX IF NOT EXISTS "${bare}_at_idx" ON ${names.table} (at);
CREATE INDEX IF NOT EXISTS "${bare}_event_idx" ON ${names.table} (event_id);
`;
}

const POSTGRES_DELIVERY_LOG_OPTIONS: OptionNames<PostgresDeliveryLogOptions> = {
  ...STORED_DELIVERY_LOG_OPTIONS,
  pool: true,
  table: true,
  schema: true,
  retentionMs: true,
  maxRows: true,
  pruneIntervalMs: true,
};

/**
 * A delivery log in a PostgreSQL table: written in the background, one multi-row `INSERT` per
 * batch, kept to `maxRows` and to `retentionMs` (`prune()`). Shared by every process on the database.
 *
 * @example
 * ```ts
 * import { PostgresDeliveryLog, PostgresStore } from '@hookguard/postgres';
 * import pg from 'pg';
 *
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * const deliveryLog = new PostgresDeliveryLog({ pool });
 * await deliveryLog.migrate();
 * // createReceiver({ …, store: new PostgresStore({ pool }), deliveryLog })
 * ```
 */
export class PostgresDeliveryLog implements DeliveryLog {
  readonly name = 'postgres';
  readonly payloads: boolean;
  readonly #pool: Pool;
  readonly #table: string;
  readonly #ddl: string;
  readonly #retentionMs: number;
  readonly #maxRows: number;
  readonly #redact: Redactor;
  readonly #maxPayloadBytes: number;
  readonly #buffer: WriteBuffer<DeliveryLogEntry>;
  #timer: ReturnType<typeof setInterval> | undefined;
  /** The newest seq when the table was last trimmed to maxRows. */
  #trimmedAt = 0;

  constructor(options: PostgresDeliveryLogOptions) {
    refuseUnknownOptions('new PostgresDeliveryLog()', options, POSTGRES_DELIVERY_LOG_OPTIONS);
    if (typeof options?.pool?.query !== 'function') {
      throw new WebhookError('ERR_HOOKGUARD_INVALID_OPTIONS', 'PostgresDeliveryLog needs `pool`, a pg Pool: new PostgresDeliveryLog({ pool }).');
    }
    for (const [name, value] of [['retentionMs', options.retentionMs], ['maxRows', options.maxRows], ['pruneIntervalMs', options.pruneIntervalMs]] as const) {
      if (value !== undefined && (!Number.isInteger(value) || value < (name === 'pruneIntervalMs' ? 0 : 1))) {
        throw new WebhookError('ERR_HOOKGUARD_INVALID_OPTIONS', `PostgresDeliveryLog: ${name} must be a ${name === 'pruneIntervalMs' ? 'non-negative' : 'positive'} integer; received ${String(value)}.`);
      }
    }
    this.#pool = options.pool;
    this.#table = tableNames(options.table ?? 'hookguard_deliveries', options.schema).table;
    this.#ddl = deliveryLogMigrationSql({ ...(options.table === undefined ? {} : { table: options.table }), ...(options.schema === undefined ? {} : { schema: options.schema }) });
    this.#retentionMs = options.retentionMs ?? 7 * 24 * 3_600_000;
    this.#maxRows = options.maxRows ?? 100_000;
    this.payloads = options.payloads === true;
    this.#redact = options.redact ?? redactSecrets;
    this.#maxPayloadBytes = options.maxPayloadBytes ?? 16_384;
    const logger = options.logger ?? consoleLogger;
    this.#buffer = new WriteBuffer({ name: 'PostgresDeliveryLog', maxPending: options.maxPending ?? 1_000, delayMs: options.batchDelayMs ?? 50, logger, write: (batch) => this.#write(batch) });
    const every = options.pruneIntervalMs ?? 600_000;
    if (every > 0) {
      this.#timer = setInterval(() => void this.prune().catch(() => undefined), every);
      this.#timer.unref();
    }
  }

  /** Creates the table and its indexes when missing. Idempotent; safe from many processes at once. */
  async migrate(): Promise<void> {
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      // The same lock as the store's migrations ('hookguar'): DDL never runs twice at once.
      await client.query(`SELECT pg_catalog.pg_advisory_xact_lock(${MIGRATION_LOCK})`);
      await client.query(this.#ddl);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** Deletes records older than `retentionMs`; resolves with how many. */
  async prune(): Promise<number> {
    const result = await this.#pool.query(`DELETE FROM ${this.#table} WHERE at < now() - $1 * interval '1 millisecond'`, [this.#retentionMs]);
    return result.rowCount ?? 0;
  }

  /** Stops the background pruning (the pool stays yours). */
  close(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
  }

  record(entry: DeliveryLogEntry): void {
    this.#buffer.push(entry);
  }

  flush(options?: FlushOptions): Promise<void> {
    return this.#buffer.flush(options);
  }

  async #write(batch: DeliveryLogEntry[]): Promise<void> {
    const columns: unknown[][] = Array.from({ length: 14 }, () => []);
    for (const entry of batch) {
      const values = [
        entry.at, entry.namespace, entry.source, entry.id, entry.type, entry.key, entry.outcome, entry.status, entry.attempt,
        entry.durationMs, entry.errorCode, entry.errorMessage, entry.duplicate, this.#payload(entry),
      ];
      values.forEach((value, index) => columns[index]!.push(value));
    }
    const { rows } = await this.#pool.query<{ last: string }>(
      `WITH inserted AS (
         INSERT INTO ${this.#table} (at, namespace, source, event_id, type, key, outcome, status, attempt, duration_ms, error_code, error_message, duplicate, payload)
         SELECT to_timestamp(a / 1000.0), b, c, d, e, f, g, h, i, j, k, l, m, n::jsonb
         FROM unnest($1::float8[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[], $9::int[], $10::float8[], $11::text[], $12::text[], $13::bool[], $14::text[])
           AS t(a, b, c, d, e, f, g, h, i, j, k, l, m, n)
         RETURNING seq)
       SELECT max(seq)::text AS last FROM inserted`,
      columns,
    );
    const last = Number(rows[0]?.last ?? 0);
    // Trimmed every hundredth of maxRows, not every batch: one DELETE per many inserts.
    if (last - this.#trimmedAt < Math.max(1, Math.floor(this.#maxRows / 100))) return;
    this.#trimmedAt = last;
    await this.#pool.query(`DELETE FROM ${this.#table} WHERE seq <= $1::bigint`, [last - this.#maxRows]);
  }

  #payload(entry: DeliveryLogEntry): string | null {
    if (!this.payloads || entry.payload === undefined) return null;
    return storedPayload(entry.payload, this.#redact, this.#maxPayloadBytes).json;
  }

  async list(query: DeliveryLogQuery = {}): Promise<DeliveryLogPage> {
    const limit = pageLimit(query);
    const type = query.type === undefined || query.type === '' ? null : query.type;
    const before = query.before !== undefined && /^\d{1,18}$/.test(query.before) ? query.before : null;
    const { rows } = await this.#pool.query<Row>(
      `SELECT ${COLUMNS} FROM ${this.#table}
       WHERE ($1::text IS NULL OR outcome = $1) AND ($2::text IS NULL OR namespace = $2)
         AND ($3::text IS NULL OR event_id = $3 OR key = $3)
         AND ($4::text IS NULL OR type = $4 OR ($5 AND starts_with(type, $6)))
         AND ($7::bigint IS NULL OR seq < $7)
       ORDER BY ${this.#table}.seq DESC LIMIT $8`,
      [query.outcome ?? null, query.namespace ?? null, query.id === undefined || query.id === '' ? null : query.id, type, type?.endsWith('.*') ?? false, type?.slice(0, -1) ?? '', before, limit],
    );
    const records = rows.map(toRecord);
    return { records, next: records.length === limit ? records.at(-1)?.seq : undefined };
  }

  async get(seq: string): Promise<DeliveryLogRecord | undefined> {
    if (!/^\d{1,18}$/.test(seq)) return undefined;
    const { rows } = await this.#pool.query<Row>(`SELECT ${COLUMNS} FROM ${this.#table} WHERE seq = $1`, [seq]);
    return rows[0] === undefined ? undefined : toRecord(rows[0]);
  }

  async counts(since: number, options: { namespace?: string } = {}): Promise<OutcomeCounts> {
    const { rows } = await this.#pool.query<{ outcome: DeliveryLogOutcome; count: number }>(
      `SELECT outcome, count(*)::int AS count FROM ${this.#table} WHERE at >= to_timestamp($1 / 1000.0) AND ($2::text IS NULL OR namespace = $2) GROUP BY outcome`,
      [since, options.namespace ?? null],
    );
    const counts: OutcomeCounts = {};
    for (const row of rows) counts[row.outcome] = row.count;
    return counts;
  }
}

function toRecord(row: Row): DeliveryLogRecord {
  return {
    seq: row.seq,
    at: row.at,
    namespace: row.namespace,
    source: row.source,
    id: row.event_id,
    type: row.type,
    key: row.key,
    outcome: row.outcome,
    status: row.status,
    attempt: row.attempt,
    durationMs: row.duration_ms,
    errorCode: row.error_code,
    errorMessage: row.error_message,
    duplicate: row.duplicate,
    ...(row.payload === null ? {} : { payload: row.payload }),
  };
}
