import { randomBytes } from 'node:crypto';
import {
  WebhookError,
  capLastError,
  consoleLogger,
  type ClaimOptions,
  type ClaimResult,
  type CompleteOptions,
  type DedupStore,
  type Logger,
  type ReleaseOptions,
  refuseUnknownOptions,
  type OptionNames,
} from '@hookguard/core';
import { checkEvictionPolicy } from './eviction-policy.js';
import { fingerprintDigest } from './fingerprint-digest.js';
import { ABANDON_SCRIPT, CLAIM_SCRIPT, COMPLETE_SCRIPT, EXTEND_SCRIPT, RELEASE_SCRIPT } from './lua-scripts.js';
import { FollowUp, ScriptRunner, luaScript, plainCommand, type RedisClient, type ScriptArgument } from './script-runner.js';

/** Options for {@link RedisStore}. */
export type RedisStoreOptions = {
  /**
   * Your ioredis client: a `Redis` (standalone or Sentinel) or a `Cluster`. The store only sends
   * commands through it; it never connects, quits or disconnects it.
   */
  client: RedisClient;
  /**
   * Prepended to every event key. Keep it free of `{…}` on a Cluster: a hash tag would put every
   * record on one node.
   * @default 'hookguard:'
   */
  prefix?: string;
  /**
   * The longest an operation may take, including time ioredis holds the command in its offline
   * queue or retries it. Past it the operation rejects with `ERR_HOOKGUARD_STORE_UNAVAILABLE`, so a
   * stalled or stopped Redis never holds a webhook request longer than this.
   * @default 2000
   */
  commandTimeoutMs?: number;
  /**
   * Where the store's one warning goes (`WARN_HOOKGUARD_REDIS_EVICTION`); pass the receiver's.
   * @default consoleLogger
   */
  logger?: Logger;
  /**
   * Turns the store's warnings off by code: `{ WARN_HOOKGUARD_REDIS_EVICTION: false }` skips the
   * one-time `CONFIG GET maxmemory-policy`.
   * @default {}
   */
  warnings?: { WARN_HOOKGUARD_REDIS_EVICTION?: boolean };
};

type ResolvedOptions = {
  client: RedisClient;
  prefix: string;
  commandTimeoutMs: number;
  logger: Logger;
  checkEviction: boolean;
};

const MATCH = 'm'.charCodeAt(0);
const CLAIMED_WITH_ERROR = 'c'.charCodeAt(0);
const DIFFER = 'd'.charCodeAt(0);

const CLAIM = luaScript('claim', CLAIM_SCRIPT);
const COMPLETE = luaScript('complete', COMPLETE_SCRIPT);
const RELEASE = luaScript('release', RELEASE_SCRIPT);
const EXTEND = luaScript('extend', EXTEND_SCRIPT);
// Rare, and must reach Redis right behind the claim it withdraws, before a redelivery's claim.
const ABANDON = luaScript('abandon', ABANDON_SCRIPT, { inline: true });

const isDone = (reply: unknown): boolean => reply === 1;
// The scripts hand milliseconds to PX as they are, which takes a positive integer.
const milliseconds = (value: number): number => (value > 1 ? Math.ceil(value) : 1);
const ignore = (): void => {};

// A claim that failed for its caller may still land (queued offline, or its reply was lost);
// withdrawn, it neither blocks redeliveries for a lease nor counts an attempt that never ran.
function withdrawClaim(runner: ScriptRunner, key: string, args: readonly ScriptArgument[]): void {
  runner.run(ABANDON, key, [args[0]!], isDone).catch(ignore);
}

