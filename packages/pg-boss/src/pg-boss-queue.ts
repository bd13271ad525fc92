import {
  consoleLogger,
  describeError,
  WebhookError,
  type DedupStore,
  type EnqueueOptions,
  type JobProcessor,
  type Logger,
  type QueuedEvent,
  type QueueWorker,
  type QueueWorkOptions,
  type StoredJob,
  type WebhookQueue,
  refuseUnknownOptions,
  type OptionNames,
  whileWaiting,
  answeredWithin,
} from '@hookguard/core';
import PgBoss from 'pg-boss';
import type { Pool, PoolClient, QueryConfig, QueryResult } from 'pg';
import { jobId } from './job-id.js';
import { jobStatements, storedJob, toJobData, type JobRow, type JobStatements } from './job-statements.js';
import { startWorker } from './pg-boss-worker.js';

/** Options for {@link PgBossQueue}. */
export type PgBossQueueOptions = {
  /** Your `pg` Pool. pg-boss runs on it through its `db` adapter; the queue never ends the pool. */
  pool: Pool;
  /**
   * The pg-boss queue name; every process of one receiver uses the same, and each receiver its
   * own: receivers of several namespaces on one queue refuse each other's jobs
   * (`ERR_HOOKGUARD_QUEUE_SHARED`), which then wait for a retry.
   * @default 'hookguard'
   */
  name?: string;
  /**
   * pg-boss's schema, created and migrated on first use. A plain identifier.
   * @default 'pgboss'
   */
  schema?: string;
  /**
   * A running job whose worker stopped renewing its lock for this long is failed by pg-boss's
   * maintenance and runs again (a crashed worker's job). Workers renew every third of it; a run
   * with no renewal confirmed for five sixths of it (PostgreSQL unreachable) sees `ctx.signal`
   * abort with `ERR_HOOKGUARD_LEASE_LOST`, since another worker may then run the job.
   * @default 60
   */
  expireInSeconds?: number;
  /**
   * How often pg-boss's maintenance looks for expired jobs and archives finished ones (one process
   * at a time does it). A crashed worker's job runs again within `expireInSeconds` plus this.
   * @default 30
   */
  maintenanceIntervalSeconds?: number;
  /**
   * How long an idle worker waits before looking for jobs again. A busy worker fetches again as
   * soon as a slot frees.
   * @default 500
   */
  pollIntervalMs?: number;
  /**
   * The longest an `enqueue` outside the store's transaction may take (the wait for a pool client
   * and first use included, when pg-boss migrates its schema). Past it, it rejects with
   * `ERR_HOOKGUARD_QUEUE_UNAVAILABLE`, so acceptance answers 503 within the provider's deadline even
   * when PostgreSQL hangs. Inside the transaction of the `PostgresStore` the queue joins, the
   * store's `statementTimeoutMs` bounds the insert instead, as it bounds the store's own statements.
   * @default 5_000
   */
  enqueueTimeoutMs?: number;
  /**
   * Where workers report what they cannot do silently: a start still waiting for PostgreSQL (every
   * `enqueueTimeoutMs`), lock renewals that fail (at most once per `expireInSeconds`), a run aborted
   * because its lock lapsed, an outcome that could not be recorded (the job then runs again),
   * fetches that fail.
   * @default the receiver's logger (`receiver.work()` passes it), else consoleLogger
   */
  logger?: Logger;
  /** How long finished jobs stay in the job table (for `find`, `replay` and refusing a second copy). */
  retention?: {
    /**
     * Completed jobs, in seconds (pg-boss `archiveCompletedAfterSeconds`). At least the store's retention.
     * @default 259_200 (3 days)
     */
    completedSeconds?: number;
    /**
     * Dead-lettered jobs, in seconds (pg-boss `archiveFailedAfterSeconds`).
     * @default 2_592_000 (30 days)
     */
    deadSeconds?: number;
  };
};

type Resolved = {
  pool: Pool;
  name: string;
  schema: string;
  expireInSeconds: number;
  maintenanceIntervalSeconds: number;
  pollIntervalMs: number;
  enqueueTimeoutMs: number;
  completedSeconds: number;
  deadSeconds: number;
  logger: Logger | undefined;
};

