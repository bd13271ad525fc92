import {
  WebhookError,
  WriteBuffer,
  consoleLogger,
  matchesQuery,
  pageLimit,
  redactSecrets,
  storedPayload,
  type DeliveryLog,
  type DeliveryLogEntry,
  type DeliveryLogPage,
  type DeliveryLogQuery,
  type DeliveryLogRecord,
  type FlushOptions,
  type StoredDeliveryLogOptions,
  type Logger,
  type OutcomeCounts,
  type Redactor,
  refuseUnknownOptions,
  type OptionNames,
  STORED_DELIVERY_LOG_OPTIONS,
} from '@hookguard/core';
import type { RedisClient } from './script-runner.js';

/** Options for {@link RedisDeliveryLog}. */
export type RedisDeliveryLogOptions = StoredDeliveryLogOptions & {
  /** Your ioredis client (`Redis` or `Cluster`); the log never connects or closes it. */
  client: RedisClient;
  /**
   * Prepended to the log's keys: the stream `<prefix>{deliveries}` and the counts hashes
   * `<prefix>{deliveries}:counts:<namespace>` (one hash tag: on a Cluster they share a slot, so a
   * batch goes in one pipeline).
   * @default 'hookguard:'
   */
  prefix?: string;
  /**
   * Records kept: the stream is capped with `XADD … MAXLEN ~ maxLength`, so Redis trims it in
   * whole nodes and may keep up to about 100 more.
   * @default 10_000
   */
  maxLength?: number;
};

const MINUTE = 60_000;
/** How long minute counts are kept: the inspector asks for the last hour. */
const COUNT_HORIZON_MINUTES = 180;

const REDIS_DELIVERY_LOG_OPTIONS: OptionNames<RedisDeliveryLogOptions> = { ...STORED_DELIVERY_LOG_OPTIONS, client: true, prefix: true, maxLength: true };

/**
 * A delivery log in Redis: a stream capped with `XADD MAXLEN ~`, written in the background in
 * batches (one round trip per batch), with per-minute outcome counts in one hash per namespace.
 * Shared by every process on the same Redis.
 *
 * @example
 * ```ts
 * import { createReceiver, standardWebhooks } from '@hookguard/core';
 * import { RedisDeliveryLog, RedisStore } from '@hookguard/redis';
 * import { Redis } from 'ioredis';
 *
 * const client = new Redis(process.env.REDIS_URL!);
 * const receiver = createReceiver({
 *   verifier: standardWebhooks({ secret: process.env.WEBHOOK_SECRET! }),
 *   store: new RedisStore({ client }),
 *   namespace: 'mail',
 *   deliveryLog: new RedisDeliveryLog({ client }),
 * });
 * ```
 */
export class RedisDeliveryLog implements DeliveryLog {
  readonly name = 'redis';
  readonly payloads: boolean;
  readonly #client: RedisClient;
  readonly #stream: string;
  readonly #countsPrefix: string;
  readonly #maxLength: number;
  readonly #redact: Redactor;
  readonly #maxPayloadBytes: number;
  readonly #buffer: WriteBuffer<DeliveryLogEntry>;
  #prunedMinute = 0;

  constructor(options: RedisDeliveryLogOptions) {
    refuseUnknownOptions('new RedisDeliveryLog()', options, REDIS_DELIVERY_LOG_OPTIONS);
    if (typeof options?.client?.xadd !== 'function') {
      throw new WebhookError('ERR_HOOKGUARD_INVALID_OPTIONS', 'RedisDeliveryLog needs an ioredis client: new RedisDeliveryLog({ client: new Redis(url) }).');
    }
    const maxLength = options.maxLength ?? 10_000;
    if (!Number.isInteger(maxLength) || maxLength < 1) {
      throw new WebhookError('ERR_HOOKGUARD_INVALID_OPTIONS', `RedisDeliveryLog: maxLength must be a positive integer; received ${String(maxLength)}.`);
    }
    const prefix = options.prefix ?? 'hookguard:';
    this.#client = options.client;
    this.#stream = `${prefix}{deliveries}`;
    this.#countsPrefix = `${prefix}{deliveries}:counts:`;
    this.#maxLength = maxLength;
    this.payloads = options.payloads === true;
    this.#redact = options.redact ?? redactSecrets;
    this.#maxPayloadBytes = options.maxPayloadBytes ?? 16_384;
    this.#buffer = new WriteBuffer({ name: 'RedisDeliveryLog', maxPending: options.maxPending ?? 1_000, delayMs: options.batchDelayMs ?? 50, logger: options.logger ?? consoleLogger, write: (batch) => this.#write(batch) });
  }

  record(entry: DeliveryLogEntry): void {
    this.#buffer.push(entry);
  }

