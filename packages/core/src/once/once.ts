import { describeError } from '../errors/describe-error.js';
import { refuseUnknownOptions, type OptionNames } from '../errors/unknown-options.js';
import { WebhookError, isWebhookError } from '../errors/webhook-error.js';
import { consoleLogger, type Logger } from '../logging/logger.js';
import { onceStoreKey } from '../receiver/dedup-key.js';
import { LeaseHeartbeat, leaseClock } from '../receiver/lease-heartbeat.js';
import { timerDuration } from '../receiver/resolve-options.js';
import type { ClaimResult, DedupStore } from '../store/dedup-store.js';
import { linkSignals, sleep } from './abortable.js';
import { whyNotJson, type JsonData } from './json-result.js';
import { storeFailure } from './store-failure.js';

/** Options for {@link once}. */
export type OnceOptions = {
  /**
   * How long the key stays exclusive without a heartbeat. Renewed every third of this while `fn`
   * runs; if the process dies, another call takes the key over once it lapses. If no renewal is
   * confirmed for about this long (the store unreachable), `fn`'s signal aborts with
   * `ERR_HOOKGUARD_LEASE_LOST`. An integer from 10 to 2_147_483_647.
   * @default 60_000
   */
  leaseMs?: number;
  /** How long the result is remembered: cover the longest time a retry can arrive. @default 259_200_000 (3 days) */
  retentionMs?: number;
  /**
   * How long a call waits, in total, for another call that holds the key to finish before it
   * rejects with `ERR_HOOKGUARD_ONCE_IN_PROGRESS`. `0` never waits. An integer from 0 to 2_147_483_647.
   * @default 30_000
   */
  waitMs?: number;
  /** Stops the wait (rejecting with its reason) and is passed on to `fn`. */
  signal?: AbortSignal;
  /** Where a lost lease or a failed completion is reported. @default consoleLogger */
  logger?: Logger;
};

/** What `fn` gets. */
export type OnceContext = {
  /** 1 on the first run of the key, then +1 for each run that failed or crashed before it. */
  attempt: number;
  /** Aborted when the caller's `signal` aborts, or when the key's lease was lost to another call. */
  signal: AbortSignal;
};

/** The work `once` guards. Its result must be JSON data, or `undefined`. */
export type OnceWork<T> = (context: OnceContext) => Promise<T> | T;

/**
 * The function `once()` and `ctx.once` take: an {@link OnceWork} whose result type is also
 * {@link JsonData}. A generic wrapper passes the check on by taking this type itself.
 *
 * @example
 * ```ts
 * function cached<R>(key: string, fn: JsonOnceWork<R>): Promise<R> {
 *   return once(store, key, fn);
 * }
 * ```
 */
export type JsonOnceWork<T> = OnceWork<T> & OnceWork<JsonData<T>>;

/** {@link OnceOptions} after validation and defaults. */
export type ResolvedOnceOptions = {
  /** How messages name the call: `once('<the caller's key>')`, not the key as stored. */
  where: string;
  leaseMs: number;
  retentionMs: number;
  waitMs: number;
  signal: AbortSignal | undefined;
  logger: Logger;
};

const DEFAULT_LEASE_MS = 60_000;
const DEFAULT_RETENTION_MS = 3 * 24 * 60 * 60 * 1000;
const DEFAULT_WAIT_MS = 30_000;
const FIRST_POLL_MS = 25;
const MAX_POLL_MS = 1_000;

