import { WebhookError } from '../errors/webhook-error.js';
import { consoleLogger } from '../logging/logger.js';
import { MemoryStore } from '../store/memory-store.js';
import type { ReceiverOptions, ResolvedReceiverOptions } from './types.js';

const DEFAULT_LEASE_MS = 60_000;
const DEFAULT_RETENTION_MS = 3 * 24 * 60 * 60 * 1000;
const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

function invalid(message: string): WebhookError {
  return new WebhookError('ERR_HOOKGUARD_INVALID_OPTIONS', message);
}

function positiveInteger(name: string, value: unknown, fallback: number, minimum = 1): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < minimum) {
    throw invalid(`createReceiver(): ${name} must be an integer of at least ${minimum}; received ${String(value)}.`);
  }
  return value;
}

/**
 * Validates `createReceiver` options and applies defaults into a new object. Every configuration
 * mistake throws here, at construction, never at request time.
 */
export function resolveOptions(options: ReceiverOptions): ResolvedReceiverOptions {
  if (typeof options !== 'object' || options === null) {
    throw invalid('createReceiver() needs an options object with at least a verifier, e.g. { verifier: standardWebhooks({ secret }) }.');
  }
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
  const namespace = options.namespace ?? verifier.name;
  if (typeof namespace !== 'string' || namespace.length === 0) {
    throw invalid(`createReceiver(): namespace must be a non-empty string; received ${JSON.stringify(namespace)}.`);
  }
  const onStoreError = options.onStoreError ?? 'reject';
  if (onStoreError !== 'reject' && onStoreError !== 'process') {
    throw invalid(`createReceiver(): onStoreError must be 'reject' or 'process'; received ${JSON.stringify(onStoreError)}.`);
  }
  const maxAttempts = options.maxAttempts ?? Number.POSITIVE_INFINITY;
  if (maxAttempts !== Number.POSITIVE_INFINITY) positiveInteger('maxAttempts', maxAttempts, 1);
  return {
    verifier,
    store,
    namespace,
    leaseMs: positiveInteger('leaseMs', options.leaseMs, DEFAULT_LEASE_MS, 10),
    retentionMs: positiveInteger('retentionMs', options.retentionMs, verifier.retentionMs ?? DEFAULT_RETENTION_MS),
    maxBodyBytes: positiveInteger('maxBodyBytes', options.maxBodyBytes, DEFAULT_MAX_BODY_BYTES),
    bodyTimeoutMs: positiveInteger('bodyTimeoutMs', options.bodyTimeoutMs, 10_000),
    onStoreError,
    maxAttempts,
    storeRetryAfterSeconds: positiveInteger('storeRetryAfterSeconds', options.storeRetryAfterSeconds, 5),
    logger: options.logger ?? consoleLogger,
    now: options.now ?? Date.now,
  };
}
