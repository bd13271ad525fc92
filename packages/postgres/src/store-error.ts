import { WebhookError, isWebhookError } from '@hookguard/core';

/** Why a store operation failed, and what to do about it. */
type Diagnosis = { reason: string; fix: string };

// What pg rejects a statement with when its query_timeout passes unanswered.
const READ_TIMEOUT = 'Query read timeout';
const CONNECTION_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND']);

/**
 * Wraps a failure of the database or the pool as `ERR_HOOKGUARD_STORE_UNAVAILABLE` (status 503)
 * with the original error as `cause`, so the receiver applies its `onStoreError` policy.
 * The message names the SQLSTATE but never repeats the server's text, which may quote values.
 *
 * @example
 * ```ts
 * try {
 *   await pool.query(statement);
 * } catch (error) {
 *   throw storeError('claim', error, 5000);
 * }
 * ```
 */
export function storeError(operation: string, error: unknown, statementTimeoutMs: number): WebhookError {
  if (isWebhookError(error)) return error;
  const { reason, fix } = diagnose(error, statementTimeoutMs);
  return new WebhookError('ERR_HOOKGUARD_STORE_UNAVAILABLE', `PostgresStore ${operation} failed: ${reason}. ${fix}`, {
    cause: error,
  });
}

/** True when the client's connection itself is broken, so it must be destroyed, not reused. */
export function isConnectionError(error: unknown): boolean {
  const { code, message } = fields(error);
  return (
    message === READ_TIMEOUT ||
    /^Connection terminated|not queryable/.test(message) ||
    (code !== undefined && (code.startsWith('08') || code.startsWith('57P') || CONNECTION_ERRNOS.has(code)))
  );
}

/**
 * True when `error`, or an error it was caused by (a queue wraps the failure of its insert), is a
 * statement pg stopped waiting for (`query_timeout`): the server may still be running it, so the
 * client cannot take another statement until it ends.
 */
export function isUnansweredStatement(error: unknown): boolean {
  let current = error;
  try {
    for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
      if (fields(current).message === READ_TIMEOUT) return true;
      current = (current as { cause?: unknown }).cause;
    }
  } catch {
    // A hostile thrown value (a throwing getter, a revoked proxy) is the handler's own failure.
  }
  return false;
}

function diagnose(error: unknown, statementTimeoutMs: number): Diagnosis {
  const { code, message } = fields(error);
  if (message === READ_TIMEOUT) {
    return {
      reason: `no answer within statementTimeoutMs (${statementTimeoutMs} ms)`,
      fix: 'Check the database load and the network, or raise statementTimeoutMs.',
    };
  }
  if (message.includes('timeout exceeded when trying to connect')) {
    return {
      reason: "no pool client became free within the pool's connectionTimeoutMillis",
      fix: "Raise the pool's max, or make transactional handlers shorter: each holds a client while it runs.",
    };
  }
  if (code === '57014') {
    return { reason: 'PostgreSQL cancelled the statement (57014, statement_timeout)', fix: 'Check the database load and locks.' };
  }
  if (code === '55P03') {
    return { reason: 'a lock wait timed out (55P03, lock_timeout)', fix: 'Check for long transactions on the table.' };
  }
  if (code === '42P01' || code === '42883' || code === '3F000') {
    return {
      reason: `the table or its claim function does not exist (${code})`,
      fix: "Run `await store.migrate()` once, or apply the package's sql/ files in order (001_hookguard_events.sql, 002_hookguard_events_v2.sql, 003_hookguard_events_v3.sql), with the same table and schema options. With a schema option, generate them with migrationSql({ schema }): the shipped files name the table without one, and their claim function then looks it up on the caller's search_path.",
    };
  }
  if (code === '53300' || code === '53400') {
    return { reason: `PostgreSQL refused the connection (${code}, too many connections)`, fix: "Lower the pool's max or raise max_connections." };
  }
  if (isConnectionError(error)) {
    return {
      reason: `the connection to PostgreSQL failed or was lost (${code ?? message})`,
      fix: 'Check that the server is up and reachable; the pool replaces broken connections by itself.',
    };
  }
  return {
    reason: `PostgreSQL answered with an error (${code ?? (error instanceof Error ? error.name : typeof error)})`,
    fix: 'See the cause for details.',
  };
}

function fields(error: unknown): { code: string | undefined; message: string } {
  if (typeof error !== 'object' || error === null) return { code: undefined, message: String(error) };
  const { code, message } = error as { code?: unknown; message?: unknown };
  return { code: typeof code === 'string' ? code : undefined, message: typeof message === 'string' ? message : '' };
}
