import { randomUUID } from 'node:crypto';
import {
  WebhookError,
  consoleLogger,
  type ClaimOptions,
  type ClaimResult,
  type CompleteOptions,
  type Logger,
  type ReleaseOptions,
  type TransactionalDedupStore,
  refuseUnknownOptions,
  type OptionNames,
} from '@hookguard/core';
import type { Pool, QueryResult, QueryResultRow } from 'pg';
import { DedupOperations } from './dedup-operations.js';
import { checkKey } from './postgres-text.js';
import { checkout } from './pool-checkout.js';
import { migrations } from './sql/migration-sql.js';
import { tableShapeCheck } from './sql/migration-v2-sql.js';
import { statementRun, statements, type Statement, type Statements } from './sql/statements.js';
import { tableNames, type TableNames } from './sql/table-names.js';
import { isConnectionError, storeError } from './store-error.js';
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
   * Longest wait for one operation: for a free pool client and the statement's answer together.
   * Past it the operation rejects with `ERR_HOOKGUARD_STORE_UNAVAILABLE` (a client whose statement
   * went unanswered is destroyed, not reused). Bounds the wait for a client even on a pool
   * without `connectionTimeoutMillis`, and catches a silently dropped connection, which no
   * server-side timeout can. In transactional mode it bounds the wait for the transaction's
   * client and each of the store's statements in it. `0` waits forever.
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

// pg 8.21.0 added Client#getTransactionStatus, which transactional mode needs to tell whether a
// handler ended the store's transaction; the peer range starts at the version the tests run on.
const NEEDED_PG = '8.23.1';

const PRUNE_OPTIONS: OptionNames<PruneOptions> = { batchSize: true };