// pg-boss's own retry limit is never reached: the worker decides the last attempt from the retry
// policy it is given (`work(…, { retry })`), which enqueue does not know. Expiry (a crashed worker)
// retries at once (delay 0) under pg-boss's rule, counting the attempt.
const ENGINE_RETRY_LIMIT = 1_000_000;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const TIMED_OUT = Symbol('timed out');

const PG_BOSS_QUEUE_OPTIONS: OptionNames<PgBossQueueOptions> = {
  pool: true,
  name: true,
  schema: true,
  expireInSeconds: true,
  maintenanceIntervalSeconds: true,
  pollIntervalMs: true,
  enqueueTimeoutMs: true,
  logger: true,
  retention: true,
};
const RETENTION_OPTIONS: OptionNames<NonNullable<PgBossQueueOptions['retention']>> = { completedSeconds: true, deadSeconds: true };

/**
 * The queue of queued mode on PostgreSQL, on pg-boss, over your `pg` Pool. Acceptance enqueues in
 * the dedup store's transaction (`joinsTransactionsOf` a `PostgresStore`), so the dedup record and
 * the job commit or roll back together. The job id derives from the dedup key, so pg-boss refuses a
 * second copy while it keeps the job; failed jobs stay as dead letters with their event and error;
 * a crashed worker's job expires and runs again.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import { PgBossQueue } from '@hookguard/pg-boss';
 *
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * const queue = new PgBossQueue({ pool });
 * await queue.enqueue(event);
 * const worker = await queue.work(async (event, { attempt, signal }) => {}, {
 *   concurrency: 8,
 *   retry: { attempts: 10, minDelayMs: 1_000, maxDelayMs: 3_600_000 },
 * });
 * ```
 */
export class PgBossQueue implements WebhookQueue {
  readonly name = 'pg-boss';
  readonly #options: Resolved;
  readonly #boss: PgBoss;
  readonly #statements: JobStatements;
  #starting: Promise<void> | undefined;
  /** The queue's own logger, else the receiver's once `work()` was given it. */
  #logger: Logger;
  #maintenanceLoggedAt = Number.NEGATIVE_INFINITY;
  /** Once first use is done: an enqueue then arms no timer for it. */
  #started = false;
  /** The `statementTimeoutMs` of the store whose transactions the queue joins ({@link joinsTransactionsOf}). */
  #transactionTimeoutMs: number | undefined;