// A token is `<tag>-<process>-<serial>`: the tag, 9 digits from 100000000 to 899999999, is what a
// completed record keeps so that a re-sent complete is recognised (lua-scripts.ts); 64 random bits
// drawn once per process and a serial keep the token unique. Consecutive tokens of a process have
// consecutive tags from a random start, so two tokens share a tag only across processes, by a
// chance of one in 800 million, as with a random tag each time. A UUID per claim cost 0.4 µs of the
// client's time against 0.05 (docs/stores/redis.md, "Figures").
const TOKEN_PROCESS = `-${randomBytes(8).toString('hex')}-`;
let tokenSerial = randomBytes(4).readUInt32BE(0) % 800_000_000;
function newToken(): string {
  tokenSerial++;
  return String(100_000_000 + (tokenSerial % 800_000_000)) + TOKEN_PROCESS + tokenSerial.toString(36);
}

/**
 * A claim's arguments: the token, the lease and the TTL in milliseconds, and the fingerprint's
 * digest when there is one. The claim script's reply protocol is described in lua-scripts.ts.
 */
function decodeClaim(reply: unknown, args: readonly ScriptArgument[]): ClaimResult {
  if (typeof reply === 'number') {
    return reply > 0
      ? { status: 'claimed', token: args[0] as string, attempt: reply }
      : { status: 'processing', retryAfterMs: -reply };
  }
  if (typeof reply !== 'string' || reply.length === 0) {
    throw new TypeError(`unexpected reply to the claim script: ${typeof reply}`);
  }
  const flag = reply.charCodeAt(0);
  if (flag === CLAIMED_WITH_ERROR) {
    const bar = reply.indexOf('|');
    return { status: 'claimed', token: args[0] as string, attempt: Number(reply.slice(1, bar)), lastError: reply.slice(bar + 1) };
  }
  return completedAnswer(flag === MATCH ? true : flag === DIFFER ? false : undefined, reply.length === 1 ? undefined : reply.slice(1));
}

/** A `completed` answer, with the stored result when the record holds one (`resultJson`). */
function completedAnswer(fingerprintMatches: boolean | undefined, resultJson: string | undefined): ClaimResult {
  if (resultJson === undefined) return { status: 'completed', fingerprintMatches };
  return { status: 'completed', fingerprintMatches, result: JSON.parse(resultJson) as unknown };
}

const CLAIM_BY_SCRIPT = new FollowUp(CLAIM, decodeClaim);

/**
 * The claim as one plain `SET … NX GET` (Redis 7.0 and later), which Redis runs several times faster
 * than the claim script: it writes a new record with the lease timed by the key's TTL (lua-scripts.ts)
 * and answers whatever the key held. A new key is then claimed and a completed one answered here;
 * any other record (a claim in flight, a released one) goes on to the claim script.
 */
const CLAIM_BY_SET = plainCommand(
  'claim',
  'set',
  (key, [token, lease, ttl, digest = 0]) => [key, `n${ttl}:${lease}:${digest}:${token}`, 'PX', ttl!, 'NX', 'GET'],
  CLAIM_BY_SCRIPT,
);

function decodeSetClaim(reply: unknown, args: readonly ScriptArgument[]): ClaimResult | FollowUp<ClaimResult> {
  if (reply === null) return { status: 'claimed', token: args[0] as string, attempt: 1 };
  if (typeof reply !== 'string' || reply.length === 0) throw new TypeError(`unexpected reply to the claim: ${typeof reply}`);
  const first = reply.charCodeAt(0);
  return first >= 48 && first <= 57 ? decodeCompleted(reply, args[3]) : CLAIM_BY_SCRIPT;
}

/**
 * A completed record as the claim script reads it: `<tag><digest>[|<result JSON>]`, the digest
 * compared with the claim's own (`undefined` when either has none).
 */
function decodeCompleted(record: string, digest: ScriptArgument | undefined): ClaimResult {
  const bar = record.indexOf('|');
  const stored = bar === -1 ? record.slice(9) : record.slice(9, bar);
  const fingerprintMatches = digest === undefined || stored === '0' || stored === '' ? undefined : stored === String(digest);
  return completedAnswer(fingerprintMatches, bar === -1 ? undefined : record.slice(bar + 1));
}

