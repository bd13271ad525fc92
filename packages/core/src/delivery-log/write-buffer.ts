import { describeError } from '../errors/describe-error.js';
import type { Logger } from '../logging/logger.js';
import { answeredWithin } from '../timers/answered-within.js';

/** Options for {@link WriteBuffer}. */
export type WriteBufferOptions<Entry> = {
  /** Writes one batch to the backend; one write runs at a time. */
  write(batch: Entry[]): Promise<void>;
  /** Entries held while the backend is slow or down; past it the oldest are dropped (and counted). */
  maxPending: number;
  /** Where the first failure (and the recovery) is logged. */
  logger: Logger;
  /** Names the log in messages (`RedisDeliveryLog`). */
  name: string;
  /**
   * How long a first entry waits for others to join its batch, in milliseconds (an `unref`'d
   * timer); 0 batches what arrives within one turn of the event loop. A batch of `maxBatch` goes at once.
   * @default 0
   */
  delayMs?: number;
  /** @default 500 */
  maxBatch?: number;
};

/** Options for a delivery log's `flush()`. */
export type FlushOptions = {
  /**
   * The longest `flush()` waits for the backend, in milliseconds; past it, it resolves and logs
   * how many records are still unwritten.
   * @default 5_000
   */
  timeoutMs?: number;
};

const DEFAULT_FLUSH_TIMEOUT_MS = 5_000;

/**
 * The background writer of delivery logs kept outside the process: `push` returns at once, entries
 * are sent in batches, one write at a time, at most `maxPending` wait (the oldest go first when the
 * backend falls behind), and a failing backend is logged once, not once per delivery: a log must
 * never slow or fail a delivery.
 *
 * @example
 * ```ts
 * const buffer = new WriteBuffer({ name: 'MyLog', maxPending: 1_000, logger, write: (batch) => insertAll(batch) });
 * buffer.push(entry);
 * await buffer.flush();
 * ```
 */
export class WriteBuffer<Entry> {
  readonly #options: WriteBufferOptions<Entry>;
  #pending: Entry[] = [];
  #writing: Promise<void> | undefined;
  #scheduled = false;
  #failing = false;
  /** Entries dropped since the last log line about it. */
  #dropped = 0;
  /** Entries of the write under way. */
  #inWrite = 0;

  constructor(options: WriteBufferOptions<Entry>) {
    this.#options = options;
  }

  push(entry: Entry): void {
    if (this.#pending.length >= this.#options.maxPending) {
      this.#pending.shift();
      this.#dropped++;
    }
    this.#pending.push(entry);
    if (this.#writing !== undefined) return;
    if (this.#pending.length >= (this.#options.maxBatch ?? 500)) {
      this.#drain();
      return;
    }
    if (this.#scheduled) return;
    this.#scheduled = true;
    const delayMs = this.#options.delayMs ?? 0;
    // Every delivery finishing meanwhile joins one batch: one round trip for many records.
    // Never holds the process open (`unref`, where timers have it: Node, Bun, Deno).
    const timer: unknown = setTimeout(() => this.#fire(), delayMs);
    (timer as { unref?: () => void }).unref?.();
  }

  #fire(): void {
    this.#scheduled = false;
    this.#drain();
  }

  /**
   * Resolves once every entry pushed so far was written or failed, or after `timeoutMs` (default
   * 5 000) with a warning saying how many were left: a backend that takes the connection and never
   * answers (a frozen server) would otherwise hold a shutdown that flushes forever.
   */
  async flush(options: FlushOptions = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_FLUSH_TIMEOUT_MS;
    if ((await answeredWithin(this.#flushAll(), timeoutMs)) !== undefined) return;
    const unwritten = this.#pending.length + this.#inWrite;
    this.#options.logger.warn(
      { code: 'ERR_HOOKGUARD_STORE_UNAVAILABLE', unwritten },
      `${this.#options.name}: flush() gave up after ${timeoutMs} ms with ${unwritten} record(s) unwritten; the backend is not answering`,
    );
  }

  async #flushAll(): Promise<void> {
    while (this.#writing !== undefined || this.#pending.length > 0) {
      if (this.#writing === undefined) this.#drain();
      await this.#writing;
    }
  }

  #drain(): void {
    if (this.#writing !== undefined || this.#pending.length === 0) return;
    const batch = this.#pending.splice(0, this.#options.maxBatch ?? 500);
    this.#inWrite = batch.length;
    this.#writing = this.#write(batch).finally(() => {
      this.#writing = undefined;
      this.#inWrite = 0;
      if (this.#pending.length > 0) this.#drain();
    });
  }

  async #write(batch: Entry[]): Promise<void> {
    try {
      await this.#options.write(batch);
      if (this.#failing) {
        this.#failing = false;
        this.#options.logger.warn({ dropped: this.#dropped }, `${this.#options.name}: writing the delivery log works again`);
        this.#dropped = 0;
      }
    } catch (error) {
      this.#dropped += batch.length;
      if (this.#failing) return;
      // Once until it works again: a log down must not flood the logs it shares with the receiver.
      this.#failing = true;
      this.#options.logger.error(
        { code: 'ERR_HOOKGUARD_STORE_UNAVAILABLE', error: describeError(error) },
        `${this.#options.name}: writing the delivery log failed; deliveries go on, their records are dropped until it works again`,
      );
    }
  }
}
