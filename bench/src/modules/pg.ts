// pg ships no type declarations and @types/pg is a dependency of @hookguard/postgres, not of this
// package; the Pool type is taken from the store's own options.
import { createRequire } from 'node:module';
import type { PostgresStore } from '@hookguard/postgres';

/** A pg Pool, as @hookguard/postgres types it. */
export type PgPool = ConstructorParameters<typeof PostgresStore>[0]['pool'];

/** The pool options this bench sets. */
export type PgPoolConfig = {
  host: string;
  port: number;
  user: string;
  database: string;
  max: number;
  connectionTimeoutMillis?: number;
};

const require = createRequire(import.meta.url);

/** pg's Pool class. */
export const Pool = (require('pg') as { Pool: new (config: PgPoolConfig) => PgPool }).Pool;
