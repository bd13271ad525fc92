import { cryptoBackend } from '../crypto/index.js';
import { describeError } from '../errors/describe-error.js';
import { refuseUnknownOptions, type OptionNames } from '../errors/unknown-options.js';
import { WebhookError, isWebhookError } from '../errors/webhook-error.js';
import { toWebhookHeaders, type WebhookHeaders } from '../http/headers.js';
import { isByteStream, readBody } from '../http/read-body.js';
import { toBytes } from '../http/raw-body.js';
import type { QueueWorker, WebhookQueue } from '../queue/webhook-queue.js';
import type { ClaimOptions } from '../store/dedup-store.js';
import { VERIFY_NOW, type VerifiedDelivery, type VerifyNow } from '../verifiers/verifier.js';
import { dedupKey } from './dedup-key.js';
import { emptyTrace, type AcceptedDelivery, type Trace } from './delivery.js';
import { createRunDeadline } from './run-deadline.js';
import { HandlerRunner, type ErrorHook } from './handler-runner.js';
import { processInline } from './inline-mode.js';
import { LastErrors } from './last-errors.js';
import type { Pipeline, RunDeadline } from './pipeline.js';
import { createJobProcessor } from './process-job.js';
import { acceptQueued } from './queued-mode.js';
import { resolveOptions } from './resolve-options.js';
import { resolveQueueOptions } from './resolve-queue-options.js';
import { resolveDeliveryLog } from './resolve-delivery-log.js';
import { recordDelivery } from '../delivery-log/record-delivery.js';
import { failure, handshake, success } from './responses.js';
import { Router, hasTransactionalRoute, type Route } from './router.js';
import { warnAboutSetup } from './setup-warnings.js';
import { isTransactionalStore, processInTransaction } from './transactional-mode.js';
import { deliveryRecord } from '../telemetry/build-records.js';
import type { DeliveryRecord } from '../telemetry/records.js';
import { telemetryActive, traced } from '../telemetry/registry.js';
import type {
  DeliveryReport,
  EventMap,
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
  WorkOptions,
} from './types.js';

