import { refuseUnknownOptions, type OptionNames } from '../errors/unknown-options.js';
import { WebhookError } from '../errors/webhook-error.js';
import type { Logger } from '../logging/logger.js';
import { contextOnceStoreKey } from '../receiver/dedup-key.js';
import type { ResolvedReceiverOptions } from '../receiver/types.js';
import type { DedupStore } from '../store/dedup-store.js';
import { linkSignals } from './abortable.js';
import { whyNotJson } from './json-result.js';
import { onceAt, resolveOnceOptions, type JsonOnceWork, type OnceOptions, type OnceWork } from './once.js';

/** Options for `ctx.once`; the others come from the receiver. */
export type ContextOnceOptions = Pick<OnceOptions, 'leaseMs' | 'retentionMs' | 'waitMs' | 'signal'>;

/**
 * `ctx.once(key, fn, options?)`: `once()` inside a handler, on the receiver's store, with the key
 * namespaced as `<namespace>:once:<key>` (`<namespace>:once:sha256:<digest>` for a key over 200
 * characters or holding control characters or lone surrogates, as for event ids) and the
 * receiver's `leaseMs` and `retentionMs`.
 */
export type ContextOnce = <T>(key: string, fn: JsonOnceWork<T>, options?: ContextOnceOptions) => Promise<T>;

/** The receiver settings `ctx.once` reads. */
export type ReceiverSettings = Pick<ResolvedReceiverOptions, 'store' | 'namespace' | 'leaseMs' | 'retentionMs' | 'logger'>;

/**
 * The key `ctx.once(key)` stands for, before the digest rule of {@link contextOnceStoreKey}: equal
 * to the store key for every key that rule keeps as it is. Never equal to an event's key.
 */
export function contextOnceKey(namespace: string, key: string): string {
  return `${namespace}:once:${key}`;
}

/**
 * Builds `ctx.once` for a delivery that holds its claim. The delivery's signal (aborted when its
 * lease is lost) also stops the wait and is passed on to `fn`; it is read only when `ctx.once` is
 * called, since creating a signal per delivery costs more than the rest of the dedup work.
 * `delivery.store`, when given (a transactional handler's view of the store inside its
 * transaction), is used instead of the receiver's store, so once records commit or roll back with
 * the handler's writes (issue 14, item 5).
 */
export function contextOnce(settings: ReceiverSettings, delivery: { readonly signal: AbortSignal; readonly store?: DedupStore | undefined }): ContextOnce {
  return async function contextualOnce<T>(key: string, fn: JsonOnceWork<T>, options: ContextOnceOptions = {}): Promise<T> {
    requireKey(key, options);
    const store = delivery.store ?? settings.store;
    const resolved = resolveOnceOptions(store, key, fn, {
      leaseMs: options.leaseMs ?? settings.leaseMs,
      retentionMs: options.retentionMs ?? settings.retentionMs,
      ...(options.waitMs === undefined ? {} : { waitMs: options.waitMs }),
      logger: settings.logger,
    });
    const storeKey = contextOnceStoreKey(settings.namespace, key);
    const linked = linkSignals([delivery.signal, options.signal]);
    try {
      return await onceAt<T>(store, typeof storeKey === 'string' ? storeKey : await storeKey, fn, { ...resolved, signal: linked.signal });
    } finally {
      linked.dispose();
    }
  };
}

/**
 * Builds `ctx.once` for a delivery processed without dedup because the store failed and
 * `onStoreError` is `'process'`. The store cannot be asked, so `fn` runs directly, with a warning,
 * like the handler around it: a redelivery may run it again (a duplicate, never a loss).
 */
export function contextOnceWithoutStore(logger: Logger, deliveryKey: string): ContextOnce {
  return async function onceWithoutDedup<T>(key: string, fn: JsonOnceWork<T>, options: ContextOnceOptions = {}): Promise<T> {
    requireKey(key, options);
    logger.warn(
      { code: 'ERR_HOOKGUARD_STORE_UNAVAILABLE', key: deliveryKey, once: key },
      "ctx.once() ran fn without dedup because the store failed and onStoreError is 'process': a redelivery may run it again",
    );
    const value = await fn({ attempt: 1, signal: options.signal ?? new AbortController().signal });
    // Checked here too, so a result that could never be stored fails the same way whatever the store's health.
    const reason = value === undefined ? undefined : whyNotJson(value);
    if (reason !== undefined) {
      throw new WebhookError('ERR_HOOKGUARD_ONCE_RESULT_NOT_JSON', `ctx.once('${key}'): the result cannot be stored because ${reason}. Return plain JSON data.`);
    }
    return value;
  };
}

const CONTEXT_ONCE_OPTIONS: OptionNames<ContextOnceOptions> = { leaseMs: true, retentionMs: true, waitMs: true, signal: true };

/** Refuses an empty key, and an option `ctx.once` does not take (the others come from the receiver). */
function requireKey(key: unknown, options: ContextOnceOptions): void {
  if (typeof key !== 'string' || key === '') {
    throw new WebhookError(
      'ERR_HOOKGUARD_INVALID_OPTIONS',
      `ctx.once() needs a non-empty string key, such as 'reply:' + messageId; received ${typeof key === 'string' ? "''" : typeof key}.`,
    );
  }
  refuseUnknownOptions(`ctx.once('${key}')`, options, CONTEXT_ONCE_OPTIONS);
}
