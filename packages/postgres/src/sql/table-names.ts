import { WebhookError } from '@hookguard/core';

/** Every database name the store uses, quoted and ready to splice into SQL. */
export type TableNames = {
  /** The table, schema-qualified when a schema was given: `"hookguard"."hookguard_events"`. */
  table: string;
  /** The table as a SQL string literal, for `::regclass` (resolved through the search_path when unqualified). */
  relation: string;
  /** The claim function of schema version 1 (sql/001), which later versions leave to older processes. */
  claimFunction: string;
  /** The claim function of the current schema version (sql/002), in the same schema as the table. */
  claimFunctionV2: string;
  /** The index on `expires_at`, unqualified (indexes live in their table's schema). */
  expiresIndex: string;
  /** The schema, quoted, when one was given. */
  schema: string | undefined;
  /** The schema's bare name, for the catalog lookup that creates it once. */
  schemaName: string | undefined;
  /**
   * Seed of schema version 1's per-key advisory lock hash, from the name as spelled. Kept only to
   * render sql/001 unchanged: version 2 seeds the lock with the table's oid (see {@link keyLock}).
   */
  lockSeed: number;
};

// Conservative on purpose: names are spliced into DDL and function bodies, and derived names
// (`<table>_expires_at_idx`, `<table>_claim_v2`) must stay within PostgreSQL's 63-byte identifier limit.
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_TABLE_LENGTH = 48;
const MAX_SCHEMA_LENGTH = 63;

/**
 * Validates the table and schema options and derives every quoted name from them.
 * Throws `ERR_HOOKGUARD_INVALID_OPTIONS` at construction for a name that is not a plain identifier.
 *
 * @example
 * ```ts
 * tableNames('hookguard_events', 'webhooks').table; // '"webhooks"."hookguard_events"'
 * ```
 */
export function tableNames(table: string, schema: string | undefined): TableNames {
  checkName('table', table, MAX_TABLE_LENGTH);
  if (schema !== undefined) checkName('schema', schema, MAX_SCHEMA_LENGTH);
  const prefix = schema === undefined ? '' : `${quote(schema)}.`;
  const qualified = `${schema ?? ''}.${table}`;
  return {
    table: `${prefix}${quote(table)}`,
    relation: `'${prefix}${quote(table)}'`,
    claimFunction: `${prefix}${quote(`${table}_claim`)}`,
    claimFunctionV2: `${prefix}${quote(`${table}_claim_v2`)}`,
    expiresIndex: quote(`${table}_expires_at_idx`),
    schema: schema === undefined ? undefined : quote(schema),
    schemaName: schema,
    lockSeed: fnv1a(qualified),
  };
}

/**
 * The SQL expression of a key's advisory lock: a 64-bit hash of the key seeded with the oid of
 * the table it names, so every spelling of one table (`schema: 'public'` or none) takes the same
 * lock (issue 15, item 5), and stores on other tables never share one. The `::regclass` literal
 * is resolved when the statement or function is planned, not per call.
 *
 * @example
 * ```ts
 * keyLock(tableNames('hookguard_events', undefined), '$1::text');
 * // pg_catalog.hashtextextended($1::text, '"hookguard_events"'::pg_catalog.regclass::pg_catalog.oid::bigint)
 * ```
 */
export function keyLock(names: TableNames, key: string): string {
  return `pg_catalog.hashtextextended(${key}, ${names.relation}::pg_catalog.regclass::pg_catalog.oid::bigint)`;
}

function checkName(option: 'table' | 'schema', value: string, maxLength: number): void {
  if (typeof value === 'string' && NAME.test(value) && value.length <= maxLength) return;
  throw new WebhookError(
    'ERR_HOOKGUARD_INVALID_OPTIONS',
    `PostgresStore option '${option}' must be a plain identifier (letters, digits and underscores, not starting with a digit, at most ${maxLength} characters); received ${JSON.stringify(value)}. Pick a name such as 'hookguard_events'.`,
  );
}

function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

/** A short name-safe hash of `text` (FNV-1a, 32 bits, base 36). */
export function textHash(text: string): string {
  return fnv1a(text).toString(36);
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash = Math.imul(hash ^ text.charCodeAt(index), 0x01000193);
  }
  return hash >>> 0;
}
