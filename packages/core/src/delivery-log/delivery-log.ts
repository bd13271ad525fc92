import type { ReceiveOutcome } from '../receiver/types.js';
import type { FlushOptions } from './write-buffer.js';

/**
 * How a logged delivery or job run ended: a receive outcome (`processed`, `duplicate`, `failed`, …)
 * or, for a queued job run that failed and will run again, `retried`.
 */
export type DeliveryLogOutcome = ReceiveOutcome | 'retried';

/** Every outcome a log record can carry, in display order. */
export const DELIVERY_LOG_OUTCOMES: readonly DeliveryLogOutcome[] = Object.freeze([
  'processed',
  'queued',
  'duplicate',
  'ignored',
  'in_progress',
  'retried',
  'failed',
  'dead_lettered',
  'rejected',
  'unavailable',
  'handshake',
]);

/** One delivery (an HTTP request) or one queued job run, as a delivery log keeps it. No secret, ever. */
export type DeliveryLogEntry = {
  /** When it ended, in epoch milliseconds (the receiver's clock). */
  at: number;
  /** The receiver's namespace. */
  namespace: string;
  /** `receive` for an HTTP delivery, `worker` for a queued job run. */
  source: 'receive' | 'worker';
  /** The provider's event id, once verified. */
  id: string | null;
  type: string | null;
  /** The dedup key, once computed. */
  key: string | null;
  outcome: DeliveryLogOutcome;
  /** The HTTP status answered; `null` for a job run. */
  status: number | null;
  attempt: number | null;
  durationMs: number;
  /** The `ERR_HOOKGUARD_*` code (or the error's name) behind a failure. */
  errorCode: string | null;
  /** What went wrong, at most 1 000 characters. */
  errorMessage: string | null;
  /** `true` when the delivery was answered as a duplicate. */
  duplicate: boolean;
  /** The verified payload, only when the log keeps payloads (`payloads: true`), redacted when stored outside the process. */
  payload?: unknown;
};

/** A logged entry with its position in the log. */
export type DeliveryLogRecord = DeliveryLogEntry & {
  /** The record's identity and cursor in its log: newer records sort after older ones. */
  seq: string;
};

/** What {@link DeliveryLog.list} returns. */
export type DeliveryLogQuery = {
  /** Only records of this outcome. */
  outcome?: DeliveryLogOutcome;
  /** Only this event type, or a `prefix.*` of types. */
  type?: string;
  /** Only this event id (or dedup key). */
  id?: string;
  /** Only this namespace. */
  namespace?: string;
  /** Records older than this cursor (a `seq` from an earlier page). */
  before?: string;
  /**
   * Most records returned.
   * @default 50
   */
  limit?: number;
};

/** A page of records, newest first, and the cursor of the next (older) page. */
export type DeliveryLogPage = {
  records: DeliveryLogRecord[];
  /** Pass as `before` for the next page; `undefined` when there is none. */
  next: string | undefined;
};

/** Counts per outcome. */
export type OutcomeCounts = Partial<Record<DeliveryLogOutcome, number>>;

/**
 * A bounded record of recent deliveries, kept in a store's own backend. The receiver calls
 * {@link DeliveryLog.record} for every delivery and job run; it must return at once and never throw:
 * backends buffer writes (bounded) and send them in the background, so a slow or failing log never
 * slows or fails a delivery. Every implementation passes the shared suite in
 * `@hookguard/core/testing/contracts` (`describeDeliveryLogContract`).
 *
 * @example
 * ```ts
 * import { MemoryDeliveryLog, createReceiver, standardWebhooks } from '@hookguard/core';
 *
 * const receiver = createReceiver({
 *   verifier: standardWebhooks({ secret: process.env.WEBHOOK_SECRET! }),
 *   deliveryLog: new MemoryDeliveryLog({ capacity: 10_000 }),
 * });
 * const { records } = await receiver.options.deliveryLog!.list({ outcome: 'failed' });
 * ```
 */
export interface DeliveryLog {
  /** Short name for logs (`memory`, `redis`, `postgres`). */
  readonly name: string;
  /** Whether entries carry the verified payload (the receiver passes it only then). */
  readonly payloads: boolean;
  /** Adds an entry. Returns at once; never throws. */
  record(entry: DeliveryLogEntry): void;
  /** Records newest first, filtered. */
  list(query?: DeliveryLogQuery): Promise<DeliveryLogPage>;
  /** One record by its `seq`. */
  get(seq: string): Promise<DeliveryLogRecord | undefined>;
  /** Records per outcome whose `at` is at or after `since` (epoch milliseconds). */
  counts(since: number, options?: { namespace?: string }): Promise<OutcomeCounts>;
  /**
   * Resolves once every entry recorded so far was written (or its write failed and was logged),
   * or, for a log kept outside the process, after `timeoutMs` (default 5 000) with a warning of
   * how many records were left unwritten.
   */
  flush(options?: FlushOptions): Promise<void>;
}

/** Whether a record passes a query's filters (not its cursor or limit). */
export function matchesQuery(record: DeliveryLogEntry, query: DeliveryLogQuery): boolean {
  if (query.outcome !== undefined && record.outcome !== query.outcome) return false;
  if (query.namespace !== undefined && record.namespace !== query.namespace) return false;
  if (query.id !== undefined && query.id !== '' && record.id !== query.id && record.key !== query.id) return false;
  if (query.type !== undefined && query.type !== '') {
    const type = record.type ?? '';
    if (query.type.endsWith('.*') ? !type.startsWith(query.type.slice(0, -1)) : type !== query.type) return false;
  }
  return true;
}

/** The page size asked for, bounded to 1-1000. */
export function pageLimit(query: DeliveryLogQuery): number {
  const limit = query.limit ?? 50;
  return Number.isInteger(limit) ? Math.min(Math.max(limit, 1), 1_000) : 50;
}
