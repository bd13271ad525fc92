import {
  WebhookError,
  capLastError,
  describeError,
  isStoreFailure,
  type ClaimOptions,
  type ClaimResult,
  type DedupStore,
} from '@hookguard/core';
import pg from 'pg';
import type { Pool, PoolClient, QueryConfig, QueryResult, QueryResultRow } from 'pg';
import { toClaimResult, type ClaimStatementRow } from './claim-row.js';
import { sqlState } from './dedup-operations.js';
import { checkout } from './pool-checkout.js';
import { withInlineValues } from './sql/inline-values.js';
import { statementRun, textRun, type Statement, type Statements } from './sql/statements.js';
import { isConnectionError, isUnansweredStatement, storeError } from './store-error.js';
import { TransactionStore } from './transaction-store.js';

/** What a transactional handler runs with. */
export type TransactionScope = {
  /** The client of the transaction; the completion record commits with whatever is written here. */
  db: PoolClient;
  attempt: number;
  /** Aborted when the connection holding the transaction is lost (everything is rolled back). */
  signal: AbortSignal;
  /**
   * The store as seen from inside the transaction: its claims, completions, releases and
   * extensions run on the transaction's client, each in a savepoint, so the records they write
   * (`ctx.once`) commit or roll back with the handler's writes. A claim of a key that another
   * transaction holds waits for that transaction to end, at most about three quarters of
   * `statementTimeoutMs` (then it rejects with `ERR_HOOKGUARD_STORE_UNAVAILABLE`); PostgreSQL
   * breaks a cycle of such waits (SQLSTATE 40P01, also a store error) at once.
   */
  store: DedupStore;
  /** The error the previous attempt was released with (`release(…, { lastError })`), if any. */
  lastError?: string;
};

/** What {@link claimInTransaction} needs from the store. */
export type TransactionContext = {
  pool: Pool;
  statements: Statements;
  statementTimeoutMs: number;
};

const SAVEPOINT = 'hookguard_work';
const IN_FAILED_TRANSACTION = '25P02';

/**
 * Claims `key` and runs `work` in one transaction with the completion record, on ONE pool client
 * for the whole run. The claim takes the key's advisory lock exclusively for the transaction, so a
 * concurrent delivery answers `processing` at once, and a dropped connection rolls back the claim,
 * the handler's writes and the lock together. When `work` throws, its writes are rolled back to a
 * savepoint and the claim is committed as released, so the attempt count still grows.
 *
 * @example
 * ```ts
 * const claim = await claimInTransaction(context, 'stripe:evt_1', claimOptions, async ({ db }) => {
 *   await db.query('INSERT INTO orders (id) VALUES ($1)', ['evt_1']);
 * });
 * ```
 */
export async function claimInTransaction(
  context: TransactionContext,
  key: string,
  options: ClaimOptions,
  work: (scope: TransactionScope) => Promise<void>,
): Promise<ClaimResult> {
  const transaction = new Transaction(context, key);
  try {
    await transaction.connect();
    return await transaction.run(options, work);
  } finally {
    transaction.dispose();
  }
}

