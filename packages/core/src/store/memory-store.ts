import { refuseUnknownOptions, type OptionNames } from '../errors/unknown-options.js';
import { capLastError, type ClaimOptions, type ClaimResult, type CompleteOptions, type DedupStore, type ReleaseOptions } from './dedup-store.js';
import { cryptoBackend } from '../crypto/index.js';
import { WebhookError } from '../errors/webhook-error.js';

/** Options for {@link MemoryStore}. */
export type MemoryStoreOptions = {
  /**
   * Clock in epoch milliseconds; inject one in tests.
   * @default Date.now
   */
  now?: () => number;
  /**
   * How often expired records are swept, an integer from 1 to 2_147_483_647 (the longest a timer
   * waits). Expired records are also ignored on read, so this bounds memory, not correctness.
   * @default 60_000
   */
  sweepIntervalMs?: number;
};

const MAX_TIMER_MS = 2_147_483_647;
/**
 * Completions remembered so a repeated `complete` is recognised: the latest 1024, as a ring of
 * keys (the completed maps hold those strings anyway) and token numbers (a typed array). Keeping
 * the token strings instead kept each alive for a thousand deliveries, long enough to reach the old
 * generation: 3 % of the instructions of a new event went to collecting them (issue 20). A power
 * of two, so the ring's index wraps with a mask.
 */
const RECENT_COMPLETIONS = 1024;
/**
 * Completions between two looks at the oldest records of their retention, which drop what has
 * expired: under a sustained stream of new events memory stays that of one retention's ids, not of
 * everything completed since the last timed sweep (issue 20).
 */
const EVICT_EVERY = 64;

type InFlightRecord = {
  /** `undefined` once released: claimable at once, attempt count kept. */
  token: string | undefined;
  /** The token that released the record, so a repeated release is recognised. */
  releasedBy: string | undefined;
  /** Attempts counted so far: the one in flight, or the last released one (minus uncounted ones). */
  attempt: number;
  lastError: string | undefined;
  leaseUntil: number;
  expiresAt: number;
  fingerprint: string | undefined;
  /** The number in `token`, after the store's prefix. */
  tokenNumber: number;
};

/** The key of {@link MemoryStore}'s permanent in-flight entry: no string key can equal it. */
const KEEP_TABLE: unique symbol = Symbol('keep table');
/** Held forever, never released: neither a sweep nor `close()` drops it. */
const KEEP_TABLE_RECORD: InFlightRecord = Object.freeze({
  token: '',
  releasedBy: undefined,
  attempt: 0,
  lastError: undefined,
  leaseUntil: Number.POSITIVE_INFINITY,
  expiresAt: Number.POSITIVE_INFINITY,
  fingerprint: undefined,
  tokenNumber: 0,
});

// A completed record is one small integer, so memory per remembered id stays under that of a
// Map<string, number> (issue 9, B8) and the collector has nothing of its own to visit for it: V8
// keeps an integer below 2^30 inside the map's table (a Smi), where a larger number or a fraction
// is an object of its own (issue 20). The integer is the record's expiry, in units of 1/4096 of
// its retention counted from `origin` and rounded up, modulo 2^14, times 2^16, plus a 16-bit
// fingerprint digest (0 = none).
//
// A record is read against the clock: its expiry is the unit count equal to the stored one modulo
// 2^14 that lies at most LIVE_UNITS ahead of now. A live record lies at most 4097 units ahead (the
// retention and its rounding), so a clock set back by up to about a retention still reads it live.
// A record read is never more than 8194 units past its expiry (see `#dropExpired`), so it is never
// mistaken for a live one.
const FINGERPRINT_SLOTS = 65_536;
const UNITS_PER_RETENTION = 4096;
const UNIT_WRAP = 16_384;
const LIVE_UNITS = UNIT_WRAP - (2 * UNITS_PER_RETENTION + 2) - 1;

/** The completed records of one retention. */
type Retained = {
  /** key → packed expiry and fingerprint, in expiry order (the order of completion). */
  readonly byKey: Map<string, number>;
  readonly retentionMs: number;
  /** Milliseconds per unit of expiry: 1/4096 of the retention, rounded up to a whole millisecond or more. */
  readonly unitMs: number;
  /** When expired records were last dropped: every record left expires after it. */
  droppedAt: number;
};