  flush(options?: FlushOptions): Promise<void> {
    return this.#buffer.flush(options);
  }

  async #write(batch: DeliveryLogEntry[]): Promise<void> {
    const pipeline = this.#client.pipeline();
    const counts = new Map<string, Map<string, number>>();
    let newest = 0;
    for (const entry of batch) {
      pipeline.xadd(this.#stream, 'MAXLEN', '~', this.#maxLength, '*', 'e', this.#serialize(entry));
      const fields = counts.get(entry.namespace) ?? new Map<string, number>();
      const field = `${Math.floor(entry.at / MINUTE)}:${entry.outcome}`;
      fields.set(field, (fields.get(field) ?? 0) + 1);
      counts.set(entry.namespace, fields);
      newest = Math.max(newest, entry.at);
    }
    for (const [namespace, fields] of counts) {
      for (const [field, count] of fields) pipeline.hincrby(this.#countsPrefix + namespace, field, count);
    }
    const replies = (await pipeline.exec()) ?? [];
    for (const [error] of replies) if (error !== null) throw error;
    const minute = Math.floor(newest / MINUTE);
    if (minute > this.#prunedMinute) {
      this.#prunedMinute = minute;
      await Promise.all([...counts.keys()].map((namespace) => this.#pruneCounts(namespace, minute - COUNT_HORIZON_MINUTES)));
    }
  }

  async #pruneCounts(namespace: string, oldestMinute: number): Promise<void> {
    const key = this.#countsPrefix + namespace;
    const stale = (await this.#client.hkeys(key)).filter((field) => Number(field.slice(0, field.indexOf(':'))) < oldestMinute);
    if (stale.length > 0) await this.#client.hdel(key, ...stale);
  }

  #serialize(entry: DeliveryLogEntry): string {
    if (!this.payloads || entry.payload === undefined) {
      const { payload: _omitted, ...rest } = entry;
      return JSON.stringify(rest);
    }
    return JSON.stringify({ ...entry, payload: storedPayload(entry.payload, this.#redact, this.#maxPayloadBytes).value });
  }

  async list(query: DeliveryLogQuery = {}): Promise<DeliveryLogPage> {
    const limit = pageLimit(query);
    const records: DeliveryLogRecord[] = [];
    let end = query.before !== undefined && isStreamId(query.before) ? `(${query.before}` : '+';
    const chunk = Math.max(limit * 4, 200);
    for (;;) {
      const entries = await this.#client.xrevrange(this.#stream, end, '-', 'COUNT', chunk);
      for (const [seq, fields] of entries) {
        const record = parse(seq, fields);
        if (record !== undefined && matchesQuery(record, query)) {
          records.push(record);
          if (records.length === limit) return { records, next: seq };
        }
      }
      const last = entries.at(-1);
      if (entries.length < chunk || last === undefined) return { records, next: undefined };
      end = `(${last[0]}`;
    }
  }

  async get(seq: string): Promise<DeliveryLogRecord | undefined> {
    if (!isStreamId(seq)) return undefined;
    const [entry] = await this.#client.xrange(this.#stream, seq, seq);
    return entry === undefined ? undefined : parse(entry[0], entry[1]);
  }

  async counts(since: number, options: { namespace?: string } = {}): Promise<OutcomeCounts> {
    const namespaces = options.namespace === undefined ? await this.#namespaces() : [options.namespace];
    const counts: OutcomeCounts = {};
    const first = Math.floor(since / MINUTE);
    for (const namespace of namespaces) {
      const fields = await this.#client.hgetall(this.#countsPrefix + namespace);
      for (const [field, value] of Object.entries(fields)) {
        const separator = field.indexOf(':');
        if (Number(field.slice(0, separator)) < first) continue;
        const outcome = field.slice(separator + 1) as keyof OutcomeCounts;
        counts[outcome] = (counts[outcome] ?? 0) + Number(value);
      }
    }
    return counts;
  }

  async #namespaces(): Promise<string[]> {
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await (this.#client as import('ioredis').Redis).scan(cursor, 'MATCH', `${this.#countsPrefix}*`, 'COUNT', 200);
      cursor = next;
      for (const key of keys) found.push(key.slice(this.#countsPrefix.length));
    } while (cursor !== '0');
    return found;
  }
}

function isStreamId(value: string): boolean {
  return /^\d{1,20}-\d{1,20}$/.test(value);
}

function parse(seq: string, fields: string[]): DeliveryLogRecord | undefined {
  const index = fields.indexOf('e');
  if (index === -1 || fields[index + 1] === undefined) return undefined;
  try {
    return { ...(JSON.parse(fields[index + 1]!) as DeliveryLogEntry), seq };
  } catch {
    return undefined;
  }
}
