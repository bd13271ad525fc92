import {
  WebhookError,
  consoleLogger,
  type ClaimOptions,
  type ClaimResult,
  type CompleteOptions,
  type Logger,
  type TransactionalDedupStore,
} from '@hookguard/core';
import type { Pool, QueryConfig, QueryResult, QueryResultRow } from 'pg';
import { toClaimResult, type ClaimRow } from './claim-row.js';
import { migrationSql } from './sql/migration-sql.js';
import { statements, type Statement, type Statements } from './sql/statements.js';
import { tableNames } from './sql/table-names.js';
import { storeError } from './store-error.js';
import { claimInTransaction, type TransactionScope } from './transactional-claim.js';

/** Options for {@link PostgresStore}. */
export type PostgresStoreOptions = {
  /** Your `pg` Pool. The store borrows a client per operation and never ends the pool. */
  pool: Pool;
  /**
   * The table holding one row per dedup key. A plain identifier (letters, digits, underscores).
   * @default 'hookguard_events'
   */
  table?: string;
  /**
   * The schema of the table and its claim function.
   * @default undefined (the first schema on the connection's search_path)
   */
  schema?: string;
  /**
   * Runs {@link PostgresStore.prune} this often on an `unref()`'d timer that `close()` clears.
   * Off by default: prefer one scheduled job (pg_cron, a cron container) over every process.
   * @default 0 (off)
   */
  pruneIntervalMs?: number;
  /**
   * Longest wait for the answer to one statement; past it the operation rejects with
   * `ERR_HOOKGUARD_STORE_UNAVAILABLE` and the client is destroyed, not reused. Also catches a
   * silently dropped connection, which no server-side timeout can. `0` waits forever.
   * @default 5_000
   */
  statementTimeoutMs?: number;
  /**
   * Where failures of the background prune go.
   * @default consoleLogger
   */
  logger?: Logger;
};

/** Options for {@link PostgresStore.prune}. */
export type PruneOptions = {
  /**
   * Rows deleted per statement; each batch is its own short transaction.
   * @default 1_000
   */
  batchSize?: number;
};