function fingerprintDigest(fingerprint: string | undefined): number {
  if (fingerprint === undefined) return 0;
  let hash = 0x811c9dc5;
  for (let index = 0; index < fingerprint.length; index++) {
    hash = Math.imul(hash ^ fingerprint.charCodeAt(index), 0x01000193);
  }
  return ((hash >>> 0) % (FINGERPRINT_SLOTS - 1)) + 1;
}

/**
 * A store's claim and completion answered without a promise: the inline pipeline's fast path
 * (internal, not part of the package's exports). Same results as `claim` and `complete`; a failure
 * is thrown instead of rejected.
 */
export type ImmediateAnswers = {
  claim(key: string, options: ClaimOptions): ClaimResult;
  complete(key: string, token: string, options: CompleteOptions): boolean;
};

/**
 * The memory store's {@link ImmediateAnswers}, or `undefined` for any other store, and for a memory
 * store whose `claim` or `complete` was replaced (a spy, a subclass) or that is reached through a
 * proxy: those are called as they are.
 */
export let immediateAnswers: (store: DedupStore) => ImmediateAnswers | undefined;

const MEMORY_STORE_OPTIONS: OptionNames<MemoryStoreOptions> = { now: true, sweepIntervalMs: true };

/**
 * The embedded default store: exact, in this process only. Completed ids live in insertion-ordered
 * maps, one per retention, so expiry sweeps only what has expired and never scans live keys.
 *
 * Use it for a single process. With several processes behind a load balancer each has its own
 * memory and a redelivery that lands elsewhere runs again: use `@hookguard/redis` or
 * `@hookguard/postgres` there.
 *
 * @example
 * ```ts
 * const store = new MemoryStore();
 * const receiver = createReceiver({ verifier, store });
 * // on shutdown
 * await store.close();
 * ```
 */
export class MemoryStore implements DedupStore {
  readonly name = 'memory';
  readonly exact = true;
  readonly shared = false;

  readonly #now: () => number;
  /**
   * Epoch of the packed expiry times, taken at the first completion rather than at construction:
   * workerd's clock reads 0 at module scope, where a Worker builds its store.
   */
  #origin: number | undefined;
  readonly #sweepIntervalMs: number;
  /**
   * Claims in flight, and one entry that never leaves ({@link KEEP_TABLE}): a Map that each delivery
   * fills and empties reallocates its table every time (about 150 bytes a delivery); one that
   * never empties does not.
   */
  readonly #inFlight = new Map<string | typeof KEEP_TABLE, InFlightRecord>([[KEEP_TABLE, KEEP_TABLE_RECORD]]);
  /** retentionMs → that retention's completed records (key → packed expiry and fingerprint). */
  readonly #completed = new Map<number, Retained>();
  readonly #results = new Map<string, string>();
  /** Keys of the latest {@link RECENT_COMPLETIONS} completions, a ring written at {@link #recentNext}. */
  readonly #recentKeys = new Array<string | undefined>(RECENT_COMPLETIONS).fill(undefined);
  /** The number of the token of each completion in {@link #recentKeys}, at the same index. */
  readonly #recentTokenNumbers = new Float64Array(RECENT_COMPLETIONS);
  #recentNext = 0;
  /**
   * Tokens are this store's random prefix and a count: unique like a UUID per claim, for the price
   * of one UUID per store. Drawn at the first claim (Workers forbid random values at module scope).
   */
  #tokenPrefix: string | undefined;
  #tokenCount = 0;
  /** The most recently created retention: the only one when `#completed.size` is 1. */
  #latest: Retained | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #closed = false;
  #completions = 0;