/**
 * Creates a webhook receiver: it verifies each delivery's signature, skips event ids already
 * handled, dispatches the rest by type to your handlers, and answers with the status that makes
 * the provider's retries do the right thing (DESIGN.md, "The pipeline"). With a `queue`, it
 * answers as soon as the event is durably queued and workers run the handlers (queued mode).
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

const WORK_OPTIONS: OptionNames<WorkOptions> = { concurrency: true };

class WebhookReceiver<Events extends EventMap> implements Receiver<Events>, Pipeline {
  readonly options: Readonly<ResolvedReceiverOptions>;
  readonly handlers: HandlerRunner;
  readonly onDeadLetter: ReceiverOptions['onDeadLetter'];
  readonly lastErrors = new LastErrors();
  readonly #router = new Router();
  readonly #onDelivery: ReceiverOptions['onDelivery'];
  readonly #rejectionLoggedAt = new Map<string, number>();
  readonly #warnings: ReceiverOptions['warnings'];
  #warnedNoHandlers = false;

  constructor(options: ReceiverOptions) {
    this.options = Object.freeze({ ...resolveOptions(options), ...resolveQueueOptions(options), ...resolveDeliveryLog(options) });
    this.handlers = new HandlerRunner(this.options.logger);
    this.#onDelivery = options.onDelivery;
    this.onDeadLetter = options.onDeadLetter;
    this.#warnings = options.warnings;
    warnAboutSetup(this.options, options.warnings);
  }

  on(type: string | readonly string[], handler: WebhookHandler<never, never>, options: HandlerOptions = {}): this {
    if (typeof handler !== 'function') {
      throw new WebhookError('ERR_HOOKGUARD_INVALID_OPTIONS', `receiver.on() needs a handler function; received ${typeof handler}.`);
    }
    if (options.transaction === true && !isTransactionalStore(this.options.store)) {
      throw new WebhookError(
        'ERR_HOOKGUARD_INVALID_OPTIONS',
        `receiver.on(…, { transaction: true }) needs a store that runs handlers in a transaction (@hookguard/postgres); the '${this.options.store.name}' store does not.`,
      );
    }
    const patterns: readonly string[] = typeof type === 'string' ? [type] : type;
    for (const pattern of patterns) this.#router.add(pattern, handler as unknown as WebhookHandler, { ...options });
    return this;
  }

  onError(handler: ErrorHook): this {
    this.handlers.addErrorHook(handler);
    return this;
  }

  deadline(lease: { readonly signal: AbortSignal }): RunDeadline | undefined {
    return createRunDeadline(this.options.handlerTimeoutMs, lease);
  }

  receive(input: ReceiveInput, receiveOptions: ReceiveOptions = {}): Promise<ReceiveResult> {
    // Without a telemetry subscriber, no record and no closure: the hot path allocates nothing for it.
    if (!telemetryActive()) return this.#receive(input, receiveOptions, undefined);
    const record = deliveryRecord(this.options);
    return traced(record, () => this.#receive(input, receiveOptions, record));
  }

  async #receive(input: ReceiveInput, receiveOptions: ReceiveOptions, record: DeliveryRecord | undefined): Promise<ReceiveResult> {
    const started = this.options.now();
    const trace = emptyTrace();
    let result: ReceiveResult;
    try {
      // Acceptance, steps 1-4 of the pipeline (limit, verify, parse, route, key), shared by every
      // mode. A streamed body is awaited here, in this frame: chaining it would cost two closures
      // per delivery. The rest is synchronous for node:crypto, so no promise is made for it then.
      const headers = toWebhookHeaders(input?.headers ?? {});
      const body = this.#bodyOf(input, headers);
      let accepting: Accepting;
      if (body instanceof Promise) {
        let read: Uint8Array | WebhookError;
        try {
          read = await body;
        } catch (error) {
          if (!isWebhookError(error)) throw error;
          read = error;
        }
        if (read instanceof WebhookError) accepting = this.#rejected(read);
        else {
          receiveOptions.onBody?.(read);
          accepting = this.#verify(read, headers, trace, receiveOptions, record);
        }
      } else {
        accepting = body instanceof Uint8Array ? this.#verify(body, headers, trace, receiveOptions, record) : body;
      }
      const accepted = accepting instanceof Promise ? await accepting : accepting;
      if ('outcome' in accepted) result = accepted;
      else {
        const processing = this.#process(accepted, record);
        result = processing instanceof Promise ? await processing : processing;
      }
    } catch (error) {
      // Only a bug in hookguard or in a store's contract gets here; the provider retries a 500.
      this.options.logger.error({ code: 'ERR_HOOKGUARD_INTERNAL', key: trace.key, error: describeError(error) }, 'receive() failed unexpectedly');
      result = failure('failed', new WebhookError('ERR_HOOKGUARD_INTERNAL', 'hookguard failed unexpectedly; see the logs.', { cause: error }));
    }
    this.#report(result, trace, started, record);
    return result;
  }

  /** Step 1: the body's bytes, read from a stream within the limits; or the answer refusing it. */
  #bodyOf(input: ReceiveInput, headers: WebhookHeaders): Uint8Array | ReceiveResult | Promise<Uint8Array> {
    const { options } = this;
    const declaredLength = Number(headers.get('content-length'));
    if (declaredLength > options.maxBodyBytes) return this.#rejected(tooLarge(declaredLength, options.maxBodyBytes));
    if (isByteStream(input.rawBody)) return readBody(input.rawBody, { maxBytes: options.maxBodyBytes, timeoutMs: options.bodyTimeoutMs });
    if (!isRawBody(input.rawBody)) {
      return failure('failed', new WebhookError('ERR_HOOKGUARD_INTERNAL', 'receive() needs rawBody as bytes, a string or a stream: the adapter passed something else.'));
    }
    return toBytes(input.rawBody);
  }

  /** Steps 2-4: verify and decode, then route and key (a plain value where nothing waits). */
  #verify(rawBody: Uint8Array, headers: WebhookHeaders, trace: Trace, receiveOptions: ReceiveOptions, record: DeliveryRecord | undefined): Accepting {
    const { options } = this;
    if (rawBody.byteLength > options.maxBodyBytes) return this.#rejected(tooLarge(rawBody.byteLength, options.maxBodyBytes));
    let verifying: VerifiedDelivery | Promise<VerifiedDelivery>;
    try {
      // The built-in verifiers answer without a promise on node:crypto (VERIFY_NOW).
      const verifyNow = (options.verifier as { [VERIFY_NOW]?: VerifyNow })[VERIFY_NOW];
      verifying = verifyNow === undefined ? options.verifier.verify({ rawBody, headers }) : verifyNow({ rawBody, headers });
    } catch (error) {
      return this.#verificationFailed(error, record);
    }
    if (verifying instanceof Promise) {
      return verifying.then(
        (delivery) => this.#route(delivery, rawBody, headers, trace, receiveOptions),
        (error: unknown) => this.#verificationFailed(error, record),
      );
    }
    return this.#route(verifying, rawBody, headers, trace, receiveOptions);
  }

  /** The verifier refused the delivery: its coded answer (a bug, not a refusal, is rethrown). */
  #verificationFailed(error: unknown, record: DeliveryRecord | undefined): ReceiveResult {
    if (record !== undefined) record.verificationFailed = true;
    if (isWebhookError(error)) return this.#rejected(error);
    throw error;
  }

  #route(delivery: VerifiedDelivery, rawBody: Uint8Array, headers: WebhookHeaders, trace: Trace, receiveOptions: ReceiveOptions): Accepting {
    const { options } = this;
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
        ? this.#router.match(event.type, delivery.alias)
        : [{ pattern: '*', handler: receiveOptions.handler, options: {} }];
    // Nothing would run, so nothing needs remembering: no store round trip for ignored types.
    if (routes.length === 0) {
      if (this.#router.size === 0) this.#warnNoHandlers();
      return success('ignored', event);
    }
    // Schemes that sign only the body key dedup on the signed bytes (dedupId), never on an unsigned
    // id header: a replay under a fresh id is still a duplicate, a forged id suppresses nothing.
    const claimOptions: ClaimOptions = { leaseMs: options.leaseMs, retentionMs: options.retentionMs };
    const accepted: AcceptedDelivery = { event, alias: delivery.alias, routes, key: '', claimOptions, headers, trace, perCallHandler: receiveOptions.handler !== undefined };
    // Both are synchronous on node:crypto, promises only on Web Crypto.
    const keying = dedupKey(options.namespace, delivery.dedupId ?? event.id);
    // A key made from the signed body (dedupId: GitHub, Shopify) already is the body's digest.
    const fingerprinting = options.store.exact && delivery.dedupId === undefined ? cryptoBackend.sha256(rawBody) : undefined;
    if (typeof keying === 'string' && !(fingerprinting instanceof Promise)) return keyed(accepted, keying, fingerprinting);
    return Promise.all([keying, fingerprinting]).then(([key, fingerprint]) => keyed(accepted, key, fingerprint));
  }

  /**
   * An event answered `ignored` by a receiver with no handler at all: the provider takes the 200 as
   * handled and never sends it again. Usually a process that mounts the receiver before (or
   * without) registering its handlers: a queued-mode web process must register the same handlers
   * as its workers, since only matched events are queued.
   */
  #warnNoHandlers(): void {
    if (this.#warnedNoHandlers || this.#warnings?.WARN_HOOKGUARD_NO_HANDLERS === false) return;
    this.#warnedNoHandlers = true;
    this.options.logger.warn(
      { code: 'WARN_HOOKGUARD_NO_HANDLERS', namespace: this.options.namespace },
      'an event arrived while no handler is registered on this receiver, so it was answered 200 ignored and the provider will not send it again: ' +
        'register handlers with receiver.on() before the server takes requests (in queued mode the web process too: only events with a matching handler are queued), ' +
        'or silence with warnings: { WARN_HOOKGUARD_NO_HANDLERS: false } if ignoring everything is intended.',
    );
  }

  /** Processing, steps 5-7: the mode decides where the handlers run. */
  #process(delivery: AcceptedDelivery, record: DeliveryRecord | undefined): ReceiveResult | Promise<ReceiveResult> {
    const { queue } = this.options;
    // A handler passed per call (a middleware's route) lives in this request only: a worker could
    // never run it, so such deliveries are processed inline even in queued mode.
    if (queue !== undefined && !delivery.perCallHandler) {
      if (record !== undefined) record.mode = 'queued';
      return acceptQueued(this, delivery, queue);
    }
    if (hasTransactionalRoute(delivery.routes)) {
      if (record !== undefined) record.mode = 'transactional';
      return processInTransaction(this, delivery);
    }
    if (record !== undefined) record.mode = 'inline';
    return processInline(this, delivery);
  }

  async work(workOptions: WorkOptions = {}): Promise<QueueWorker> {
    const queue = this.#requireQueue('work');
    refuseUnknownOptions('receiver.work()', workOptions, WORK_OPTIONS);
    const concurrency = workOptions.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 10_000) {
      throw new WebhookError('ERR_HOOKGUARD_INVALID_OPTIONS', `receiver.work(): concurrency must be an integer from 1 to 10000; received ${String(concurrency)}.`);
    }
    return queue.work(createJobProcessor(this, this.#router), { concurrency, retry: this.options.retry, logger: this.options.logger });
  }

  async replay(idOrKey: string): Promise<boolean> {
    const queue = this.#requireQueue('replay');
    if (typeof idOrKey !== 'string' || idOrKey === '') {
      throw new WebhookError('ERR_HOOKGUARD_INVALID_OPTIONS', `receiver.replay() needs an event id or dedup key; received ${JSON.stringify(idOrKey)}.`);
    }
    const { namespace } = this.options;
    const fromId = dedupKey(namespace, idOrKey);
    const keys = idOrKey.startsWith(`${namespace}:`) ? [idOrKey, await fromId] : [await fromId];
    for (const key of keys) if (await queue.replay(key)) return true;
    // Schemes that key on the signed body (GitHub, Shopify): find the event by its id among dead letters.
    for (const job of await queue.deadLetters({ limit: 10_000 })) {
      if (job.event.id === idOrKey && (await queue.replay(job.event.key))) return true;
    }
    return false;
  }

  #requireQueue(method: string): WebhookQueue {
    const { queue } = this.options;
    if (queue === undefined) {
      throw new WebhookError(
        'ERR_HOOKGUARD_UNSUPPORTED',
        `receiver.${method}() needs queued mode: pass a queue to createReceiver ({ queue: new BullMQQueue({ connection }) }); inline mode runs handlers inside the request and keeps no events to ${method === 'work' ? 'work on' : 'replay'}.`,
      );
    }
    return queue;
  }

  reject(error: WebhookError): ReceiveResult {
    const result = this.#rejected(error);
    if (!telemetryActive()) {
      this.#report(result, emptyTrace(), this.options.now(), undefined);
      return result;
    }
    const record = deliveryRecord(this.options);
    void traced(record, async () => {
      this.#report(result, emptyTrace(), this.options.now(), record);
      return result;
    });
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

  #report(result: ReceiveResult, trace: Trace, started: number, record: DeliveryRecord | undefined): void {
    this.options.logger.debug?.({ outcome: result.outcome, status: result.status, key: trace.key, attempt: trace.attempt }, 'delivery handled');
    // The log reads the trace's fields itself: a spread copy of the report costs more than the ring write.
    if (this.options.deliveryLog !== undefined) recordDelivery(this.options, trace, result, started);
    if (this.#onDelivery === undefined && record === undefined) return;
    // Every field listed: a spread of the trace followed by more fields costs several microseconds.
    const report: DeliveryReport = {
      outcome: result.outcome,
      status: result.status,
      id: trace.id,
      type: trace.type,
      key: trace.key,
      attempt: trace.attempt,
      probable: trace.probable,
      dedupSkipped: trace.dedupSkipped,
      leaseLost: trace.leaseLost,
      durationMs: this.options.now() - started,
      error: result.error,
    };
    if (record !== undefined) record.report = report;
    if (this.#onDelivery === undefined) return;
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



function isRawBody(body: unknown): body is Uint8Array | ArrayBuffer | string {
  return body instanceof Uint8Array || body instanceof ArrayBuffer || typeof body === 'string';
}

function tooLarge(bytes: number, limit: number): WebhookError {
  return new WebhookError('ERR_HOOKGUARD_BODY_TOO_LARGE', `The body is ${bytes} bytes; the limit is ${limit} (maxBodyBytes).`);
}

/** What acceptance gives: a delivery to process, or the answer already; a promise when something had to wait. */
type Accepting = AcceptedDelivery | ReceiveResult | Promise<AcceptedDelivery | ReceiveResult>;

function keyed(accepted: AcceptedDelivery, key: string, fingerprint: string | undefined): AcceptedDelivery {
  accepted.key = key;
  accepted.trace.key = key;
  if (fingerprint !== undefined) accepted.claimOptions.fingerprint = fingerprint;
  return accepted;
}