const REDIS_STORE_OPTIONS: OptionNames<RedisStoreOptions> = {
  client: true,
  prefix: true,
  commandTimeoutMs: true,
  logger: true,
  warnings: true,
};

/**
 * A dedup store in Redis or Redis Cluster, shared by every process that uses the same Redis.
 * Each operation is one command on one key (a Lua script, or a plain `SET … NX GET` for the
 * common claim), timed by the Redis server's clock, so it is atomic, correct under client clock
 * skew, and routed by the key's slot on a Cluster. A new event costs two round trips (claim,
 * complete); a duplicate costs one.
 *
 * Run Redis with `maxmemory-policy noeviction`: an evicted record is a forgotten event, answered
 * as new (a duplicate). See docs/stores/redis.md for the record layout and operational advice.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { createReceiver } from '@hookguard/core';
 * import { RedisStore } from '@hookguard/redis';
 *
 * const client = new Redis(process.env.REDIS_URL!);
 * const store = new RedisStore({ client, prefix: 'hookguard:' });
 * const receiver = createReceiver({ verifier, store, namespace: 'stripe-billing' });
 * // on shutdown: the client is yours to close
 * await client.quit();
 * ```
 */
export class RedisStore implements DedupStore {
  readonly name = 'redis';
  readonly exact = true;
  readonly shared = true;

  readonly #runner: ScriptRunner;
  readonly #prefix: string;
  readonly #client: RedisClient;
  readonly #logger: Logger;
  readonly #warnEviction: boolean;
  #evictionChecked: boolean;

  constructor(options: RedisStoreOptions) {
    refuseUnknownOptions('new RedisStore()', options, REDIS_STORE_OPTIONS);
    const resolved = resolveOptions(options);
    this.#prefix = resolved.prefix;
    this.#client = resolved.client;
    this.#logger = resolved.logger;
    this.#warnEviction = resolved.checkEviction;
    this.#evictionChecked = !resolved.checkEviction;
    this.#runner = new ScriptRunner(resolved.client, resolved.commandTimeoutMs);
  }