/**
 * Runs `fn` at most once per `key` among all callers that share `store` (processes, hosts,
 * redeliveries), and returns its result to every call with that key:
 *
 * - the first call claims the key, runs `fn`, stores its result and returns it;
 * - a later call returns the stored result without running `fn`;
 * - a call made while another runs `fn` waits for it (up to `waitMs`) and returns its result, or
 *   rejects with `ERR_HOOKGUARD_ONCE_IN_PROGRESS`;
 * - if `fn` throws, the key is released and the error rethrown, so the next call runs `fn` again;
 *   if the process dies, the next call takes the key over once the lease lapses (`attempt` > 1).
 *
 * The result must be JSON data (plain objects, arrays, strings without U+0000 or lone surrogates,
 * finite numbers, booleans, `null`) or `undefined`; anything else rejects with
 * `ERR_HOOKGUARD_ONCE_RESULT_NOT_JSON` and releases the key ({@link JsonData} refuses such result
 * types at compile time). The key is stored as `once:<key>`, apart from every event key and
 * `ctx.once` key; one over 200 characters, or holding control characters or lone surrogates, as
 * `once:sha256:<digest>` (distinct keys stay distinct in every store). When the store fails, the
 * call rejects with `ERR_HOOKGUARD_STORE_UNAVAILABLE` (the store's error as `cause`; see `isStoreFailure`). Needs an
 * exact store: a Bloom store rejects with `ERR_HOOKGUARD_UNSUPPORTED`. Inside a webhook handler,
 * use `ctx.once`, which namespaces the key and takes the receiver's settings.
 *
 * `once` cannot tell whether a `fn` that failed midway had its effect (a request that timed out
 * after the server acted): pass an idempotency key to such calls when the API accepts one.
 *
 * @example
 * ```ts
 * import { once } from '@hookguard/core';
 *
 * const inbox = await once(store, `inbox:${clientId}`, () => mail.inboxes.create({ name }));
 * // a retry with the same clientId gets the same inbox back, and creates nothing
 * ```
 */
export async function once<T>(store: DedupStore, key: string, fn: JsonOnceWork<T>, options: OnceOptions = {}): Promise<T> {
  const resolved = resolveOnceOptions(store, key, fn, options);
  const storeKey = onceStoreKey(key);
  return onceAt<T>(store, typeof storeKey === 'string' ? storeKey : await storeKey, fn, resolved);
}

/**
 * {@link once} on a store key already derived from the caller's key (`ctx.once` keeps its
 * `<namespace>:once:` prefix), with options already resolved.
 */
export async function onceAt<T>(store: DedupStore, key: string, fn: OnceWork<T>, resolved: ResolvedOnceOptions): Promise<T> {
  const claimOptions = { leaseMs: resolved.leaseMs, retentionMs: resolved.retentionMs };
  let waited = 0;
  let pollMs = FIRST_POLL_MS;
  for (;;) {
    resolved.signal?.throwIfAborted();
    const claimSentAt = leaseClock();
    let claim: ClaimResult;
    try {
      claim = await store.claim(key, claimOptions);
    } catch (error) {
      throw storeFailure(error, store, resolved.where);
    }
    if (claim.status === 'completed') return claim.result as T;
    if (claim.status === 'claimed') return run(store, key, claim.token, claim.attempt, claimSentAt, fn, resolved);
    const remaining = resolved.waitMs - waited;
    if (remaining <= 0) throw stillInProgress(resolved.where, resolved.waitMs, claim.retryAfterMs);
    // The holder usually finishes long before its lease lapses, so poll on a backoff, but never
    // sleep past the lapse: from then on the key can be taken over.
    const delay = Math.max(1, Math.min(pollMs, claim.retryAfterMs, remaining));
    await sleep(delay, resolved.signal);
    waited += delay;
    pollMs = Math.min(pollMs * 2, MAX_POLL_MS);
  }
}

async function run<T>(
  store: DedupStore,
  key: string,
  token: string,
  attempt: number,
  claimSentAt: number,
  fn: OnceWork<T>,
  options: ResolvedOnceOptions,
): Promise<T> {
  const { logger, retentionMs } = options;
  const heartbeat = new LeaseHeartbeat(store, key, token, options.leaseMs, logger, claimSentAt);
  const linked = linkSignals([heartbeat.signal, options.signal]);
  let value: T;
  try {
    // Aborted while the claim was on its way: give the key back rather than start work nobody awaits.
    linked.signal.throwIfAborted();
    value = await fn({ attempt, signal: linked.signal });
    const reason = value === undefined ? undefined : whyNotJson(value);
    if (reason !== undefined) {
      throw new WebhookError(
        'ERR_HOOKGUARD_ONCE_RESULT_NOT_JSON',
        `${options.where}: the result cannot be stored because ${reason}. Return plain JSON data (for a Date, date.toISOString()); ` +
          'the key was released, so the next call runs fn again.',
      );
    }
  } catch (error) {
    heartbeat.stop();
    linked.dispose();
    await releaseQuietly(store, key, token, logger);
    throw error;
  }
  heartbeat.stop();
  linked.dispose();
  try {
    const held = await store.complete(key, token, value === undefined ? { retentionMs } : { retentionMs, result: value });
    if (!held) {
      logger.warn(
        { code: 'ERR_HOOKGUARD_LEASE_LOST', key },
        'once(): fn finished after its lease was taken over, so another call may run it too; raise leaseMs if fn legitimately runs this long',
      );
    }
  } catch (error) {
    if (isWebhookError(error) && error.code === 'ERR_HOOKGUARD_UNSUPPORTED') {
      await releaseQuietly(store, key, token, logger);
      throw new WebhookError(
        'ERR_HOOKGUARD_UNSUPPORTED',
        `${options.where}: the '${store.name}' store cannot keep results (${error.message}). once() is unsupported on it: use the memory, Redis or Postgres store.`,
        { cause: error },
      );
    }
    // fn succeeded, so its result is the caller's. The key stays claimed until its lease lapses;
    // after that a later call runs fn again (a duplicate, never a loss).
    logger.error(
      { code: 'ERR_HOOKGUARD_STORE_UNAVAILABLE', key, store: store.name, error: describeError(error) },
      'once(): fn succeeded but could not be recorded as done; a call after its lease lapses will run it again',
    );
  }
  return value;
}

