import { cryptoBackend } from '../crypto/index.js';
import { WebhookError, isWebhookError } from '../errors/webhook-error.js';
import { toWebhookHeaders, type WebhookHeaders } from '../http/headers.js';
import { isByteStream, readBody } from '../http/read-body.js';
import { toBytes } from '../http/raw-body.js';
import type { ClaimOptions, ClaimResult } from '../store/dedup-store.js';
import type { VerifiedDelivery } from '../verifiers/verifier.js';
import { contextOnce, contextOnceWithoutStore } from '../once/context-once.js';
import { dedupKey } from './dedup-key.js';
import { LeaseHeartbeat } from './lease-heartbeat.js';
import { resolveOptions } from './resolve-options.js';
import { failure, handshake, retryAfterSeconds, success } from './responses.js';
import { Router, type Route } from './router.js';
import { warnAboutSetup } from './setup-warnings.js';
import type {
  DeliveryReport,
  EventMap,
  HandlerContext,
  HandlerOptions,
  ReceiveInput,
  ReceiveOptions,
  ReceiveResult,
  Receiver,
  ReceiverOptions,
  ResolvedReceiverOptions,
  TransactionalDedupStore,
  WebhookEvent,
  WebhookHandler,
} from './types.js';

type ErrorHandler = (error: unknown, event: WebhookEvent, context: HandlerContext) => unknown;
type HandlersOutcome = { ok: true } | { ok: false; error: unknown };
const HANDLERS_SUCCEEDED: HandlersOutcome = Object.freeze({ ok: true });
/** What one delivery learned on its way through the pipeline, for the report. */
type Trace = Omit<DeliveryReport, 'outcome' | 'status' | 'durationMs' | 'error'>;


/**
 * Creates a webhook receiver: it verifies each delivery's signature, skips event ids already
 * handled, dispatches the rest by type to your handlers, and answers with the status that makes
 * the provider's retries do the right thing (DESIGN.md, "The pipeline").
 *
 * @example
 * ```ts
 * import { createReceiver, standardWebhooks } from '@hookguard/core';
 *
 * type Events = { 'message.received': { data: { messageId: string } } };
 *
 * const receiver = createReceiver<Events>({ verifier: standardWebhooks({ secret: process.env.WEBHOOK_SECRET! }) });
 * receiver.on('message.received', async (event, ctx) => {
 *   await reply(event.payload.data.messageId, { signal: ctx.signal });
 * });
 *
 * const result = await receiver.receive({ rawBody, headers });
 * // result.status, result.headers, result.body: write them back
 * ```
 */
export function createReceiver<Events extends EventMap = EventMap>(options: ReceiverOptions): Receiver<Events> {
  return new WebhookReceiver<Events>(options);
}

class WebhookReceiver<Events extends EventMap> implements Receiver<Events> {
  readonly options: Readonly<ResolvedReceiverOptions>;
  readonly #router = new Router();
  readonly #errorHandlers: ErrorHandler[] = [];
  readonly #onDelivery: ReceiverOptions['onDelivery'];
  readonly #onDeadLetter: ReceiverOptions['onDeadLetter'];
  readonly #rejectionLoggedAt = new Map<string, number>();

  constructor(options: ReceiverOptions) {
    this.options = Object.freeze(resolveOptions(options));
    this.#onDelivery = options.onDelivery;
    this.#onDeadLetter = options.onDeadLetter;
    warnAboutSetup(this.options, options.warnings);
  }

  on(type: string | readonly string[], handler: WebhookHandler<never, never>, options: HandlerOptions = {}): this {
    if (typeof handler !== 'function') {
      throw new WebhookError('ERR_HOOKGUARD_INVALID_OPTIONS', `receiver.on() needs a handler function; received ${typeof handler}.`);
    }
    if (options.transaction === true && !isTransactional(this.options.store)) {
      throw new WebhookError(
        'ERR_HOOKGUARD_INVALID_OPTIONS',
        `receiver.on(…, { transaction: true }) needs a store that runs handlers in a transaction (@hookguard/postgres); the '${this.options.store.name}' store does not.`,
      );
    }
    const patterns: readonly string[] = typeof type === 'string' ? [type] : type;
    for (const pattern of patterns) this.#router.add(pattern, handler as unknown as WebhookHandler, { ...options });
    return this;
  }

  onError(handler: ErrorHandler): this {
    this.#errorHandlers.push(handler);
    return this;
  }