  constructor(options: PgBossQueueOptions) {
    refuseUnknownOptions('new PgBossQueue()', options, PG_BOSS_QUEUE_OPTIONS);
    refuseUnknownOptions('new PgBossQueue(): retention', options?.retention, RETENTION_OPTIONS);
    this.#options = resolve(options);
    this.#logger = this.#options.logger ?? consoleLogger;
    const { pool, schema, maintenanceIntervalSeconds, completedSeconds, deadSeconds } = this.#options;
    this.#boss = new PgBoss({
      db: { executeSql: (text: string, values?: unknown[]) => pool.query(text, values) },
      schema,
      schedule: false,
      supervise: true,
      maintenanceIntervalSeconds,
      archiveCompletedAfterSeconds: completedSeconds,
      archiveFailedAfterSeconds: deadSeconds,
    });
    // pg-boss's 'error' event (without a listener it throws) reports its maintenance failing: while
    // it fails, jobs of workers that died are not expired, so they wait to run again. Said at most
    // once per maintenance interval; the failures of calls reach the calls that made them.
    this.#boss.on('error', (error: unknown) => {
      const now = Date.now();
      if (now - this.#maintenanceLoggedAt < maintenanceIntervalSeconds * 1000) return;
      this.#maintenanceLoggedAt = now;
      this.#logger.warn(
        { code: 'ERR_HOOKGUARD_QUEUE_UNAVAILABLE', queue: this.name, error: describeError(error) },
        "pg-boss's maintenance failed: jobs whose worker died are not expired and run again until it works; it retries by itself",
      );
    });
    this.#statements = jobStatements(schema);
  }

  /**
   * `true` for the PostgreSQL dedup store (`@hookguard/postgres`) on this queue's pool. Its
   * `statementTimeoutMs` then bounds the job insert in its transactions, as it bounds its own statements.
   */
  joinsTransactionsOf(store: DedupStore): boolean {
    if (store.name !== 'postgres') return false;
    const { pool, statementTimeoutMs } = store as { pool?: unknown; statementTimeoutMs?: unknown };
    // Only a store on this very pool: a store on another database cannot hold this queue's job.
    if (pool !== this.#options.pool) return false;
    if (typeof statementTimeoutMs === 'number') this.#transactionTimeoutMs = statementTimeoutMs;
    return true;
  }

  /**
   * Inserts the job, on `options.transaction` when given. On its own, `enqueueTimeoutMs` bounds it
   * all, the wait for a pool client and first use included. In the transaction of the store it
   * joined, that store's `statementTimeoutMs` bounds first use and the insert (in another
   * transaction, `enqueueTimeoutMs`); an insert cut off by it is still running on the transaction's
   * client, so its owner must destroy the client (the store does, and the server rolls back).
   */
  async enqueue(event: QueuedEvent, options: EnqueueOptions = {}): Promise<void> {
    const client = options.transaction as PoolClient | undefined;
    const storeTimeoutMs = client === undefined ? undefined : this.#transactionTimeoutMs;
    const timeoutMs = storeTimeoutMs ?? this.#options.enqueueTimeoutMs;
    const deadline = timeoutMs > 0 ? performance.now() + timeoutMs : Number.POSITIVE_INFINITY;
    try {
      // First use (pg-boss's migration, the queue's row) runs on the pool, never on the transaction.
      if (!this.#started) await beforeDeadline(this.#start(), deadline);
      const sending = this.#send(event, client ?? this.#options.pool, deadline);
      // On a transaction's client the insert's own timeout is the bound: giving up on it sooner
      // would hand the client back to the store while the insert still runs on it.
      await (client === undefined ? beforeDeadline(sending, deadline) : sending);
    } catch (error) {
      if (error !== TIMED_OUT && !isReadTimeout(error)) throw error;
      const option = storeTimeoutMs === undefined ? 'enqueueTimeoutMs' : "the store's statementTimeoutMs";
      throw new WebhookError(
        'ERR_HOOKGUARD_QUEUE_UNAVAILABLE',
        `PgBossQueue could not insert the job within ${option} (${timeoutMs} ms): PostgreSQL is unreachable or overloaded, or a lock is held on pg-boss's job table ("${this.#options.schema}".job). Check the database and its locks; raise ${option} if it is merely slow.`,
        error === TIMED_OUT ? {} : { cause: error },
      );
    }
  }

  async #send(event: QueuedEvent, db: Pool | PoolClient, deadline: number): Promise<void> {
    // pg's own statement timeout, as the store's statements have: it also catches a connection that
    // dropped silently, and pool.query destroys a client whose statement it gave up on.
    const executeSql = (text: string, values: unknown[] = []): Promise<QueryResult> => {
      const query: QueryConfig & { query_timeout: number | undefined } = {
        text,
        values,
        query_timeout: Number.isFinite(deadline) ? Math.max(1, Math.floor(deadline - performance.now())) : undefined,
      };
      return db.query(query);
    };
    // null when the id is taken: the job is kept in some state, and a second copy adds nothing.
    await this.#boss.send(this.#options.name, toJobData(event), {
      id: jobId(this.#options.name, event.key),
      retryLimit: ENGINE_RETRY_LIMIT,
      retryDelay: 0,
      retryBackoff: false,
      expireInSeconds: this.#options.expireInSeconds,
      db: { executeSql },
    });
  }

  async work(processor: JobProcessor, options: QueueWorkOptions): Promise<QueueWorker> {
    this.#logger = this.#options.logger ?? options.logger ?? this.#logger;
    // pg-boss's start (its migration, the queue's creation) waits on the pool as long as it takes,
    // and a stalled PostgreSQL reports no error.
    await whileWaiting(this.#start(), this.#options.enqueueTimeoutMs, (waitedMs) =>
      this.#logger.warn(
        { code: 'ERR_HOOKGUARD_QUEUE_UNAVAILABLE', queue: 'pg-boss', waitedMs },
        `the pg-boss worker has waited ${waitedMs} ms for PostgreSQL to answer and is not running yet; it keeps waiting. Check that PostgreSQL is reachable and not stalled`,
      ),
    );
    const { pool, name, pollIntervalMs, expireInSeconds, logger } = this.#options;
    return startWorker({ boss: this.#boss, pool, name, statements: this.#statements, pollIntervalMs, lockMs: expireInSeconds * 1000, logger }, processor, options);
  }

  async find(key: string): Promise<StoredJob | undefined> {
    await this.#start();
    const { rows } = await this.#options.pool.query<JobRow>(this.#statements.find, [this.#options.name, jobId(this.#options.name, key)]);
    return rows[0] === undefined ? undefined : storedJob(rows[0]);
  }

  async deadLetters(options: { limit?: number } = {}): Promise<StoredJob[]> {
    await this.#start();
    const { rows } = await this.#options.pool.query<JobRow>(this.#statements.dead, [this.#options.name, options.limit ?? 100]);
    return rows.map(storedJob);
  }

  async replay(key: string): Promise<boolean> {
    await this.#start();
    const { rowCount } = await this.#options.pool.query(this.#statements.replay, [this.#options.name, jobId(this.#options.name, key)]);
    return (rowCount ?? 0) > 0;
  }

  /** Stops pg-boss's maintenance in this process; never ends the pool. */
  async close(): Promise<void> {
    if (this.#starting === undefined) return;
    await this.#starting.catch(() => undefined);
    await this.#boss.stop({ graceful: false, close: false, wait: true });
  }

  /** Migrates pg-boss's schema and creates the queue once, on first use. */
  #start(): Promise<void> {
    this.#starting ??= (async () => {
      await this.#boss.start();
      await this.#boss.createQueue(this.#options.name);
      this.#started = true;
    })();
    // A failed start (database down) is tried again by the next call.
    this.#starting.catch(() => (this.#starting = undefined));
    return this.#starting;
  }
}

