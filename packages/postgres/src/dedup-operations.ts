import {
  WebhookError,
  capLastError,
  type ClaimOptions,
  type ClaimResult,
  type CompleteOptions,
  type DedupStore,
  type ReleaseOptions,
} from '@hookguard/core';
import type { QueryResult, QueryResultRow } from 'pg';
import { toClaimResult, type ClaimStatementRow } from './claim-row.js';
import { UUID, checkKey, keyProblem, unstorableInResult } from './postgres-text.js';
import type { Statement, Statements } from './sql/statements.js';

/** Runs one statement, rejecting with a coded store error when the database or the pool failed. */
export type Executor = <Row extends QueryResultRow = QueryResultRow>(
  operation: string,
  statement: Statement,
  values: unknown[],
) => Promise<QueryResult<Row>>;

/** The claim statement and its values for a key: plain claims and claims inside a transaction differ. */
export type ClaimStatement = (key: string, options: ClaimOptions) => { statement: Statement; values: unknown[] };

// jsonb's refusals of a value JSON.stringify wrote: an escape it does not support (\u0000), a lone surrogate.
const JSONB_REFUSALS = new Set(['22P05', '22P02']);

/**
 * The four contract operations over one table, on whatever connection `execute` uses: the pool
 * ({@link PostgresStore}) or a handler's transaction (`claimInTransaction`'s `store`, whose
 * records commit or roll back with that transaction).
 *
 * @example
 * ```ts
 * const operations = new DedupOperations(execute, statements, (key, options) => ({
 *   statement: statements.plainClaim,
 *   values: [key, options.leaseMs, options.retentionMs, options.fingerprint ?? null, randomUUID()],
 * }));
 * ```
 */
export class DedupOperations implements DedupStore {
  readonly name = 'postgres';
  readonly exact = true;
  readonly shared = true;

  readonly #execute: Executor;
  readonly #statements: Statements;
  readonly #claimStatement: ClaimStatement;

  constructor(execute: Executor, statements: Statements, claimStatement: ClaimStatement) {
    this.#execute = execute;
    this.#statements = statements;
    this.#claimStatement = claimStatement;
  }

  async claim(key: string, options: ClaimOptions): Promise<ClaimResult> {
    checkKey(key, 'claim');
    const { statement, values } = this.#claimStatement(key, options);
    const { rows } = await this.#execute<ClaimStatementRow>('claim', statement, values);
    return toClaimResult(rows);
  }

  async complete(key: string, token: string, options: CompleteOptions): Promise<boolean> {
    // No record can exist for a key claim() refuses, nor for a token that is not a UUID.
    if (!UUID.test(token) || keyProblem(key) !== undefined) return false;
    const unstorable = options.result === undefined ? undefined : unstorableInResult(options.result);
    if (unstorable !== undefined) {
      return this.#refuseResult(key, token, `${unstorable} contains a NUL character or a lone surrogate, which PostgreSQL's jsonb cannot hold`);
    }
    // Serialised now: JSON `null` is stored as jsonb 'null', no result as SQL NULL.
    let result: string | null;
    try {
      result = options.result === undefined ? null : (JSON.stringify(options.result) ?? null);
    } catch (error) {
      return this.#refuseResult(key, token, `JSON.stringify refused it (${error instanceof Error ? error.message : String(error)})`);
    }
    try {
      const { rowCount } = await this.#execute('complete', this.#statements.complete, [key, token, options.retentionMs, result]);
      if (rowCount === 1) return true;
      // Not held: a repeat by the token that completed the key (its first reply lost) answers true.
      const repeated = await this.#execute('complete', this.#statements.completedBy, [key, token]);
      return repeated.rowCount === 1;
    } catch (error) {
      if (!JSONB_REFUSALS.has(sqlState(error) ?? '')) throw error;
      return this.#refuseResult(key, token, `PostgreSQL's jsonb refused it (${sqlState(error) ?? ''})`);
    }
  }

  async release(key: string, token: string, options: ReleaseOptions = {}): Promise<boolean> {
    if (!UUID.test(token) || keyProblem(key) !== undefined) return false;
    const lastError = typeof options.lastError === 'string' ? capLastError(options.lastError) : null;
    const { rowCount } = await this.#execute('release', this.#statements.release, [key, token, options.uncounted === true, lastError]);
    return rowCount === 1;
  }

  async extend(key: string, token: string, leaseMs: number): Promise<boolean> {
    if (!UUID.test(token) || keyProblem(key) !== undefined) return false;
    const { rowCount } = await this.#execute('extend', this.#statements.extend, [key, token, leaseMs]);
    return rowCount === 1;
  }

  /**
   * A result jsonb cannot store (issue 14, item 8): the record is released rather than left
   * claimed or stored altered, so the next call runs again (a duplicate, never a wrong result).
   */
  async #refuseResult(key: string, token: string, why: string): Promise<never> {
    const released = await this.release(key, token);
    throw new WebhookError(
      'ERR_HOOKGUARD_ONCE_RESULT_NOT_JSON',
      `PostgresStore complete could not store the result of '${key}': ${why}. ${
        released ? 'The key was released, so the next call runs again.' : 'The key was no longer held by this token.'
      } Return plain JSON data whose strings hold no NUL characters or lone surrogates (encode binary data, e.g. as base64).`,
    );
  }
}

/** The SQLSTATE behind a store error, if PostgreSQL sent one. */
export function sqlState(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
  return typeof cause?.code === 'string' ? cause.code : undefined;
}
