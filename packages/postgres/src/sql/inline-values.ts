import type { Statement } from './statements.js';

/** pg's own quoting (`pg.escapeLiteral`): `'it''s'`, and `E'…'` with backslashes doubled. */
export type EscapeLiteral = (text: string) => string;

const PARAMETER = /\$(\d+)(::)?/g;

/**
 * `statement`'s text with its parameters written in as literals, for a simple query that runs it
 * between other statements in one round trip (a savepoint around it: transactional-claim.ts).
 *
 * A `$` and digits in the text are taken for a parameter: the store's statements hold them nowhere
 * else (table and schema names are letters, digits and underscores; table-names.ts). Every
 * parameter of the store's statements carries a cast (`$2::float8`), so a quoted literal is
 * typed exactly as the parameter was: pg sends a parameter as text too, and `'60000'::float8` is
 * what the server makes of either. A value becomes `NULL`, or the text pg would send for it,
 * quoted by `escapeLiteral`. A parameter without a cast, or a value of another kind, is a defect
 * here and throws, as does NUL, which a simple query's text cannot hold (the store refuses it in
 * keys and results, and replaces it in last errors, before any statement is built).
 *
 * @example
 * ```ts
 * withInlineValues(statements.extend, [key, token, 60_000], pg.escapeLiteral);
 * // "UPDATE … lease_until = … + '60000'::float8 * … WHERE key = 'reply:msg_1'::text …"
 * ```
 */
export function withInlineValues(statement: Statement, values: readonly unknown[], escapeLiteral: EscapeLiteral): string {
  return statement.text.replace(PARAMETER, (_, position: string, cast: string | undefined) => {
    if (cast === undefined) throw new TypeError(`${statement.name}: $${position} has no cast, so an inline literal could be typed differently`);
    const index = Number(position) - 1;
    if (index >= values.length) throw new TypeError(`${statement.name}: no value for $${position}`);
    return literal(values[index], escapeLiteral) + cast;
  });
}

function literal(value: unknown, escapeLiteral: EscapeLiteral): string {
  if (value === null || value === undefined) return 'NULL';
  let text: string;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'number' && Number.isFinite(value)) text = String(value);
  else if (typeof value === 'boolean') text = value ? 'true' : 'false';
  else throw new TypeError(`an inline value must be a string, a finite number, a boolean or null; received ${typeof value}`);
  if (text.includes('\0')) throw new TypeError('an inline value cannot hold NUL');
  return escapeLiteral(text);
}
