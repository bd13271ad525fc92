import { refuseUnknownOptions, type OptionNames } from '../errors/unknown-options.js';
import { WebhookError } from '../errors/webhook-error.js';
import { consoleLogger } from '../logging/logger.js';
import { MemoryStore } from '../store/memory-store.js';
import type { ReceiverOptions, ResolvedReceiverOptions } from './types.js';

const DEFAULT_LEASE_MS = 60_000;
const DEFAULT_RETENTION_MS = 3 * 24 * 60 * 60 * 1000;
const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/**
 * Longest delay a timer accepts (2^31 − 1 ms, about 24.8 days): `setTimeout` and `setInterval`
 * turn anything longer, and 0, into 1 ms (issue 15, item 4), so a lease of 6 · 2^31 ms would
 * heartbeat every millisecond.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

function invalid(message: string): WebhookError {
  return new WebhookError('ERR_HOOKGUARD_INVALID_OPTIONS', message);
}

function positiveInteger(name: string, value: unknown, fallback: number, minimum = 1): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < minimum) {
    throw invalid(`createReceiver(): ${name} must be an integer of at least ${minimum}; received ${String(value)}.`);
  }
  return value;
}

/**
 * A duration that ends up in a timer: an integer from `minimum` to 2^31 − 1 ms. `where` starts the
 * message (`createReceiver()`, `once('reply:1')`).
 */
export function timerDuration(where: string, name: string, value: unknown, fallback: number, minimum = 1): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < minimum || value > MAX_TIMER_MS) {
    throw invalid(
      `${where}: ${name} must be an integer number of milliseconds from ${minimum} to ${MAX_TIMER_MS} (about 24.8 days, the longest a timer can wait); ` +
        `received ${typeof value === 'number' ? String(value) : typeof value}.`,
    );
  }
  return value;
}

/** Every option `createReceiver` takes: the compiler keeps this list and {@link ReceiverOptions} in step. */
const RECEIVER_OPTIONS: OptionNames<ReceiverOptions> = {
  verifier: true,
  queue: true,
  retry: true,
  store: true,
  namespace: true,
  leaseMs: true,
  handlerTimeoutMs: true,
  retentionMs: true,
  maxBodyBytes: true,
  bodyTimeoutMs: true,
  onStoreError: true,
  acceptFalsePositives: true,
  maxAttempts: true,
  onDeadLetter: true,
  onDelivery: true,
  deliveryLog: true,
  storeRetryAfterSeconds: true,
  logger: true,
  now: true,
  warnings: true,
};

/**
 * Validates `createReceiver` options and applies defaults into a new object. Every configuration
 * mistake throws here, at construction, never at request time.
 */
export function resolveOptions(options: ReceiverOptions): Omit<ResolvedReceiverOptions, 'queue' | 'retry'> {
  if (typeof options !== 'object' || options === null) {
    throw invalid('createReceiver() needs an options object with at least a verifier, e.g. { verifier: standardWebhooks({ secret }) }.');
  }
  refuseUnknownOptions('createReceiver()', options, RECEIVER_OPTIONS);
  const { verifier } = options;
  if (typeof verifier !== 'object' || verifier === null || typeof verifier.verify !== 'function') {
    throw invalid(
      'createReceiver(): `verifier` is required, e.g. standardWebhooks({ secret }) or stripe({ secret }). ' +
        'For local experiments only, unsafeNoVerification() accepts unsigned requests.',
    );
  }
  const store = options.store ?? new MemoryStore();
  for (const method of ['claim', 'complete', 'release', 'extend'] as const) {
    if (typeof store[method] !== 'function') {
      throw invalid(`createReceiver(): the store has no ${method}() method; stores implement the DedupStore interface.`);
    }
  }
  if (!store.exact && options.acceptFalsePositives !== true) {
    throw invalid(
      `createReceiver(): the '${store.name}' store is probabilistic: a false positive answers a new event as a duplicate and skips it. ` +
        'Pass acceptFalsePositives: true to accept that at its configured rate, or use an exact store (memory, Redis, Postgres).',
    );
  }
  if (options.namespace === undefined && store.shared) {
    // Issue 14, item 2: Stripe and Svix send one event id to every subscribed endpoint. Two
    // endpoints on one shared store under the default namespace share every key, and the second
    // answers the first one's events as duplicates without running them (a loss). A namespace
    // derived from the secrets would change with every rotation and put a secret's digest in
    // the store's keys, so the choice is the user's, made once, here.
    throw invalid(
      `createReceiver(): the '${store.name}' store is shared, so give this endpoint a namespace of its own, e.g. namespace: '${verifier.name}-billing'. ` +
        `Without one, every endpoint on this store would key its events as '${verifier.name}:<event id>', and providers that send one event to every ` +
        `subscribed endpoint (Stripe, Svix) would have the second endpoint skip it as a duplicate. To keep the keys this endpoint has used so far, ` +
        `pass namespace: '${verifier.name}' (and a different one to every other endpoint on this store).`,
    );
  }
  const namespace = options.namespace ?? verifier.name;
  if (typeof namespace !== 'string' || namespace.length === 0) {
    throw invalid(`createReceiver(): namespace must be a non-empty string; received ${JSON.stringify(namespace)}.`);
  }
  // once(store, key) stores `once:<key>`: an event key `once:<id>` could be one of them (dedup-key.ts).
  if (namespace === 'once' || namespace.startsWith('once:')) {
    const clash = namespace === 'once' ? "namespace 'once' is" : `namespace '${namespace}' starts with 'once:', which is`;
    throw invalid(
      `createReceiver(): the ${clash} reserved for once() keys, which the store keeps as 'once:<key>'. Choose another, e.g. namespace: '${verifier.name}-billing'.`,
    );
  }
  const onStoreError = options.onStoreError ?? 'reject';
  if (onStoreError !== 'reject' && onStoreError !== 'process') {
    throw invalid(`createReceiver(): onStoreError must be 'reject' or 'process'; received ${JSON.stringify(onStoreError)}.`);
  }
  const maxAttempts = options.maxAttempts ?? Number.POSITIVE_INFINITY;
  if (maxAttempts !== Number.POSITIVE_INFINITY) positiveInteger('maxAttempts', maxAttempts, 1);
  const handlerTimeoutMs = options.handlerTimeoutMs ?? Number.POSITIVE_INFINITY;
  if (handlerTimeoutMs !== Number.POSITIVE_INFINITY) timerDuration('createReceiver()', 'handlerTimeoutMs', handlerTimeoutMs, 0);
  return {
    verifier,
    store,
    namespace,
    leaseMs: timerDuration('createReceiver()', 'leaseMs', options.leaseMs, DEFAULT_LEASE_MS, 10),
    handlerTimeoutMs,
    // Not a timer: stores keep it as a record's lifetime (PX, interval, expiry timestamp), so
    // retentions beyond 24.8 days stay valid.
    retentionMs: positiveInteger('retentionMs', options.retentionMs, verifier.retentionMs ?? DEFAULT_RETENTION_MS),
    maxBodyBytes: positiveInteger('maxBodyBytes', options.maxBodyBytes, DEFAULT_MAX_BODY_BYTES),
    bodyTimeoutMs: timerDuration('createReceiver()', 'bodyTimeoutMs', options.bodyTimeoutMs, 10_000),
    onStoreError,
    maxAttempts,
    storeRetryAfterSeconds: positiveInteger('storeRetryAfterSeconds', options.storeRetryAfterSeconds, 5),
    logger: options.logger ?? consoleLogger,
    now: options.now ?? Date.now,
  };
}