function resolve(options: PgBossQueueOptions): Resolved {
  const pool = (options as Partial<PgBossQueueOptions> | undefined)?.pool;
  if (typeof pool?.query !== 'function' || typeof pool.connect !== 'function') {
    throw new WebhookError(
      'ERR_HOOKGUARD_INVALID_OPTIONS',
      `PgBossQueue needs \`pool\`, a pg Pool; received ${pool === undefined ? 'none' : typeof pool}. Pass new PgBossQueue({ pool: new pg.Pool({ connectionString }) }).`,
    );
  }
  const schema = options.schema ?? 'pgboss';
  if (!IDENTIFIER.test(schema)) {
    throw new WebhookError('ERR_HOOKGUARD_INVALID_OPTIONS', `PgBossQueue option schema must be a plain identifier (letters, digits, underscores); received '${schema}'.`);
  }
  const whole = (label: string, value: number | undefined, fallback: number, min: number): number => {
    const chosen = value ?? fallback;
    if (!Number.isInteger(chosen) || chosen < min) {
      throw new WebhookError('ERR_HOOKGUARD_INVALID_OPTIONS', `PgBossQueue option ${label} must be a whole number of at least ${min}; received ${String(value)}.`);
    }
    return chosen;
  };
  return {
    pool,
    name: options.name ?? 'hookguard',
    schema,
    // pg-boss caps expiry below 24 hours.
    expireInSeconds: Math.min(whole('expireInSeconds', options.expireInSeconds, 60, 1), 86_399),
    maintenanceIntervalSeconds: whole('maintenanceIntervalSeconds', options.maintenanceIntervalSeconds, 30, 1),
    pollIntervalMs: whole('pollIntervalMs', options.pollIntervalMs, 500, 10),
    enqueueTimeoutMs: whole('enqueueTimeoutMs', options.enqueueTimeoutMs, 5_000, 1),
    completedSeconds: whole('retention.completedSeconds', options.retention?.completedSeconds, 259_200, 1),
    deadSeconds: whole('retention.deadSeconds', options.retention?.deadSeconds, 2_592_000, 1),
    logger: options.logger,
  };
}

/** `work`, or a rejection with {@link TIMED_OUT} at `deadline` (a `performance.now()` time) if it is later. */
async function beforeDeadline(work: Promise<void>, deadline: number): Promise<void> {
  if (!Number.isFinite(deadline)) return work;
  if ((await answeredWithin(work, Math.max(0, deadline - performance.now()))) === undefined) throw TIMED_OUT;
}

/** pg's `query_timeout` ran out: the statement went unanswered. */
function isReadTimeout(error: unknown): boolean {
  return error instanceof Error && error.message === 'Query read timeout';
}
