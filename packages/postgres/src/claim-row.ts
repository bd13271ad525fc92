import { WebhookError, type ClaimResult } from '@hookguard/core';

/**
 * The claim function's row (see `sql/migration-v2-sql.ts`) as the claim statements return it: one
 * json column holding its seven columns in order, which pg parses into this array.
 */
export type ClaimRow = readonly [
  status: string,
  token: string | null,
  attempt: number | null,
  retryAfterMs: number | null,
  fingerprintMatches: boolean | null,
  /** jsonb as text, so a stored JSON `null` stays distinct from no result (SQL NULL). */
  result: string | null,
  /** What the latest failed attempt released the key with; SQL NULL for nothing. */
  lastError: string | null,
];

/**
 * A result row of a claim statement, which pg returns as an array (`rowMode: 'array'`). Its one
 * column is parsed by pg's json type parser, or left as text where the pool's owner replaced it.
 */
export type ClaimStatementRow = [ClaimRow | string];

/**
 * Turns a claim statement's rows (one, read with `rowMode: 'array'`) into the contract's
 * {@link ClaimResult}.
 *
 * @example
 * ```ts
 * const { rows } = await pool.query<ClaimStatementRow>({ ...statements.claim, values });
 * const claim = toClaimResult(rows);
 * ```
 */
export function toClaimResult(rows: readonly ClaimStatementRow[]): ClaimResult {
  const answer = rows[0]?.[0];
  const [status, token, attempt, retryAfterMs, fingerprintMatches, result, lastError] = (typeof answer === 'string' ? (JSON.parse(answer) as ClaimRow) : answer) ?? [];
  if (status === 'claimed' && typeof token === 'string' && typeof attempt === 'number') {
    return { status: 'claimed', token, attempt, ...(typeof lastError === 'string' ? { lastError } : {}) };
  }
  if (status === 'processing' && typeof retryAfterMs === 'number') {
    return { status: 'processing', retryAfterMs };
  }
  if (status === 'completed') {
    return {
      status: 'completed',
      fingerprintMatches: typeof fingerprintMatches === 'boolean' ? fingerprintMatches : undefined,
      ...(typeof result === 'string' ? { result: JSON.parse(result) as unknown } : {}),
    };
  }
  throw new WebhookError(
    'ERR_HOOKGUARD_INTERNAL',
    `The claim function answered ${JSON.stringify(status ?? null)}, not claimed, processing or completed. Run \`await store.migrate()\` with this version of @hookguard/postgres.`,
  );
}
