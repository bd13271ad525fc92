import { WebhookError, type ClaimResult } from '@hookguard/core';

/** One row returned by the claim function (see `sql/migration-sql.ts`). */
export type ClaimRow = {
  out_status: string;
  out_token: string | null;
  out_attempt: number | null;
  out_retry_after_ms: number | null;
  out_fingerprint_matches: boolean | null;
  /** jsonb as text, so a stored JSON `null` stays distinct from no result (SQL NULL). */
  out_result: string | null;
  /** What the latest failed attempt released the key with; SQL NULL for nothing. */
  out_last_error: string | null;
};

/**
 * Turns the claim function's row into the contract's {@link ClaimResult}.
 *
 * @example
 * ```ts
 * const { rows } = await pool.query<ClaimRow>({ ...statements.claim, values });
 * const claim = toClaimResult(rows[0]);
 * ```
 */
export function toClaimResult(row: ClaimRow | undefined): ClaimResult {
  if (row?.out_status === 'claimed' && row.out_token !== null && row.out_attempt !== null) {
    return {
      status: 'claimed',
      token: row.out_token,
      attempt: row.out_attempt,
      ...(row.out_last_error === null ? {} : { lastError: row.out_last_error }),
    };
  }
  if (row?.out_status === 'processing' && row.out_retry_after_ms !== null) {
    return { status: 'processing', retryAfterMs: row.out_retry_after_ms };
  }
  if (row?.out_status === 'completed') {
    return {
      status: 'completed',
      fingerprintMatches: row.out_fingerprint_matches ?? undefined,
      ...(row.out_result === null ? {} : { result: JSON.parse(row.out_result) as unknown }),
    };
  }
  throw new WebhookError(
    'ERR_HOOKGUARD_INTERNAL',
    `The claim function answered ${JSON.stringify(row?.out_status ?? null)}, not claimed, processing or completed. Run \`await store.migrate()\` with this version of @hookguard/postgres.`,
  );
}