type ResolvedOptions = {
  pool: Pool;
  table: string;
  schema: string | undefined;
  pruneIntervalMs: number;
  statementTimeoutMs: number;
  logger: Logger;
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The PostgreSQL dedup store: exact and shared by every process using the database. Each
 * operation is one owner-checked statement timed by the server's clock; `claimInTransaction`
 * commits a handler's writes and the completion record together (`{ transaction: true }`).
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import { PostgresStore } from '@hookguard/postgres';
 *
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, connectionTimeoutMillis: 5_000 });
 * const store = new PostgresStore({ pool });
 * await store.migrate();
 * const receiver = createReceiver({ verifier, store });
 * ```
 */
export class PostgresStore implements TransactionalDedupStore {
  readonly name = 'postgres';
  readonly exact = true;
  readonly shared = true;

  readonly #options: ResolvedOptions;
  readonly #statements: Statements;
  #timer: ReturnType<typeof setInterval> | undefined;
  #pruning: Promise<unknown> | undefined;

  constructor(options: PostgresStoreOptions) {
    this.#options = resolveOptions(options);
    this.#statements = statements(tableNames(this.#options.table, this.#options.schema));
    if (this.#options.pruneIntervalMs > 0) {
      this.#timer = setInterval(() => this.#pruneInBackground(), this.#options.pruneIntervalMs);
      this.#timer.unref();
    }
  }

  /**
   * Creates the table, its index and the claim function when missing. Idempotent and safe to run
   * from many processes at once (serialised by an advisory lock, in one transaction).
   */
  async migrate(): Promise<void> {
    const sql = migrationSql({
      table: this.#options.table,
      ...(this.#options.schema === undefined ? {} : { schema: this.#options.schema }),
    });
    try {
      // No parameters: sent as one simple query, which PostgreSQL runs as a single transaction.
      await this.#options.pool.query(sql);
    } catch (error) {
      throw storeError('migrate', error, 0);
    }
  }

  async claim(key: string, options: ClaimOptions): Promise<ClaimResult> {
    const { rows } = await this.#run<ClaimRow>('claim', this.#statements.plainClaim, [
      key,
      options.leaseMs,
      options.retentionMs,
      options.fingerprint ?? null,
    ]);
    return toClaimResult(rows[0]);
  }

  async complete(key: string, token: string, options: CompleteOptions): Promise<boolean> {
    if (!UUID.test(token)) return false;
    // Serialised now: JSON `null` is stored as jsonb 'null', no result as SQL NULL.
    const result = options.result === undefined ? null : (JSON.stringify(options.result) ?? null);
    const { rowCount } = await this.#run('complete', this.#statements.complete, [key, token, options.retentionMs, result]);
    return rowCount === 1;
  }

  async release(key: string, token: string): Promise<boolean> {
    if (!UUID.test(token)) return false;
    const { rowCount } = await this.#run('release', this.#statements.release, [key, token]);
    return rowCount === 1;
  }

  async extend(key: string, token: string, leaseMs: number): Promise<boolean> {
    if (!UUID.test(token)) return false;
    const { rowCount } = await this.#run('extend', this.#statements.extend, [key, token, leaseMs]);
    return rowCount === 1;
  }

  /**
   * Claims `key` and, when granted, runs `work` in one transaction with the completion record, on
   * one pool client for the whole run: the handler's writes through `scope.db` and the
   * completion commit together or not at all. A concurrent delivery of the key answers
   * `processing` at once; a dropped connection rolls everything back so the retry runs again.
   */
  claimInTransaction(
    key: string,
    options: ClaimOptions,
    work: (scope: TransactionScope) => Promise<void>,
  ): Promise<ClaimResult> {
    const { pool, statementTimeoutMs } = this.#options;
    return claimInTransaction({ pool, statements: this.#statements, statementTimeoutMs }, key, options, work);
  }

  /**
   * Deletes expired records, oldest first, `batchSize` rows per statement until none are left,
   * and resolves with how many were deleted. Never deletes a record under a live lease.
   */
  async prune(options: PruneOptions = {}): Promise<number> {
    const batchSize = options.batchSize ?? 1_000;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new WebhookError(
        'ERR_HOOKGUARD_INVALID_OPTIONS',
        `prune({ batchSize }) must be a positive integer; received ${String(batchSize)}.`,
      );
    }
    let deleted = 0;
    for (;;) {
      const { rowCount } = await this.#run('prune', this.#statements.prune, [batchSize]);
      deleted += rowCount ?? 0;
      if ((rowCount ?? 0) < batchSize) return deleted;
    }
  }

  /** Stops the prune timer and waits for a running prune. Never ends the pool. */
  async close(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#pruning;
  }

  #pruneInBackground(): void {
    if (this.#pruning !== undefined) return;
    this.#pruning = this.prune()
      .catch((error: unknown) => {
        this.#options.logger.warn(
          { code: 'ERR_HOOKGUARD_STORE_UNAVAILABLE', store: this.name, error: String(error) },
          'pruning expired dedup records failed; the next interval tries again',
        );
      })
      .finally(() => {
        this.#pruning = undefined;
      });
  }

  async #run<Row extends QueryResultRow = QueryResultRow>(
    operation: string,
    statement: Statement,
    values: unknown[],
  ): Promise<QueryResult<Row>> {
    const config: QueryConfig & { query_timeout?: number } = { ...statement, values };
    if (this.#options.statementTimeoutMs > 0) config.query_timeout = this.#options.statementTimeoutMs;
    try {
      // pool.query releases its client with the error on failure, so a broken connection is
      // destroyed rather than handed to the next caller.
      return await this.#options.pool.query<Row>(config);
    } catch (error) {
      throw storeError(operation, error, this.#options.statementTimeoutMs);
    }
  }
}

function resolveOptions(options: PostgresStoreOptions): ResolvedOptions {
  const pool = (options as Partial<PostgresStoreOptions> | undefined)?.pool;
  if (typeof pool?.query !== 'function' || typeof pool.connect !== 'function') {
    throw new WebhookError(
      'ERR_HOOKGUARD_INVALID_OPTIONS',
      'PostgresStore needs `pool`, a pg Pool: new PostgresStore({ pool: new pg.Pool({ connectionString }) }).',
    );
  }
  return {
    pool,
    table: options.table ?? 'hookguard_events',
    schema: options.schema,
    pruneIntervalMs: milliseconds('pruneIntervalMs', options.pruneIntervalMs ?? 0),
    statementTimeoutMs: milliseconds('statementTimeoutMs', options.statementTimeoutMs ?? 5_000),
    logger: options.logger ?? consoleLogger,
  };
}

function milliseconds(option: string, value: number): number {
  if (Number.isFinite(value) && value >= 0 && value <= 2_147_483_647) return value;
  throw new WebhookError(
    'ERR_HOOKGUARD_INVALID_OPTIONS',
    `PostgresStore option '${option}' must be a number of milliseconds between 0 and 2147483647; received ${String(value)}.`,
  );
}