  /** Answers for the inline pipeline: one object per store, so a delivery allocates nothing for them. */
  readonly #immediate: ImmediateAnswers = {
    claim: (key, options) => this.#claim(key, options),
    complete: (key, token, options) => this.#complete(key, token, options),
  };

  static {
    const { claim, complete } = MemoryStore.prototype;
    immediateAnswers = (store) => (#immediate in store && store.claim === claim && store.complete === complete ? store.#immediate : undefined);
  }

  constructor(options: MemoryStoreOptions = {}) {
    refuseUnknownOptions('new MemoryStore()', options, MEMORY_STORE_OPTIONS);
    const { now = Date.now, sweepIntervalMs = 60_000 } = options;
    if (typeof now !== 'function') {
      throw new WebhookError('ERR_HOOKGUARD_INVALID_OPTIONS', `MemoryStore \`now\` must be a function returning epoch milliseconds; received ${typeof now}.`);
    }
    if (typeof sweepIntervalMs !== 'number' || !Number.isInteger(sweepIntervalMs) || sweepIntervalMs < 1 || sweepIntervalMs > MAX_TIMER_MS) {
      throw new WebhookError(
        'ERR_HOOKGUARD_INVALID_OPTIONS',
        `MemoryStore \`sweepIntervalMs\` must be an integer number of milliseconds from 1 to ${MAX_TIMER_MS} (the longest a timer waits); ` +
          `received ${String(sweepIntervalMs)}. Omit it for the default of 60000.`,
      );
    }
    this.#now = now;
    this.#sweepIntervalMs = sweepIntervalMs;
  }

  /** Number of records held (in flight, released and completed, expired or not yet swept). */
  get size(): number {
    let size = this.#inFlight.size - 1;
    for (const { byKey } of this.#completed.values()) size += byKey.size;
    return size;
  }

  claim(key: string, options: ClaimOptions): Promise<ClaimResult> {
    try {
      return Promise.resolve(this.#claim(key, options));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  complete(key: string, token: string, options: CompleteOptions): Promise<boolean> {
    try {
      return Promise.resolve(this.#complete(key, token, options));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #claim(key: string, options: ClaimOptions): ClaimResult {
    if (this.#closed) {
      // A redelivery must not run beside a handler still running in this process (issue 15, item 7):
      // the store is gone for new work, which the receiver answers 503 (the provider retries).
      throw new WebhookError(
        'ERR_HOOKGUARD_STORE_UNAVAILABLE',
        'The MemoryStore was closed, so it claims nothing more: a redelivery could otherwise run beside a handler still running. ' +
          'Close the store after the server stopped taking requests, or create a new MemoryStore.',
      );
    }
    this.#startSweeping();
    const now = this.#now();
    const record = this.#inFlight.get(key);
    if (record !== undefined) {
      if (record.token !== undefined && record.leaseUntil > now) {
        return { status: 'processing', retryAfterMs: record.leaseUntil - now };
      }
      const expired = record.expiresAt <= now;
      const token = this.#newToken();
      const lastError = expired ? undefined : record.lastError;
      const next: InFlightRecord = {
        token,
        releasedBy: undefined,
        attempt: expired ? 1 : record.attempt + 1,
        lastError,
        leaseUntil: now + options.leaseMs,
        expiresAt: Math.max(expired ? now + options.retentionMs : record.expiresAt, now + options.leaseMs),
        fingerprint: options.fingerprint,
        tokenNumber: this.#tokenCount,
      };
      this.#inFlight.set(key, next);
      return lastError === undefined ? { status: 'claimed', token, attempt: next.attempt } : { status: 'claimed', token, attempt: next.attempt, lastError };
    }
    const completed = this.#findCompleted(key, now);
    if (completed !== undefined) {
      const stored = completed % FINGERPRINT_SLOTS;
      const offered = fingerprintDigest(options.fingerprint);
      const answer: ClaimResult = { status: 'completed', fingerprintMatches: stored === 0 || offered === 0 ? undefined : stored === offered };
      // Only dead letters record a result: most stores hold none, and then no lookup is needed.
      const result = this.#results.size === 0 ? undefined : this.#results.get(key);
      if (result !== undefined) answer.result = JSON.parse(result) as unknown;
      return answer;
    }
    const token = this.#newToken();
    this.#inFlight.set(key, {
      token,
      releasedBy: undefined,
      attempt: 1,
      lastError: undefined,
      leaseUntil: now + options.leaseMs,
      expiresAt: now + Math.max(options.retentionMs, options.leaseMs),
      fingerprint: options.fingerprint,
      tokenNumber: this.#tokenCount,
    });
    return { status: 'claimed', token, attempt: 1 };
  }

  #complete(key: string, token: string, options: CompleteOptions): boolean {
    const record = this.#inFlight.get(key);
    if (record !== undefined && record.token !== token) return false;
    if (record === undefined) {
      return this.#completedRecently(key, token) && this.#findCompleted(key, this.#now()) !== undefined;
    }
    // Serialised now, so later mutation by the caller cannot change what duplicates receive.
    const result = options.result === undefined ? undefined : JSON.stringify(options.result);
    this.#inFlight.delete(key);
    // After close() nothing claims any more: the handler's success is acknowledged, not stored.
    if (this.#closed) return true;
    const now = this.#now();
    const { retentionMs } = options;
    let retained = this.#completed.get(retentionMs);
    if (retained === undefined) {
      retained = { byKey: new Map(), retentionMs, unitMs: Math.max(1, Math.ceil(retentionMs / UNITS_PER_RETENTION)), droppedAt: now };
      this.#completed.set(retentionMs, retained);
      this.#latest = retained;
    }
    // Before the record is added, so none is added more than a retention after the last drop.
    if (++this.#completions % EVICT_EVERY === 0) this.#dropExpired(retained, now);
    else this.#dropWhenDue(retained, now);
    const expiryUnits = Math.ceil((now + retentionMs - (this.#origin ??= now)) / retained.unitMs);
    retained.byKey.set(key, wrapUnits(expiryUnits) * FINGERPRINT_SLOTS + fingerprintDigest(record.fingerprint));
    if (result !== undefined) this.#results.set(key, result);
    // Bounded, unlike the completed maps, which keep one number per key (issue 9, B8): a repeated
    // complete comes right after the first one or not at all.
    const slot = this.#recentNext;
    this.#recentKeys[slot] = key;
    this.#recentTokenNumbers[slot] = record.tokenNumber;
    this.#recentNext = (slot + 1) & (RECENT_COMPLETIONS - 1);
    return true;
  }

  /** Whether `token` completed `key` among the latest completions (a rare question: a scan). */
  #completedRecently(key: string, token: string): boolean {
    for (let slot = 0; slot < RECENT_COMPLETIONS; slot++) {
      if (this.#recentKeys[slot] === key && `${this.#tokenPrefix}${this.#recentTokenNumbers[slot]}` === token) return true;
    }
    return false;
  }

  release(key: string, token: string, options: ReleaseOptions = {}): Promise<boolean> {
    const record = this.#inFlight.get(key);
    if (record === undefined) return Promise.resolve(false);
    if (record.token !== token) return Promise.resolve(record.token === undefined && record.releasedBy === token);
    if (this.#closed) {
      this.#inFlight.delete(key);
      return Promise.resolve(true);
    }
    record.token = undefined;
    record.releasedBy = token;
    if (options.uncounted === true) record.attempt--;
    if (options.lastError !== undefined) record.lastError = capLastError(options.lastError);
    return Promise.resolve(true);
  }

  extend(key: string, token: string, leaseMs: number): Promise<boolean> {
    const record = this.#inFlight.get(key);
    if (record === undefined || record.token !== token) return Promise.resolve(false);
    record.leaseUntil = this.#now() + leaseMs;
    record.expiresAt = Math.max(record.expiresAt, record.leaseUntil);
    return Promise.resolve(true);
  }

  /** Drops expired records now. Runs on its own every `sweepIntervalMs`. */
  sweep(): void {
    const now = this.#now();
    for (const [key, record] of this.#inFlight) {
      if (record.expiresAt <= now && (record.token === undefined || record.leaseUntil <= now)) this.#inFlight.delete(key);
    }
    for (const retained of this.#completed.values()) this.#dropExpired(retained, now);
  }

  /**
   * Drops a retention's expired records: the oldest ones, since each map is in expiry order.
   *
   * Every record expires after the previous drop, and none was added more than a retention after
   * it ({@link #dropWhenDue}), so each expires within two retentions and a unit of that drop: one
   * read later than that could have wrapped, but then every record has expired. Otherwise a record
   * read here or in {@link #findIn} (which drops first when a retention has passed) is at most two
   * retentions and two units past its expiry, which {@link LIVE_UNITS} leaves room for.
   */
  #dropExpired(retained: Retained, now: number): void {
    const { byKey } = retained;
    if (now - retained.droppedAt > 2 * (retained.retentionMs + retained.unitMs)) {
      if (this.#results.size > 0) for (const key of byKey.keys()) this.#results.delete(key);
      byKey.clear();
    } else {
      for (const [key, packed] of byKey) {
        if (this.#isLive(packed, retained, now)) break;
        byKey.delete(key);
        this.#results.delete(key);
      }
    }
    // Never set back with the clock: records added before it was set back may expire later than now.
    retained.droppedAt = Math.max(retained.droppedAt, now);
  }

  /**
   * Drops a retention's expired records when a retention has passed since the last drop: what
   * {@link #dropExpired} relies on to read every record exactly, before a record is read or added.
   */
  #dropWhenDue(retained: Retained, now: number): void {
    if (now - retained.droppedAt > retained.retentionMs) this.#dropExpired(retained, now);
  }

  /**
   * Stops the sweep timer and forgets every completed record. From then on every claim rejects
   * with `ERR_HOOKGUARD_STORE_UNAVAILABLE` (the receiver answers 503, and the provider retries),
   * so a redelivery never runs beside a handler still running; those handlers can still
   * `complete`, `release` and `extend` their claims.
   */
  close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    for (const [key, record] of this.#inFlight) if (record.token === undefined) this.#inFlight.delete(key);
    this.#completed.clear();
    this.#latest = undefined;
    this.#results.clear();
    this.#recentKeys.fill(undefined);
    this.#recentTokenNumbers.fill(0);
    return Promise.resolve();
  }

  /** A new token: the prefix and the next number, which {@link #tokenCount} then holds. */
  #newToken(): string {
    this.#tokenPrefix ??= `${cryptoBackend.randomId()}:`;
    return this.#tokenPrefix + String(++this.#tokenCount);
  }

  /**
   * Whether a completed record expires after `now`. Its expiry is the unit count equal to the
   * stored one modulo {@link UNIT_WRAP} that lies at most {@link LIVE_UNITS} ahead of now.
   */
  #isLive(packed: number, retained: Retained, now: number): boolean {
    const elapsed = now - (this.#origin ?? now);
    const nowUnits = Math.floor(elapsed / retained.unitMs);
    const ahead = wrapUnits(Math.floor(packed / FINGERPRINT_SLOTS) - nowUnits);
    return ahead <= LIVE_UNITS && (nowUnits + ahead) * retained.unitMs > elapsed;
  }

  #findCompleted(key: string, now: number): number | undefined {
    // Nearly every store holds a single retention: look there without an iterator.
    if (this.#completed.size === 1) return this.#findIn(this.#latest!, key, now);
    for (const retained of this.#completed.values()) {
      const packed = this.#findIn(retained, key, now);
      if (packed !== undefined) return packed;
    }
    return undefined;
  }

  #findIn(retained: Retained, key: string, now: number): number | undefined {
    this.#dropWhenDue(retained, now);
    const { byKey } = retained;
    const packed = byKey.get(key);
    if (packed === undefined) return undefined;
    if (this.#isLive(packed, retained, now)) return packed;
    byKey.delete(key);
    this.#results.delete(key);
    return undefined;
  }

  #startSweeping(): void {
    // Started on first use, not in the constructor: Workers forbid timers at module scope.
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => this.sweep(), this.#sweepIntervalMs);
    (this.#timer as { unref?: () => void }).unref?.();
  }
}

/** `units` modulo {@link UNIT_WRAP}, from 0 up, for negative counts too (a clock set back). */
function wrapUnits(units: number): number {
  return ((units % UNIT_WRAP) + UNIT_WRAP) % UNIT_WRAP;
}
