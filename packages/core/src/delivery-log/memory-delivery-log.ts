import { refuseUnknownOptions, type OptionNames } from '../errors/unknown-options.js';
import { WebhookError } from '../errors/webhook-error.js';
import {
  matchesQuery,
  pageLimit,
  type DeliveryLog,
  type DeliveryLogEntry,
  type DeliveryLogPage,
  type DeliveryLogQuery,
  type DeliveryLogRecord,
  type OutcomeCounts,
} from './delivery-log.js';

/** Options for {@link MemoryDeliveryLog}. */
export type MemoryDeliveryLogOptions = {
  /**
   * Records kept; the oldest is overwritten by each new one past this.
   * @default 10_000
   */
  capacity?: number;
  /**
   * Keep each event's verified payload, by reference (this process's memory only; the inspector
   * redacts it when it shows it). Costs up to `capacity` payloads of memory.
   * @default false
   */
  payloads?: boolean;
};

const MEMORY_DELIVERY_LOG_OPTIONS: OptionNames<MemoryDeliveryLogOptions> = { capacity: true, payloads: true };

/**
 * A delivery log in this process's memory: a ring of the last `capacity` deliveries. Recording
 * is one array write. Not shared between processes: each process sees its own deliveries.
 *
 * @example
 * ```ts
 * import { MemoryDeliveryLog, createReceiver, standardWebhooks } from '@hookguard/core';
 *
 * const receiver = createReceiver({
 *   verifier: standardWebhooks({ secret: process.env.WEBHOOK_SECRET! }),
 *   deliveryLog: new MemoryDeliveryLog({ capacity: 5_000, payloads: true }),
 * });
 * ```
 */
export class MemoryDeliveryLog implements DeliveryLog {
  readonly name = 'memory';
  readonly payloads: boolean;
  readonly capacity: number;
  readonly #ring: (DeliveryLogRecord | undefined)[];
  /** Sequence number of the next record; record n lives at n % capacity. */
  #next = 1;

  constructor(options: MemoryDeliveryLogOptions = {}) {
    refuseUnknownOptions('new MemoryDeliveryLog()', options, MEMORY_DELIVERY_LOG_OPTIONS);
    const capacity = options.capacity ?? 10_000;
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 10_000_000) {
      throw new WebhookError('ERR_HOOKGUARD_INVALID_OPTIONS', `MemoryDeliveryLog: capacity must be an integer from 1 to 10000000; received ${String(capacity)}.`);
    }
    this.capacity = capacity;
    this.payloads = options.payloads === true;
    this.#ring = new Array<DeliveryLogRecord | undefined>(capacity);
  }

  record(entry: DeliveryLogEntry): void {
    const seq = this.#next++;
    // Field by field, not a spread: this runs once per delivery, and a spread copy costs more.
    const record: DeliveryLogRecord = {
      seq: String(seq),
      at: entry.at,
      namespace: entry.namespace,
      source: entry.source,
      id: entry.id,
      type: entry.type,
      key: entry.key,
      outcome: entry.outcome,
      status: entry.status,
      attempt: entry.attempt,
      durationMs: entry.durationMs,
      errorCode: entry.errorCode,
      errorMessage: entry.errorMessage,
      duplicate: entry.duplicate,
    };
    if (this.payloads && entry.payload !== undefined) record.payload = entry.payload;
    this.#ring[seq % this.capacity] = record;
  }

  async list(query: DeliveryLogQuery = {}): Promise<DeliveryLogPage> {
    const limit = pageLimit(query);
    const oldest = Math.max(1, this.#next - this.capacity);
    const before = query.before === undefined ? this.#next : Number(query.before);
    const records: DeliveryLogRecord[] = [];
    let seq = Math.min(Number.isInteger(before) ? before : this.#next, this.#next) - 1;
    for (; seq >= oldest && records.length < limit; seq--) {
      const record = this.#ring[seq % this.capacity];
      if (record !== undefined && matchesQuery(record, query)) records.push(record);
    }
    const last = records.at(-1);
    return { records, next: records.length === limit && seq >= oldest && last !== undefined ? last.seq : undefined };
  }

  async get(seq: string): Promise<DeliveryLogRecord | undefined> {
    const number = Number(seq);
    if (!Number.isInteger(number) || number < Math.max(1, this.#next - this.capacity) || number >= this.#next) return undefined;
    return this.#ring[number % this.capacity];
  }

  async counts(since: number, options: { namespace?: string } = {}): Promise<OutcomeCounts> {
    const counts: OutcomeCounts = {};
    const oldest = Math.max(1, this.#next - this.capacity);
    for (let seq = this.#next - 1; seq >= oldest; seq--) {
      const record = this.#ring[seq % this.capacity];
      if (record === undefined || record.at < since) break;
      if (options.namespace !== undefined && record.namespace !== options.namespace) continue;
      counts[record.outcome] = (counts[record.outcome] ?? 0) + 1;
    }
    return counts;
  }

  async flush(): Promise<void> {}
}