  claim(key: string, options: ClaimOptions): Promise<ClaimResult> {
    if (!this.#evictionChecked) {
      // Sent before the first claim on the same connection, so its answer is in before the claim's.
      this.#evictionChecked = true;
      void checkEvictionPolicy(this.#client, this.#logger);
    }
    // Made here, before sending: a claim that ioredis re-sends after a reconnect carries the same
    // token, and the script answers it as the claim it already is (issue 14, item 7).
    const token = newToken();
    const lease = milliseconds(options.leaseMs);
    const ttl = Math.max(lease, milliseconds(options.retentionMs));
    const { fingerprint } = options;
    const redisKey = this.#prefix + key;
    const args = fingerprint === undefined ? [token, lease, ttl] : [token, lease, ttl, fingerprintDigest(fingerprint)];
    return this.#runner.supports(CLAIM_BY_SET)
      ? this.#runner.run(CLAIM_BY_SET, redisKey, args, decodeSetClaim, withdrawClaim)
      : this.#runner.run(CLAIM, redisKey, args, decodeClaim, withdrawClaim);
  }

  complete(key: string, token: string, options: CompleteOptions): Promise<boolean> {
    let result: string | undefined;
    try {
      // Serialised now, so later mutation by the caller cannot change what duplicates receive.
      result = options.result === undefined ? undefined : JSON.stringify(options.result);
    } catch (error) {
      return Promise.reject(
        new WebhookError(
          'ERR_HOOKGUARD_UNSUPPORTED',
          `The result passed to complete() cannot be stored: JSON.stringify failed (${(error as Error).message}). ` +
            'Return a JSON-serialisable value (no BigInt, no cycles).',
          { cause: error },
        ),
      );
    }
    const retention = milliseconds(options.retentionMs);
    const args = result === undefined ? [token, retention] : [token, retention, result];
    return this.#runner.run(COMPLETE, this.#prefix + key, args, (reply) => this.#owned(reply, 'complete', key));
  }

  release(key: string, token: string, options?: ReleaseOptions): Promise<boolean> {
    const mode = options?.uncounted === true ? 'u' : 'c';
    const lastError = options?.lastError;
    const args = lastError === undefined ? (mode === 'u' ? [token, mode] : [token]) : [token, mode, capLastError(lastError)];
    return this.#runner.run(RELEASE, this.#prefix + key, args, isDone);
  }

  extend(key: string, token: string, leaseMs: number): Promise<boolean> {
    return this.#runner.run(EXTEND, this.#prefix + key, [token, milliseconds(leaseMs)], (reply) => this.#owned(reply, 'extend', key));
  }

  // A record under a claim in flight outlives its lease by its TTL: when it is gone altogether,
  // Redis evicted it, someone deleted it or a failover lost it, and the lease-lost message the
  // receiver logs next cannot tell which (issue 15, item 8).
  #owned(reply: unknown, operation: 'complete' | 'extend', key: string): boolean {
    if (reply === -1 && this.#warnEviction) {
      this.#logger.warn(
        { code: 'WARN_HOOKGUARD_REDIS_EVICTION', operation, key },
        `Redis holds no record of ${key} while this process still holds its claim (${operation}): Redis evicted it ` +
          '(a maxmemory-policy other than noeviction), something deleted it, or a failover lost it, so another delivery may run the event meanwhile. ' +
          'Run Redis with maxmemory-policy noeviction, and write nothing else under the store\'s prefix.',
      );
    }
    return reply === 1;
  }

  /**
   * Resolves at once. The store's one timer (for `commandTimeoutMs`) is `unref()`'d and stops by
   * itself once nothing is pending; the client is yours to close.
   */
  close(): Promise<void> {
    return Promise.resolve();
  }
}

function resolveOptions(options: RedisStoreOptions): ResolvedOptions {
  const client = (options as Partial<RedisStoreOptions> | undefined)?.client;
  if (typeof (client as { sendCommand?: unknown } | undefined)?.sendCommand !== 'function') {
    throw new WebhookError(
      'ERR_HOOKGUARD_INVALID_OPTIONS',
      `RedisStore needs an ioredis client as \`client\`, received ${client === null ? 'null' : typeof client}. ` +
        'Pass `new Redis(url)` or `new Cluster(nodes)` from ioredis.',
    );
  }
  const prefix = options.prefix ?? 'hookguard:';
  if (typeof prefix !== 'string') {
    throw new WebhookError(
      'ERR_HOOKGUARD_INVALID_OPTIONS',
      `RedisStore \`prefix\` must be a string, received ${typeof prefix}.`,
    );
  }
  const commandTimeoutMs = options.commandTimeoutMs ?? 2000;
  if (!Number.isFinite(commandTimeoutMs) || commandTimeoutMs <= 0 || commandTimeoutMs > 2_147_483_647) {
    throw new WebhookError(
      'ERR_HOOKGUARD_INVALID_OPTIONS',
      `RedisStore \`commandTimeoutMs\` must be a positive number of milliseconds, received ${String(commandTimeoutMs)}. ` +
        'Use a bound a webhook request can wait, such as 2000.',
    );
  }
  const logger = options.logger ?? consoleLogger;
  if (typeof (logger as Partial<Logger> | null)?.warn !== 'function') {
    throw new WebhookError('ERR_HOOKGUARD_INVALID_OPTIONS', 'RedisStore `logger` must have warn() and error() methods (pino, winston, console, or the receiver\'s logger).');
  }
  const checkEviction = options.warnings?.WARN_HOOKGUARD_REDIS_EVICTION !== false;
  return { client: client as RedisClient, prefix, commandTimeoutMs, logger, checkEviction };
}