async function releaseQuietly(store: DedupStore, key: string, token: string, logger: Logger): Promise<void> {
  try {
    await store.release(key, token);
  } catch (error) {
    logger.error(
      { code: 'ERR_HOOKGUARD_STORE_UNAVAILABLE', key, store: store.name, error: describeError(error) },
      'once(): could not release the key after fn failed; the next call runs fn once the lease lapses',
    );
  }
}

function stillInProgress(where: string, waitMs: number, retryAfterMs: number): WebhookError {
  return new WebhookError(
    'ERR_HOOKGUARD_ONCE_IN_PROGRESS',
    `${where}: another call has been running fn for this key throughout the ${waitMs} ms wait (its lease lapses in about ${retryAfterMs} ms). ` +
      'Retry later or raise waitMs; if that call crashed, the key is taken over once its lease lapses.',
  );
}

const ONCE_OPTIONS: OptionNames<OnceOptions> = { leaseMs: true, retentionMs: true, waitMs: true, signal: true, logger: true };

/** Validates `once()` arguments and applies defaults; throws `ERR_HOOKGUARD_INVALID_OPTIONS` before anything is claimed. */
export function resolveOnceOptions(store: DedupStore, key: string, fn: unknown, options: OnceOptions): ResolvedOnceOptions {
  if (typeof key !== 'string' || key === '') {
    throw invalid(`once() needs a non-empty string key, such as 'reply:' + messageId; received ${typeof key === 'string' ? "''" : typeof key}.`);
  }
  if (typeof fn !== 'function') throw invalid(`once('${shown(key)}') needs a function to run; received ${typeof fn}.`);
  if (typeof store !== 'object' || store === null || typeof store.claim !== 'function') {
    throw invalid(`once('${shown(key)}') needs a DedupStore (MemoryStore, RedisStore, PostgresStore) as its first argument.`);
  }
  if (!store.exact) {
    throw new WebhookError(
      'ERR_HOOKGUARD_UNSUPPORTED',
      `once('${shown(key)}') needs an exact store: the '${store.name}' store can answer a key it never saw as done (a false positive), ` +
        'which would skip fn and return no result. Use the memory, Redis or Postgres store for once().',
    );
  }
  const where = `once('${shown(key)}')`;
  refuseUnknownOptions(where, options, ONCE_OPTIONS);
  return {
    where,
    leaseMs: timerDuration(where, 'leaseMs', options.leaseMs, DEFAULT_LEASE_MS, 10),
    // Not a timer: the store keeps it as the record's lifetime, so retentions beyond 24.8 days stay valid.
    retentionMs: integer(where, 'retentionMs', options.retentionMs, DEFAULT_RETENTION_MS, 1),
    waitMs: timerDuration(where, 'waitMs', options.waitMs, DEFAULT_WAIT_MS, 0),
    signal: options.signal,
    logger: options.logger ?? consoleLogger,
  };
}

function integer(where: string, name: string, value: unknown, fallback: number, minimum: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < minimum) {
    throw invalid(`${where}: ${name} must be an integer of at least ${minimum} (milliseconds); received ${typeof value === 'number' ? String(value) : typeof value}.`);
  }
  return value;
}

/** A key as messages quote it: long keys (a 3 000-character event id) cut short. */
function shown(key: string): string {
  return key.length <= 120 ? key : `${key.slice(0, 100)}…(${key.length} characters)`;
}

function invalid(message: string): WebhookError {
  return new WebhookError('ERR_HOOKGUARD_INVALID_OPTIONS', message);
}
