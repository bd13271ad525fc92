import type { PoolClient } from 'pg';

export { PostgresStore, type PostgresStoreOptions, type PruneOptions } from './postgres-store.js';
export { migrationSql, migrations, type Migration, type MigrationSqlOptions } from './sql/migration-sql.js';
export type { TransactionScope } from './transactional-claim.js';
export { PostgresDeliveryLog, deliveryLogMigrationSql, type PostgresDeliveryLogOptions } from './postgres-delivery-log.js';

// Types `ctx.db` in handlers registered with `{ transaction: true }` as the transaction's client.
declare module '@hookguard/core' {
  interface TransactionClients {
    db: PoolClient;
  }
}