  async receive(input: ReceiveInput, receiveOptions: ReceiveOptions = {}): Promise<ReceiveResult> {
    const started = this.options.now();
    const trace = emptyTrace();
    let result: ReceiveResult;
    try {
      result = await this.#process(input, trace, receiveOptions);
    } catch (error) {
      // Only a bug in hookguard or in a store's contract gets here; the provider retries a 500.
      this.options.logger.error({ code: 'ERR_HOOKGUARD_INTERNAL', key: trace.key, error: describeError(error) }, 'receive() failed unexpectedly');
      result = failure('failed', new WebhookError('ERR_HOOKGUARD_INTERNAL', 'hookguard failed unexpectedly; see the logs.', { cause: error }));
    }
    this.#report(result, trace, started);
    return result;
  }

  async #process(input: ReceiveInput, trace: Trace, receiveOptions: ReceiveOptions): Promise<ReceiveResult> {
    const { options } = this;
    const headers = toWebhookHeaders(input?.headers ?? {});
    const declaredLength = Number(headers.get('content-length'));
    if (declaredLength > options.maxBodyBytes) return this.#rejected(tooLarge(declaredLength, options.maxBodyBytes));
    let rawBody: Uint8Array;
    if (isByteStream(input.rawBody)) {
      try {
        rawBody = await readBody(input.rawBody, { maxBytes: options.maxBodyBytes, timeoutMs: options.bodyTimeoutMs });
        receiveOptions.onBody?.(rawBody);
      } catch (error) {
        if (isWebhookError(error)) return this.#rejected(error);
        throw error;
      }
    } else if (isRawBody(input.rawBody)) {
      rawBody = toBytes(input.rawBody);
    } else {
      return failure('failed', new WebhookError('ERR_HOOKGUARD_INTERNAL', 'receive() needs rawBody as bytes, a string or a stream: the adapter passed something else.'));
    }
    if (rawBody.byteLength > options.maxBodyBytes) return this.#rejected(tooLarge(rawBody.byteLength, options.maxBodyBytes));
    let delivery: VerifiedDelivery;
    try {
      delivery = await options.verifier.verify({ rawBody, headers });
    } catch (error) {
      if (isWebhookError(error)) return this.#rejected(error);
      throw error;
    }
    trace.id = delivery.id;
    trace.type = delivery.type;
    if (delivery.reply !== undefined) return handshake(delivery.reply);
    if (delivery.bodyError !== undefined) return this.#rejected(delivery.bodyError);
    if (delivery.id === undefined || delivery.id === '') {
      return this.#rejected(
        new WebhookError('ERR_HOOKGUARD_MISSING_EVENT_ID', `The delivery is authentic but carries no event id where the '${options.verifier.name}' scheme puts it (a non-empty string, or an integer within ±(2^53 − 1): larger JSON numbers lose digits, so two events would share one id), so it cannot be deduplicated.`),
      );
    }
    const event: WebhookEvent = { id: delivery.id, type: delivery.type ?? '', payload: delivery.payload, timestamp: delivery.timestamp };
    const routes: readonly Route[] =
      receiveOptions.handler === undefined
        ? this.#router.match(event.type)
        : [{ pattern: '*', handler: receiveOptions.handler, options: {} }];
    // Nothing would run, so nothing needs remembering: no store round trip for ignored types.
    if (routes.length === 0) return success('ignored', event);
    // Both are synchronous on node:crypto; awaiting them anyway would cost two promise hops.
    const keyOrPromise = dedupKey(options.namespace, event.id);
    const key = typeof keyOrPromise === 'string' ? keyOrPromise : await keyOrPromise;
    trace.key = key;
    const claimOptions: ClaimOptions = { leaseMs: options.leaseMs, retentionMs: options.retentionMs };
    if (options.store.exact) {
      const fingerprint = cryptoBackend.sha256(rawBody);
      claimOptions.fingerprint = typeof fingerprint === 'string' ? fingerprint : await fingerprint;
    }
    if (hasTransactionalRoute(routes)) {
      return this.#processInTransaction(event, routes, headers, claimOptions, trace);
    }
    let claim: ClaimResult;
    try {
      claim = await options.store.claim(key, claimOptions);
    } catch (error) {
      return this.#storeFailed(error, event, routes, headers, trace);
    }
    if (claim.status !== 'claimed') return this.#notClaimed(claim, event, trace);
    trace.attempt = claim.attempt;
    if (claim.attempt > options.maxAttempts) {
      const error = new WebhookError(
        'ERR_HOOKGUARD_HANDLER_FAILED',
        `Event '${event.id}' was claimed ${claim.attempt} times without completing (maxAttempts is ${options.maxAttempts}): its handlers crash or outlive their lease.`,
      );
      return this.#deadLetter(event, claim.token, error, trace);
    }
    const heartbeat = new LeaseHeartbeat(options.store, key, claim.token, options.leaseMs, options.logger);
    let outcome: HandlersOutcome;
    try {
      // signal and once are built on first use: most handlers touch neither.
      let once: HandlerContext['once'] | undefined;
      const context: HandlerContext = {
        attempt: claim.attempt,
        get signal() {
          return heartbeat.signal;
        },
        headers,
        key,
        get once() {
          return (once ??= contextOnce(options, heartbeat));
        },
      };
      outcome = await this.#runHandlers(routes, event, context);
    } finally {
      heartbeat.stop();
    }
    if (outcome.ok) {
      await this.#complete(key, claim.token, heartbeat, trace);
      return success('processed', event);
    }
    if (claim.attempt >= options.maxAttempts) return this.#deadLetter(event, claim.token, outcome.error, trace);
    await this.#release(key, claim.token, trace, heartbeat);
    return { ...this.#handlerFailed(event, claim.attempt, outcome.error), event };
  }

  async #processInTransaction(
    event: WebhookEvent,
    routes: readonly Route[],
    headers: WebhookHeaders,
    claimOptions: ClaimOptions,
    trace: Trace,
  ): Promise<ReceiveResult> {
    const store = this.options.store as TransactionalDedupStore;
    const key = trace.key ?? '';
    let handlerFailure: { error: unknown } | undefined;
    let transactionSignal: AbortSignal | undefined;
    let claim: ClaimResult;
    try {
      claim = await store.claimInTransaction(key, claimOptions, async (session) => {
        trace.attempt = session.attempt;
        transactionSignal = session.signal;
        // The last allowed attempt failed, but a concurrent delivery claimed the key before it could
        // be dead-lettered: dead-letter it now (below) instead of running the handlers once more.
        if (session.attempt > this.options.maxAttempts) {
          handlerFailure = {
            error: new WebhookError(
              'ERR_HOOKGUARD_HANDLER_FAILED',
              `Event '${event.id}' was claimed ${session.attempt} times without completing (maxAttempts is ${this.options.maxAttempts}).`,
            ),
          };
          throw handlerFailure.error;
        }
        const once = contextOnce(this.options, session);
        const context = { attempt: session.attempt, signal: session.signal, headers, key, db: session.db, once };
        const outcome = await this.#runHandlers(routes, event, context);
        if (!outcome.ok) {
          handlerFailure = { error: outcome.error };
          throw outcome.error;
        }
      });
    } catch (error) {
      // A handler that swallowed a failed statement leaves an aborted transaction: the store then
      // rejects with ERR_HOOKGUARD_HANDLER_FAILED, which is the handler's failure, not the store's.
      if (handlerFailure === undefined && isWebhookError(error) && error.code === 'ERR_HOOKGUARD_HANDLER_FAILED') {
        handlerFailure = { error };
      }
      // The store aborts the transaction's signal when the connection holding it is lost:
      // whatever the handlers did then, the store failed and rolled everything back (503, not 500).
      if (handlerFailure === undefined || transactionSignal?.aborted === true) {
        // Transactional handlers need the store's client, so they cannot run without the store.
        return this.#storeFailed(error, event, [], headers, trace);
      }
      const attempt = trace.attempt ?? 1;
      if (attempt >= this.options.maxAttempts) {
        const deadLetterClaim = await store.claim(key, claimOptions).catch(() => undefined);
        if (deadLetterClaim?.status === 'claimed') return this.#deadLetter(event, deadLetterClaim.token, handlerFailure.error, trace);
        // Another delivery took the key between the rollback and this claim: it is past maxAttempts,
        // so it dead-letters the event (409 while it holds the key, a duplicate once it is done).
        if (deadLetterClaim !== undefined) return this.#notClaimed(deadLetterClaim, event, trace);
      }
      return { ...this.#handlerFailed(event, attempt, handlerFailure.error), event };
    }
    if (claim.status !== 'claimed') return this.#notClaimed(claim, event, trace);
    trace.attempt = claim.attempt;
    return success('processed', event);
  }

  #notClaimed(claim: Exclude<ClaimResult, { status: 'claimed' }>, event: WebhookEvent, trace: Trace): ReceiveResult {
    if (claim.status === 'processing') {
      const error = new WebhookError(
        'ERR_HOOKGUARD_IN_PROGRESS',
        `Another delivery of '${event.id}' is being handled; retry after its lease (${claim.retryAfterMs} ms at most).`,
      );
      return { ...failure('in_progress', error, retryAfterSeconds(claim.retryAfterMs)), event };
    }
    const { logger, store } = this.options;
    const fields = { key: trace.key, id: event.id, type: event.type };
    if (claim.fingerprintMatches === false) {
      logger.warn(
        { ...fields, code: 'WARN_HOOKGUARD_FINGERPRINT_MISMATCH' },
        'an event id seen before arrived with a different body and was skipped as a duplicate: if the sender reuses ids for distinct events, they are being dropped',
      );
    }
    if (!store.exact) {
      trace.probable = true;
      logger.info?.({ ...fields, probable: true, store: store.name }, 'skipped as a probable duplicate (inexact store)');
      return { ...success('duplicate', event), probable: true };
    }
    return success('duplicate', event);
  }

  async #runHandlers(routes: readonly Route[], event: WebhookEvent, context: HandlerContext): Promise<HandlersOutcome> {
    const errors: unknown[] = [];
    if (routes.length === 1) {
      // The common case, without allSettled's per-handler promises and result objects.
      try {
        await routes[0]!.handler(event, context);
      } catch (error) {
        errors.push(error);
      }
    } else {
      const settled = await Promise.allSettled(routes.map(async (route) => route.handler(event, context)));
      for (const outcome of settled) if (outcome.status === 'rejected') errors.push(outcome.reason);
    }
    if (errors.length === 0) return HANDLERS_SUCCEEDED;
    for (const error of errors) {
      this.options.logger.error(
        { code: 'ERR_HOOKGUARD_HANDLER_FAILED', key: context.key, type: event.type, attempt: context.attempt, error: describeError(error) },
        'a webhook handler failed',
      );
      for (const onError of this.#errorHandlers) {
        try {
          await onError(error, event, context);
        } catch (hookError) {
          this.options.logger.error({ key: context.key, error: describeError(hookError) }, 'an onError hook threw');
        }
      }
    }
    return { ok: false, error: errors.length === 1 ? errors[0] : new AggregateError(errors, `${errors.length} handlers failed`) };
  }

  #handlerFailed(event: WebhookEvent, attempt: number, cause: unknown): ReceiveResult {
    return failure(
      'failed',
      new WebhookError(
        'ERR_HOOKGUARD_HANDLER_FAILED',
        `A handler for '${event.type}' failed on attempt ${attempt}; the claim was released so the provider's retry runs it again.`,
        { cause },
      ),
    );
  }

  async #complete(key: string, token: string, heartbeat: LeaseHeartbeat, trace: Trace): Promise<void> {
    try {
      if (await this.options.store.complete(key, token, { retentionMs: this.options.retentionMs })) return;
      trace.leaseLost = true;
      heartbeat.lose();
      this.options.logger.warn(
        { code: 'ERR_HOOKGUARD_LEASE_LOST', key },
        'handlers finished after their lease was taken over, so another delivery may run them too; raise leaseMs if handlers legitimately run this long',
      );
    } catch (error) {
      // The handlers succeeded: answer 200. The claim lapses with its lease; a redelivery would run again.
      this.options.logger.error({ code: 'ERR_HOOKGUARD_STORE_UNAVAILABLE', key, error: describeError(error) }, 'could not record a handled event as completed');
    }
  }

  async #release(key: string, token: string, trace: Trace, heartbeat?: LeaseHeartbeat): Promise<void> {
    try {
      if (await this.options.store.release(key, token)) return;
      trace.leaseLost = true;
      // As for a refused completion: the handlers may still be at work (onError hooks, detached tasks).
      heartbeat?.lose();
    } catch (error) {
      this.options.logger.error(
        { code: 'ERR_HOOKGUARD_STORE_UNAVAILABLE', key, error: describeError(error) },
        'could not release a failed claim; the retry waits until the lease lapses',
      );
    }
  }

  async #deadLetter(event: WebhookEvent, token: string, cause: unknown, trace: Trace): Promise<ReceiveResult> {
    const { store, logger, retentionMs, maxAttempts } = this.options;
    const key = trace.key ?? '';
    // The hook runs before the record is written: if it cannot take the event, the provider retries.
    try {
      await this.#onDeadLetter?.(event, cause);
      const result = store.exact ? { dead_lettered: true, attempts: trace.attempt } : undefined;
      const held = await store.complete(key, token, result === undefined ? { retentionMs } : { retentionMs, result });
      if (!held) trace.leaseLost = true;
    } catch (error) {
      logger.error({ key, error: describeError(error) }, 'could not dead-letter an event; releasing it so the provider retries');
      await this.#release(key, token, trace);
      return { ...this.#handlerFailed(event, trace.attempt ?? 1, cause), event };
    }
    logger.error(
      { code: 'ERR_HOOKGUARD_HANDLER_FAILED', key, type: event.type, attempts: trace.attempt, maxAttempts, error: describeError(cause) },
      'event dead-lettered after its last allowed attempt; answering 200 so the provider stops retrying',
    );
    return success('dead_lettered', event);
  }

  async #storeFailed(error: unknown, event: WebhookEvent, routes: readonly Route[], headers: WebhookHeaders, trace: Trace): Promise<ReceiveResult> {
    const { logger, store } = this.options;
    logger.error({ code: 'ERR_HOOKGUARD_STORE_UNAVAILABLE', store: store.name, key: trace.key, error: describeError(error) }, 'the dedup store failed');
    if (this.options.onStoreError === 'reject' || routes.length === 0) {
      const unavailable = new WebhookError(
        'ERR_HOOKGUARD_STORE_UNAVAILABLE',
        `The '${store.name}' store failed (${describeError(error)}); answering 503 so the provider retries later.`,
        { cause: error },
      );
      return { ...failure('unavailable', unavailable, this.options.storeRetryAfterSeconds), event };
    }
    trace.dedupSkipped = true;
    logger.warn(
      { code: 'ERR_HOOKGUARD_STORE_UNAVAILABLE', key: trace.key, store: store.name },
      "processing without dedup because the store failed and onStoreError is 'process': this event may run more than once",
    );
    const key = trace.key ?? '';
    // The store just failed, so ctx.once cannot ask it either: it runs fn directly, like the handlers.
    const once = contextOnceWithoutStore(logger, key);
    const outcome = await this.#runHandlers(routes, event, { attempt: 1, signal: new AbortController().signal, headers, key, once });
    if (outcome.ok) return success('processed', event);
    return { ...this.#handlerFailed(event, 1, outcome.error), event };
  }

  reject(error: WebhookError): ReceiveResult {
    const result = this.#rejected(error);
    this.#report(result, emptyTrace(), this.options.now());
    return result;
  }

  #rejected(error: WebhookError): ReceiveResult {
    // A flood of forged requests must not flood the logs: each code at most once a minute.
    const now = this.options.now();
    const last = this.#rejectionLoggedAt.get(error.code);
    if (last === undefined || now - last >= 60_000) {
      this.#rejectionLoggedAt.set(error.code, now);
      this.options.logger.warn({ code: error.code, status: error.status }, `rejected a delivery: ${error.message}`);
    }
    return failure('rejected', error);
  }

  #report(result: ReceiveResult, trace: Trace, started: number): void {
    this.options.logger.debug?.({ outcome: result.outcome, status: result.status, key: trace.key, attempt: trace.attempt }, 'delivery handled');
    if (this.#onDelivery === undefined) return;
    const report: DeliveryReport = {
      ...trace,
      outcome: result.outcome,
      status: result.status,
      durationMs: this.options.now() - started,
      error: result.error,
    };
    try {
      const returned = this.#onDelivery(report);
      if (returned instanceof Promise) returned.catch((error: unknown) => this.#hookFailed(error));
    } catch (error) {
      this.#hookFailed(error);
    }
  }

  #hookFailed(error: unknown): void {
    this.options.logger.error({ error: describeError(error) }, 'the onDelivery hook threw');
  }
}

function emptyTrace(): Trace {
  return { id: undefined, type: undefined, key: undefined, attempt: undefined, probable: false, dedupSkipped: false, leaseLost: false };
}

function hasTransactionalRoute(routes: readonly Route[]): boolean {
  for (const route of routes) if (route.options.transaction === true) return true;
  return false;
}

function isTransactional(store: ResolvedReceiverOptions['store']): store is TransactionalDedupStore {
  return typeof (store as Partial<TransactionalDedupStore>).claimInTransaction === 'function';
}

function isRawBody(body: unknown): body is Uint8Array | ArrayBuffer | string {
  return body instanceof Uint8Array || body instanceof ArrayBuffer || typeof body === 'string';
}

function tooLarge(bytes: number, limit: number): WebhookError {
  return new WebhookError('ERR_HOOKGUARD_BODY_TOO_LARGE', `The body is ${bytes} bytes; the limit is ${limit} (maxBodyBytes).`);
}

function describeError(error: unknown): string {
  if (error instanceof Error) return isWebhookError(error) ? `${error.code}: ${error.message}` : `${error.name}: ${error.message}`;
  return String(error);
}
