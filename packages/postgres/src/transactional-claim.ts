import { WebhookError, type ClaimOptions, type ClaimResult } from '@hookguard/core';
import type { Pool, PoolClient, QueryConfig, QueryResult, QueryResultRow } from 'pg';
import { toClaimResult, type ClaimRow } from './claim-row.js';
import type { Statement, Statements } from './sql/statements.js';
import { isConnectionError, storeError } from './store-error.js';

/** What a transactional handler runs with. */
export type TransactionScope = {
  /** The client of the transaction; the completion record commits with whatever is written here. */
  db: PoolClient;
  attempt: number;
  /** Aborted when the connection holding the transaction is lost (everything is rolled back). */
  signal: AbortSignal;
};

/** What {@link claimInTransaction} needs from the store. */
export type TransactionContext = {
  pool: Pool;
  statements: Statements;
  statementTimeoutMs: number;
};

const SAVEPOINT = 'hookguard_work';
const IN_FAILED_TRANSACTION = '25P02';

/** The SQLSTATE behind a store error, if PostgreSQL sent one. */
function sqlState(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
  return typeof cause?.code === 'string' ? cause.code : undefined;
}

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
  await transaction.connect();
  try {
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

  /** Checks a client out of the pool. */
  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      // The callback form, not `await pool.connect()`: a checked-out client without an 'error'
      // listener crashes the process when its connection drops, and the error can arrive in the
      // same socket read as the answer that freed the client, before an await resumes.
      this.#context.pool.connect((error: Error | undefined, client: PoolClient | undefined) => {
        if (error !== undefined || client === undefined) {
          reject(storeError('claimInTransaction', error, this.#context.statementTimeoutMs));
          return;
        }
        client.on('error', this.#onError);
        this.#client = client;
        resolve();
      });
    });
  }

  get #db(): PoolClient {
    if (this.#client === undefined) throw new Error('Transaction used before connect()');
    return this.#client;
  }

  async run(options: ClaimOptions, work: (scope: TransactionScope) => Promise<void>): Promise<ClaimResult> {
    await this.#query('BEGIN ISOLATION LEVEL READ COMMITTED');
    const claimed = await this.#query<ClaimRow>(this.#context.statements.claim, [
      this.#key,
      options.leaseMs,
      options.retentionMs,
      options.fingerprint ?? null,
      true,
    ]);
    const claim = toClaimResult(claimed.rows[0]);
    if (claim.status !== 'claimed') {
      await this.#query('ROLLBACK');
      return claim;
    }
    await this.#query(`SAVEPOINT ${SAVEPOINT}`);
    try {
      await work({ db: this.#db, attempt: claim.attempt, signal: this.#controller.signal });
    } catch (error) {
      await this.#recordFailedAttempt(claim.token);
      throw error;
    }
    if (this.#db.getTransactionStatus() === 'I') {
      await this.#recordFailedAttempt(claim.token);
      throw new WebhookError(
        'ERR_HOOKGUARD_HANDLER_FAILED',
        `The handler of '${this.#key}' ended the store's transaction (COMMIT or ROLLBACK on ctx.db), so its writes and the completion record could not commit together; the claim was released and a retry runs again. Use SAVEPOINTs instead.`,
      );
    }
    let completed: QueryResult;
    try {
      completed = await this.#query(this.#context.statements.complete, [this.#key, claim.token, options.retentionMs, null]);
    } catch (error) {
      // Known only now, not from the transaction status: pg settles a failed query before it reads
      // the server's ReadyForQuery, so a status check right after the handler can still say 'T'.
      if (sqlState(error) !== IN_FAILED_TRANSACTION) throw error;
      await this.#recordFailedAttempt(claim.token);
      throw new WebhookError(
        'ERR_HOOKGUARD_HANDLER_FAILED',
        `A statement on ctx.db failed while handling '${this.#key}' and the handler went on, but the failure aborted the transaction, so nothing was committed and a retry runs again. Let the error propagate, or wrap the statement in SAVEPOINT / ROLLBACK TO SAVEPOINT.`,
        { cause: (error as Error).cause },
      );
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

  /** Rolls the handler's writes back and commits the claim as released: the next claim is attempt + 1. */
  async #recordFailedAttempt(token: string): Promise<void> {
    try {
      if (this.#db.getTransactionStatus() === 'I') {
        // The handler ended the transaction itself; if it committed the claim, release it now.
        await this.#query(this.#context.statements.release, [this.#key, token]);
        return;
      }
      await this.#query(`ROLLBACK TO SAVEPOINT ${SAVEPOINT}`);
      await this.#query(this.#context.statements.release, [this.#key, token]);
      await this.#query('COMMIT');
    } catch {
      // The connection is gone or the transaction is in a state we did not leave it in: dispose()
      // destroys the client and the server rolls everything back; the attempt is not counted.
    }
  }

  async #query<Row extends QueryResultRow = QueryResultRow>(
    statement: Statement | string,
    values?: unknown[],
  ): Promise<QueryResult<Row>> {
    const config: QueryConfig & { query_timeout?: number } =
      typeof statement === 'string' ? { text: statement } : { ...statement, values: values ?? [] };
    if (this.#context.statementTimeoutMs > 0) config.query_timeout = this.#context.statementTimeoutMs;
    try {
      return await this.#db.query<Row>(config);
    } catch (error) {
      // A failed statement leaves a healthy connection; only a broken one must be destroyed.
      if (isConnectionError(error)) this.#broken ??= error as Error;
      throw storeError('claimInTransaction', error, this.#context.statementTimeoutMs);
    }
  }
}