class Transaction {
  readonly #context: TransactionContext;
  readonly #key: string;
  readonly #controller = new AbortController();
  #client: PoolClient | undefined;
  #savepoints = 0;
  /** Set once the client must be destroyed rather than returned to the pool. */
  #broken: Error | undefined;
  readonly #onError = (error: Error): void => {
    this.#broken ??= error;
    this.#controller.abort(
      new WebhookError(
        'ERR_HOOKGUARD_LEASE_LOST',
        `The connection holding the transaction for '${this.#key}' was lost: everything written in it was rolled back, and a retry runs the handlers again.`,
        { cause: error },
      ),
    );
  };

  constructor(context: TransactionContext, key: string) {
    this.#context = context;
    this.#key = key;
  }

  /** Checks a client out of the pool, waiting at most statementTimeoutMs. */
  async connect(): Promise<void> {
    const { client } = await checkout(this.#context.pool, 'claimInTransaction', this.#context.statementTimeoutMs, this.#onError);
    this.#client = client;
    if (typeof client.getTransactionStatus !== 'function') {
      this.#broken = new Error('pg client without getTransactionStatus');
      throw new WebhookError(
        'ERR_HOOKGUARD_INVALID_OPTIONS',
        "PostgresStore's transactional mode needs pg 8.23.1 or later (the pool's client has no getTransactionStatus(), added in pg 8.21.0). Upgrade: npm install pg@^8.23.1.",
      );
    }
  }

  get #db(): PoolClient {
    if (this.#client === undefined) throw new Error('Transaction used before connect()');
    return this.#client;
  }

  async run(options: ClaimOptions, work: (scope: TransactionScope) => Promise<void>): Promise<ClaimResult> {
    await this.#query('BEGIN ISOLATION LEVEL READ COMMITTED');
    const claimed = await this.#query<ClaimStatementRow>(this.#context.statements.claim, [
      this.#key,
      options.leaseMs,
      options.retentionMs,
      options.fingerprint ?? null,
      'exclusive',
      0,
    ]);
    const claim = toClaimResult(claimed.rows);
    if (claim.status !== 'claimed') {
      await this.#query('ROLLBACK');
      return claim;
    }
    await this.#query(`SAVEPOINT ${SAVEPOINT}`);
    try {
      await work({
        db: this.#db,
        attempt: claim.attempt,
        signal: this.#controller.signal,
        store: this.#store(),
        ...(claim.lastError === undefined ? {} : { lastError: claim.lastError }),
      });
    } catch (error) {
      // A statement that `work` ran on this client and gave up on (pg's query_timeout: the queue's
      // job insert, bounded by statementTimeoutMs) still runs on the server, and anything sent now
      // would wait behind it: the client is destroyed instead, which rolls everything back.
      if (isUnansweredStatement(error)) this.#broken ??= error as Error;
      else await this.#recordFailedAttempt(claim.token, error);
      throw error;
    }
    if (this.#db.getTransactionStatus() === 'I') {
      const error = new WebhookError(
        'ERR_HOOKGUARD_HANDLER_FAILED',
        `The handler of '${this.#key}' ended the store's transaction (COMMIT or ROLLBACK on ctx.db), so its writes and the completion record could not commit together; the claim was released and a retry runs again. Use SAVEPOINTs instead.`,
      );
      await this.#recordFailedAttempt(claim.token, error);
      throw error;
    }
    let completed: QueryResult;
    try {
      completed = await this.#query(this.#context.statements.complete, [this.#key, claim.token, options.retentionMs, null]);
    } catch (error) {
      // Known only now, not from the transaction status: pg settles a failed query before it reads
      // the server's ReadyForQuery, so a status check right after the handler can still say 'T'.
      if (sqlState(error) !== IN_FAILED_TRANSACTION) throw error;
      const failure = new WebhookError(
        'ERR_HOOKGUARD_HANDLER_FAILED',
        `A statement on ctx.db failed while handling '${this.#key}' and the handler went on, but the failure aborted the transaction, so nothing was committed and a retry runs again. Let the error propagate, or wrap the statement in SAVEPOINT / ROLLBACK TO SAVEPOINT.`,
        { cause: (error as Error).cause },
      );
      await this.#recordFailedAttempt(claim.token, failure);
      throw failure;
    }
    if (completed.rowCount !== 1) {
      throw new WebhookError(
        'ERR_HOOKGUARD_LEASE_LOST',
        `The dedup record of '${this.#key}' was changed inside its own transaction, so it could not be completed; nothing was committed. Do not write to the hookguard table from a handler.`,
      );
    }
    try {
      await this.#query('COMMIT');
    } catch (error) {
      if (this.#broken !== undefined) throw error;
      // The server refused the commit (a deferred constraint of the handler's writes): all rolled back.
      throw new WebhookError(
        'ERR_HOOKGUARD_HANDLER_FAILED',
        `The transaction of '${this.#key}' failed to commit (${sqlState(error) ?? 'unknown'}), so neither the handler's writes nor the completion were kept; a retry runs again.`,
        { cause: (error as Error).cause },
      );
    }
    return claim;
  }

  /** Returns the client to the pool, or destroys it if its connection or transaction state is unknown. */
  dispose(): void {
    const client = this.#client;
    if (client === undefined) return;
    this.#client = undefined;
    if (this.#broken === undefined && client.getTransactionStatus() === 'I') {
      client.release();
    } else {
      // Destroying the connection makes the server roll back whatever is still open.
      client.release(this.#broken ?? new Error('hookguard transaction left open'));
    }
    // After release: the pool's own listener is attached by then, so the client is never without one.
    client.removeListener('error', this.#onError);
  }

  /** The store's operations on this transaction's client (`scope.store`). */
  #store(): DedupStore {
    // Below the statement timeout of the transaction's own statements, so the server ends a long
    // lock wait (55P03) and the handler's transaction survives.
    const lockWaitMs = Math.floor((this.#context.statementTimeoutMs * 3) / 4);
    return new TransactionStore(
      (operation, statement, values) => this.#inSavepoint(operation, statement, values),
      this.#context.statements,
      lockWaitMs,
      () => this.#broken === undefined,
    );
  }

  /**
   * Runs one statement in a savepoint of its own, so a failure does not abort the handler's
   * transaction. `SAVEPOINT`, the statement (its values written in as literals) and `RELEASE` go
   * as one simple query: one round trip, and nothing the handler issues on `ctx.db` meanwhile
   * (`Promise.all` over it) can run inside the savepoint and be undone with it, without ever
   * having two of the store's own queries waiting on the client, which pg 8.23 warns about and
   * pg 9 drops. Without the client-side timeout: on the one client it waits behind the handler's
   * own statements, however long those run; the server bounds its lock waits.
   */
  async #inSavepoint<Row extends QueryResultRow>(operation: string, statement: Statement, values: unknown[]): Promise<QueryResult<Row>> {
    const name = `hookguard_store_${++this.#savepoints}`;
    const untimed = { timeout: false, operation: `${operation} (in the transaction of a handler)` };
    // pg's module-level quoting, not the client's method: pg's native client has none.
    const text = `SAVEPOINT ${name};\n${withInlineValues(statement, values, pg.escapeLiteral)};\nRELEASE SAVEPOINT ${name}`;
    try {
      // A simple query of three statements answers with three results; the statement's is the second.
      const results = (await this.#query(text, undefined, { ...untimed, rowMode: statement.rowMode })) as unknown as QueryResult<Row>[];
      return results[1]!;
    } catch (error) {
      // The transaction was aborted before the savepoint: a statement on ctx.db failed earlier.
      if (sqlState(error) === IN_FAILED_TRANSACTION) {
        throw new WebhookError(
          'ERR_HOOKGUARD_HANDLER_FAILED',
          `PostgresStore ${operation} could not run in the transaction of '${this.#key}': a statement on ctx.db failed earlier and aborted it, so nothing in it can commit and a retry runs again. Let the error propagate, or wrap the statement in SAVEPOINT / ROLLBACK TO SAVEPOINT.`,
          { cause: error },
        );
      }
      // The statement failed inside the savepoint, and the rest of the query was skipped: undoing
      // the savepoint leaves the handler's transaction as it was before.
      if (this.#broken === undefined) {
        await this.#query(`ROLLBACK TO SAVEPOINT ${name};\nRELEASE SAVEPOINT ${name}`, undefined, untimed).catch(() => undefined);
      }
      throw error;
    }
  }

  /**
   * Rolls the handler's writes back and commits the claim as released, with the handler's error
   * as `lastError`: the next claim is attempt + 1. When the failure is the store's (`ctx.once`
   * rejected with `ERR_HOOKGUARD_STORE_UNAVAILABLE`, as `isStoreFailure` tells), the attempt is not
   * counted and the previous `lastError` stays: the handler did not fail.
   */
  async #recordFailedAttempt(token: string, failure: unknown): Promise<void> {
    const release = this.#context.statements.release;
    const storeFailed = isStoreFailure(failure);
    const values = [this.#key, token, storeFailed, storeFailed ? null : capLastError(describeError(failure))];
    try {
      if (this.#db.getTransactionStatus() === 'I') {
        // The handler ended the transaction itself; if it committed the claim, release it now.
        await this.#query(release, values);
        return;
      }
      await this.#query(`ROLLBACK TO SAVEPOINT ${SAVEPOINT}`);
      await this.#query(release, values);
      await this.#query('COMMIT');
    } catch {
      // The connection is gone or the transaction is in a state we did not leave it in: dispose()
      // destroys the client and the server rolls everything back; the attempt is not counted.
    }
  }

  async #query<Row extends QueryResultRow = QueryResultRow>(
    statement: Statement | string,
    values?: unknown[],
    { timeout = true, operation = 'claimInTransaction', rowMode }: { timeout?: boolean; operation?: string; rowMode?: 'array' | undefined } = {},
  ): Promise<QueryResult<Row>> {
    const timeoutMs = timeout ? this.#context.statementTimeoutMs : 0;
    const config: QueryConfig = typeof statement === 'string' ? textRun(statement, timeoutMs, rowMode) : statementRun(statement, values ?? [], timeoutMs);
    try {
      return await this.#db.query<Row>(config);
    } catch (error) {
      // A failed statement leaves a healthy connection; only a broken one must be destroyed, and
      // with it goes the transaction: the handler's signal says so.
      if (isConnectionError(error)) this.#onError(error as Error);
      throw storeError(operation, error, this.#context.statementTimeoutMs);
    }
  }
}