const POSTGRES_STORE_OPTIONS: OptionNames<PostgresStoreOptions> = {
  pool: true,
  table: true,
  schema: true,
  pruneIntervalMs: true,
  statementTimeoutMs: true,
  logger: true,
};

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
 * const receiver = createReceiver({ verifier, store, namespace: 'stripe-billing' });
 * ```
 */
export class PostgresStore implements TransactionalDedupStore {
  readonly name = 'postgres';
  readonly exact = true;
  readonly shared = true;

  /**
   * The pool the store runs on (yours: the store never ends it). A queue on the same pool
   * (`PgBossQueue`) writes its job in the store's transaction.
   */
  get pool(): Pool {
    return this.#options.pool;
  }

  /**
   * The resolved `statementTimeoutMs` (`0`: none). A queue that writes its job in the store's
   * transaction (`PgBossQueue`) bounds its statements there by it, as the store bounds its own.
   */
  get statementTimeoutMs(): number {
    return this.#options.statementTimeoutMs;
  }

  readonly #options: ResolvedOptions;
  readonly #names: TableNames;
  readonly #statements: Statements;
  readonly #operations: DedupOperations;
  #timer: ReturnType<typeof setInterval> | undefined;
  #pruning: Promise<unknown> | undefined;

  constructor(options: PostgresStoreOptions) {
    refuseUnknownOptions('new PostgresStore()', options, POSTGRES_STORE_OPTIONS);
    this.#options = resolveOptions(options);
    this.#names = tableNames(this.#options.table, this.#options.schema);
    this.#statements = statements(this.#names);
    const { plainClaim } = this.#statements;
    this.#operations = new DedupOperations((operation, statement, values) => this.#run(operation, statement, values), this.#statements, (key, claim) => ({
      statement: plainClaim,
      values: [key, claim.leaseMs, claim.retentionMs, claim.fingerprint ?? null, randomUUID()],
    }));
    if (this.#options.pruneIntervalMs > 0) {
      this.#timer = setInterval(() => this.#pruneInBackground(), this.#options.pruneIntervalMs);
      this.#timer.unref();
    }
  }

  /**
   * Brings the table, its index and the claim function to the current schema version, creating
   * what is missing (`migrationSql()`, in one transaction). Idempotent and safe to run from many
   * processes at once (serialised by an advisory lock). Rejects with
   * `ERR_HOOKGUARD_INVALID_OPTIONS`, changing nothing, when a table of that name exists but its
   * columns differ from the store's, saying what differs.
   */
  async migrate(): Promise<void> {
    const options = {
      table: this.#options.table,
      ...(this.#options.schema === undefined ? {} : { schema: this.#options.schema }),
    };
    // The shape check first as well: version 1 alone would build its index on any table of that name.
    const sql = [tableShapeCheck(this.#names), ...migrations(options).map((migration) => migration.sql)].join('\n');
    let broken: Error | undefined;
    const onError = (error: Error): void => {
      broken ??= error;
    };
    // The wait for a client is bounded like any operation's; the DDL itself is not timed, since it
    // may wait for locks behind running handlers.
    const { client } = await checkout(this.#options.pool, 'migrate', this.#options.statementTimeoutMs, onError);
    try {
      // No parameters: sent as one simple query, which PostgreSQL runs as a single transaction.
      await client.query(sql);
    } catch (error) {
      if (isConnectionError(error)) broken ??= error as Error;
      const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
      if (code === '42P16' && typeof message === 'string' && message.startsWith('hookguard:')) {
        throw new WebhookError(
          'ERR_HOOKGUARD_INVALID_OPTIONS',
          `PostgresStore migrate() found ${message.slice('hookguard: '.length)}. Nothing was changed. Give the store a table of its own with the table option (e.g. table: '${this.#options.table === 'webhook_dedup' ? 'hookguard_dedup' : 'webhook_dedup'}'), or fix or rename the existing table.`,
          { cause: error },
        );
      }
      throw storeError('migrate', error, 0);
    } finally {
      client.release(broken);
      client.removeListener('error', onError);
    }
  }

  claim(key: string, options: ClaimOptions): Promise<ClaimResult> {
    return this.#operations.claim(key, options);
  }

  /** processing → completed; `true` also when repeated by the token that completed the key. */
  complete(key: string, token: string, options: CompleteOptions): Promise<boolean> {
    return this.#operations.complete(key, token, options);
  }

  /**
   * processing → released; `true` also when repeated by the token that released the key, until
   * another token claims it. `uncounted` gives the attempt back; `lastError` (capped at 1 000
   * characters) is returned by later claims.
   */
  release(key: string, token: string, options?: ReleaseOptions): Promise<boolean> {
    return this.#operations.release(key, token, options);
  }

  extend(key: string, token: string, leaseMs: number): Promise<boolean> {
    return this.#operations.extend(key, token, leaseMs);
  }

  /**
   * Claims `key` and, when granted, runs `work` in one transaction with the completion record, on
   * one pool client for the whole run: the handler's writes through `scope.db` and the
   * completion commit together or not at all. `scope.store` is this store as seen from inside the
   * transaction: records written through it (`ctx.once`) commit or roll back with it. A concurrent
   * delivery of the key answers `processing` at once; a dropped connection rolls everything back
   * so the retry runs again.
   */
  async claimInTransaction(
    key: string,
    options: ClaimOptions,
    work: (scope: TransactionScope) => Promise<void>,
  ): Promise<ClaimResult> {
    checkKey(key, 'claimInTransaction');
    const { pool, statementTimeoutMs } = this.#options;
    return claimInTransaction({ pool, statements: this.#statements, statementTimeoutMs }, key, options, work);
  }

  /**
   * Deletes expired records, oldest first, `batchSize` rows per statement until none are left,
   * and resolves with how many were deleted. Never deletes a record under a live lease.
   */
  async prune(options: PruneOptions = {}): Promise<number> {
    refuseUnknownOptions('store.prune()', options, PRUNE_OPTIONS);
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
    const { pool, statementTimeoutMs } = this.#options;
    let broken: Error | undefined;
    const onError = (error: Error): void => {
      broken ??= error;
    };
    // Not pool.query: its wait for a client has no bound on a pool without connectionTimeoutMillis.
    const { client, remainingMs } = await checkout(pool, operation, statementTimeoutMs, onError);
    try {
      return await client.query<Row>(statementRun(statement, values, remainingMs));
    } catch (error) {
      // A failed statement leaves a healthy connection; only a broken one must be destroyed.
      if (isConnectionError(error)) broken ??= error as Error;
      throw storeError(operation, error, statementTimeoutMs);
    } finally {
      client.release(broken);
      // After release: the pool's own listener is attached by then, so the client is never without one.
      client.removeListener('error', onError);
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
  const Client = (pool as { Client?: { prototype?: { getTransactionStatus?: unknown } } }).Client;
  if (Client?.prototype !== undefined && typeof Client.prototype.getTransactionStatus !== 'function') {
    throw new WebhookError(
      'ERR_HOOKGUARD_INVALID_OPTIONS',
      `PostgresStore needs pg ${NEEDED_PG} or later (the pool's client has no getTransactionStatus(), added in pg 8.21.0, which transactional mode relies on). Upgrade: npm install pg@^${NEEDED_PG}.`,
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
