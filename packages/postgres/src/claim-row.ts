import { WebhookError, type ClaimResult } from '@hookguard/core';
import { UUID } from './postgres-text.js';

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
 * column is the plain claim's text (a new key's token alone, or the claim function's answer as
 * json text), or the claim function's answer as json, parsed by pg's json type parser or left as
 * text where the pool's owner replaced it.
 */
export type ClaimStatementRow = [ClaimRow | string];

const OPENING_BRACKET = 91;

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
  if (typeof answer === 'string' && answer.charCodeAt(0) !== OPENING_BRACKET) {
    // The plain claim inserted the key: a new row is always attempt 1 (new-claim-row.ts).
    if (UUID.test(answer)) return { status: 'claimed', token: answer, attempt: 1 };
    throw unknownAnswer(answer);
  }
  const row = typeof answer === 'string' ? parsedRow(answer) : answer;
  const [status, token, attempt, retryAfterMs, fingerprintMatches, result, lastError] = row ?? [];
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
  throw unknownAnswer(status ?? null);
}

function parsedRow(text: string): ClaimRow {
  try {
    return JSON.parse(text) as ClaimRow;
  } catch {
    throw unknownAnswer(text);
  }
}

function unknownAnswer(answer: unknown): WebhookError {
  return new WebhookError(
    'ERR_HOOKGUARD_INTERNAL',
    `The claim function answered ${JSON.stringify(answer)}, not claimed, processing or completed. Run \`await store.migrate()\` with this version of @hookguard/postgres.`,
  );
}
