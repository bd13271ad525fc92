import type { DeliveryLog } from '../delivery-log/delivery-log.js';
import type { WebhookError } from '../errors/webhook-error.js';
import type { HeadersInput, WebhookHeaders } from '../http/headers.js';
import type { RawBodyInput } from '../http/raw-body.js';
import type { Logger } from '../logging/logger.js';
import type { ContextOnce } from '../once/context-once.js';
import type { ClaimOptions, ClaimResult, DedupStore } from '../store/dedup-store.js';
import type { QueueWorker, RetryPolicy, WebhookQueue } from '../queue/webhook-queue.js';
import type { Verifier } from '../verifiers/verifier.js';

/**
 * Filled in by store packages through declaration merging, so `ctx.db` is typed as the store's
 * transaction client (`@hookguard/postgres` sets `db: PoolClient`).
 *
 * @example
 * ```ts
 * declare module '@hookguard/core' {
 *   interface TransactionClients { db: PoolClient }
 * }
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface TransactionClients {}

/** The transaction client handed to `{ transaction: true }` handlers. */
export type TransactionClient = TransactionClients extends { db: infer Db } ? Db : unknown;

/** A verified event as handlers receive it. */
export type WebhookEvent<Type extends string = string, Payload = unknown> = {
  /** The provider's event id (without the receiver's namespace). */
  id: string;
  type: Type;
  payload: Payload;
  /** When the provider signed or created the event, if the scheme says. */
  timestamp: Date | undefined;
};

/** What a handler gets besides the event. */
export type HandlerContext = {
  /** 1 for the first delivery that ran the handlers, then +1 per failed or crashed attempt. */
  attempt: number;
  /**
   * Aborted when the lease was lost to another delivery, when no renewal of it was confirmed for
   * `leaseMs` (the store unreachable: another delivery may take over), or at `handlerTimeoutMs`;
   * stop side effects that are not idempotent. Returning normally after it aborted is safe: a
   * handler that read the signal is then never recorded as done, and a retry runs it again.
   */
  signal: AbortSignal;
  /** The request headers. */
  headers: WebhookHeaders;
  /** The dedup key: `<namespace>:<id>`, or `<namespace>:sha256:<digest>` for an id over 200 characters or one a store could not keep apart (controls, lone surrogates). */
  key: string;
  /**
   * Runs `fn` at most once per `key` across redeliveries and processes, and returns its stored
   * result to every later call: a side effect before a handler failure is not repeated by the retry.
   * Keys are stored as `<namespace>:once:<key>`. See `once()` and docs/once.md.
   *
   * @example
   * ```ts
   * receiver.on('message.received', async (event, ctx) => {
   *   await ctx.once(`reply:${event.payload.data.messageId}`, () => mail.reply(event.payload.data.messageId, text));
   * });
   * ```
   */
  once: ContextOnce;
};

/** What a `{ transaction: true }` handler gets: the store's transaction client besides the rest. */
export type TransactionalHandlerContext = HandlerContext & {
  /** A client inside the transaction that also records the event as completed. */
  db: TransactionClient;
};

/** A handler for one or more event types. Throwing makes the receiver answer 500 so the provider retries. */
export type WebhookHandler<Event extends WebhookEvent = WebhookEvent, Context extends HandlerContext = HandlerContext> = (
  event: Event,
  context: Context,
) => unknown;

/** Options for {@link Receiver.on}. */
export type HandlerOptions = {
  /**
   * Run this handler inside the store's transaction, together with the completion record, so its
   * database writes and the dedup record commit or roll back as one. Needs a store that
   * supports transactions (`@hookguard/postgres`).
   * @default false
   */
  transaction?: boolean;
};

/** How a delivery ended. */
export type ReceiveOutcome =
  | 'processed'
  | 'duplicate'
  | 'ignored'
  | 'in_progress'
  | 'rejected'
  | 'failed'
  | 'unavailable'
  | 'dead_lettered'
  | 'queued'
  | 'handshake';

/** What the adapter writes back. `headers` names are lower-case. */
export type ReceiveResult = {
  outcome: ReceiveOutcome;
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The event, once verified and parsed. */
  event?: WebhookEvent;
  /** The error behind a `rejected`, `failed` or `unavailable` outcome. */
  error?: WebhookError;
  /** `true` when a `duplicate` came from an inexact store and may be a false positive. */
  probable?: boolean;
};

/** What `receive` takes. */
export type ReceiveInput = {
  /**
   * The exact bytes received, or the request stream to read them from (a Node `IncomingMessage`,
   * a Web `ReadableStream`): streams are read with the `maxBodyBytes` and `bodyTimeoutMs` limits
   * enforced as bytes arrive. A string is encoded as UTF-8.
   */
  rawBody: RawBodyInput | AsyncIterable<Uint8Array | string>;
  headers: HeadersInput;
};

/** Per-call options of `receive`, for adapters. */
export type ReceiveOptions = {
  /**
   * Runs this handler for the delivery instead of the registered ones, whatever its type; used by
   * middleware forms that hand the verified event to the next route.
   */
  handler?: WebhookHandler;
  /**
   * Called with the bytes read from a streamed `rawBody`, before verification, so an adapter can
   * keep them for later readers (Hono's body cache).
   */
  onBody?: (bytes: Uint8Array) => void;
};

/** A store that can run handlers in one transaction with the completion record. */
export interface TransactionalDedupStore extends DedupStore {
  /**
   * Claims `key` and, when the claim is granted, runs `work` inside a transaction that also marks
   * the key completed; both commit together, or both roll back and the key stays claimable.
   * Resolves with the claim's answer (`claimed` means `work` ran and committed). Rejects with
   * `work`'s own error after rolling back, or with the store's error.
   */
  claimInTransaction(
    key: string,
    options: ClaimOptions,
    work: (session: TransactionSession) => Promise<void>,
  ): Promise<ClaimResult>;
}

/** What {@link TransactionalDedupStore.claimInTransaction} hands to the work it runs. */
export type TransactionSession = {
  /** A client inside the transaction. */
  db: TransactionClient;
  attempt: number;
  /** Aborted when the connection holding the transaction is lost. */
  signal: AbortSignal;
  /**
   * The store, as seen from inside the transaction: records written through it (`ctx.once`)
   * commit or roll back with the transaction.
   */
  store?: DedupStore;
  /** The last failed attempt's error description, as `release(…, { lastError })` recorded it. */
  lastError?: string;
};

/** A report of one delivery, for metrics and audits. Never holds a secret or the payload. */
export type DeliveryReport = {
  outcome: ReceiveOutcome;
  status: number;
  id: string | undefined;
  type: string | undefined;
  key: string | undefined;
  attempt: number | undefined;
  /** `true` when the duplicate answer came from an inexact store (Bloom). */
  probable: boolean;
  /** `true` when the store was down and `onStoreError: 'process'` ran the handlers without dedup. */
  dedupSkipped: boolean;
  /**
   * `true` when this run's lease was taken over while its handlers ran, so its completion or release
   * was refused by the owner check: another delivery may run (or have run) the handlers too.
   */
  leaseLost: boolean;
  durationMs: number;
  error: WebhookError | undefined;
};

/** Options for {@link createReceiver}. */
export type ReceiverOptions = {
  /** How deliveries are authenticated. Use `unsafeNoVerification()` only for local experiments. */
  verifier: Verifier;
  /**
   * Switches the receiver to queued mode: a delivery is verified, deduplicated, enqueued durably
   * and answered 200 `{"received":true,"queued":true}` within milliseconds; workers started with
   * `receiver.work()` run the handlers, retrying failures with `retry` and dead-lettering the
   * last. Without it, handlers run inside the request (inline mode). See docs/queued-mode.md.
   * @default undefined (inline mode)
   */
  queue?: WebhookQueue;
  /**
   * How queued mode retries a failed event: exponential backoff with jitter between `minDelayMs`
   * and `maxDelayMs`, `attempts` in all, then the event is dead-lettered.
   * @default { attempts: 25, minDelayMs: 1_000, maxDelayMs: 7_200_000 } (about a day of retries)
   */
  retry?: Partial<RetryPolicy>;
  /**
   * Where handled event ids are remembered.
   * @default new MemoryStore()
   */
  store?: DedupStore;
  /**
   * Prefix of every dedup key, so two providers or endpoints never collide: give each endpoint
   * its own (`'stripe-billing'`, `'stripe-analytics'`). Required with a shared store (Redis,
   * PostgreSQL), where another endpoint receiving the same event ids (Stripe and Svix send one
   * event to every subscribed endpoint) would otherwise answer them as duplicates. Not `once`, nor
   * starting with `once:`: `once()` keeps its keys as `once:<key>`.
   * @default verifier.name (only with a store that is not shared)
   */
  namespace?: string;
  /**
   * How long a claim stays exclusive without a heartbeat. Heartbeats renew it every third of
   * this while handlers run; a crashed handler's claim is taken over once it lapses. When no
   * renewal is confirmed for about this long (the store unreachable), `ctx.signal` aborts with
   * `ERR_HOOKGUARD_LEASE_LOST`, since another delivery may take the event over. An integer from
   * 10 to 2_147_483_647.
   * @default 60_000
   */
  leaseMs?: number;
  /**
   * Longest time the handlers of one delivery, with their `onError` hooks, may run. When it passes,
   * `ctx.signal` aborts with `ERR_HOOKGUARD_HANDLER_TIMEOUT`, the claim is released and the delivery
   * answers 500, so a hung handler cannot hold its event forever (the heartbeat would renew the
   * lease without end). No deadline by default: legitimate work has no universal bound, and a
   * deadline too short for it turns every delivery into a failure and a rerun. An integer from 1 to
   * 2_147_483_647, or `Infinity`.
   * @default Infinity
   */
  handlerTimeoutMs?: number;
  /**
   * How long a handled id is remembered: cover the provider's whole retry horizon, and at least
   * twice the verifier's timestamp tolerance, or a captured delivery replayed within the tolerance
   * runs again (warned as `WARN_HOOKGUARD_RETENTION_BELOW_REPLAY_WINDOW`).
   * @default verifier.retentionMs ?? 259_200_000 (3 days)
   */
  retentionMs?: number;
  /**
   * Largest body accepted; larger ones get 413.
   * @default 1_048_576 (1 MiB)
   */
  maxBodyBytes?: number;
  /**
   * A streamed body must arrive completely within this long; slower ones get 408 (slow-drip defence).
   * An integer from 1 to 2_147_483_647.
   * @default 10_000
   */
  bodyTimeoutMs?: number;
  /**
   * What to do when the store fails: `'reject'` answers 503 so the provider retries later;
   * `'process'` runs the handlers without dedup (duplicates possible, nothing lost).
   * @default 'reject'
   */
  onStoreError?: 'reject' | 'process';
  /**
   * Required `true` for a store with `exact: false` (Bloom), whose "seen" answers can be false
   * positives: events wrongly skipped at the configured rate.
   * @default false
   */
  acceptFalsePositives?: boolean;
  /**
   * After this many failed attempts of one event, record it as dead-lettered, answer 200 so the
   * provider stops, and call `onDeadLetter`. `Infinity` retries for as long as the provider does.
   * @default Infinity
   */
  maxAttempts?: number;
  /** Called with every dead-lettered event and the error of its last attempt. */
  onDeadLetter?: (event: WebhookEvent, error: unknown) => unknown;
  /** Called after every delivery, whatever its outcome. Errors it throws are logged, not raised. */
  onDelivery?: (report: DeliveryReport) => unknown;
  /**
   * Keeps a bounded record of recent deliveries and, in queued mode, of every job run (processed,
   * retried, dead-lettered): what `@hookguard/inspector` shows. Recording never waits for the log
   * and never fails a delivery. See docs/inspector.md.
   * @default undefined (no log)
   */
  deliveryLog?: DeliveryLog;
  /**
   * Seconds in the `Retry-After` of a 503 when the store is down.
   * @default 5
   */
  storeRetryAfterSeconds?: number;
  /** Where warnings and errors go. @default console (warnings and errors only) */
  logger?: Logger;
  /**
   * Clock in epoch milliseconds.
   * @default Date.now
   */
  now?: () => number;
  /**
   * Turns individual setup warnings off by code, e.g. `{ WARN_HOOKGUARD_STORE_NOT_SHARED: false }`.
   */
  warnings?: Partial<Record<WarningCode, boolean>>;
};

/** Options for {@link Receiver.work}. */
export type WorkOptions = {
  /**
   * Events run at once by this process.
   * @default 1
   */
  concurrency?: number;
};

/** Codes of the one-time setup warnings. */
export type WarningCode =
  | 'WARN_HOOKGUARD_UNSAFE_NO_VERIFICATION'
  | 'WARN_HOOKGUARD_STORE_NOT_SHARED'
  | 'WARN_HOOKGUARD_SECRET_WHITESPACE'
  | 'WARN_HOOKGUARD_RETENTION_SHORTER_THAN_RECEIVER'
  | 'WARN_HOOKGUARD_FINGERPRINT_MISMATCH'
  | 'WARN_HOOKGUARD_RETENTION_BELOW_REPLAY_WINDOW'
  | 'WARN_HOOKGUARD_NO_HANDLERS';

/**
 * Maps event types to payload types, for `createReceiver<Events>()`: a type literal or an
 * `interface`. Without one (the default) every type is accepted and payloads are `unknown`.
 *
 * @example
 * ```ts
 * interface Events {
 *   'invoice.paid': { data: { invoiceId: string } };
 * }
 * const receiver = createReceiver<Events>({ verifier: stripe({ secret: process.env.STRIPE_WEBHOOK_SECRET! }) });
 * ```
 */
// `object`, not `Record<string, unknown>`: an interface has no implicit index signature, so it
// would not satisfy a record constraint (TS2344).
export type EventMap = object;

/** The event types a pattern (`'a.b'`, `'a.*'`, `'*'`) matches in an event map. */
export type MatchingTypes<Events extends EventMap, Pattern extends string> = Pattern extends '*'
  ? Extract<keyof Events, string>
  : Pattern extends `${infer Prefix}.*`
    ? Extract<keyof Events, `${Prefix}.${string}`>
    : Extract<Pattern, keyof Events>;

/** The types a pattern stands for when the map has none of them: `'a.*'` is any `a.…`, `'*'` any. */
type PatternTypes<Pattern extends string> = Pattern extends '*'
  ? string
  : Pattern extends `${infer Prefix}.*`
    ? `${Prefix}.${string}`
    : Pattern;

/** The event a handler for `Pattern` receives. */
export type EventFor<Events extends EventMap, Pattern extends string> = [MatchingTypes<Events, Pattern>] extends [never]
  ? WebhookEvent<PatternTypes<Pattern>, unknown>
  : { [Type in MatchingTypes<Events, Pattern>]: WebhookEvent<Type, Events[Type]> }[MatchingTypes<Events, Pattern>];

/** A pattern: an event type of the map, a `prefix.*` wildcard, or `'*'`. */
export type TypePattern<Events extends EventMap> =
  | Extract<keyof Events, string>
  | `${string}.*`
  | '*'
  | (string & {});

/**
 * A webhook receiver: verify, dedup, dispatch, answer. Framework adapters call `receive` and write
 * its result.
 */
export interface Receiver<Events extends EventMap = EventMap> {
  /** Registers a handler for an exact type, a `prefix.*` wildcard, `'*'`, or a list of those. */
  on<Pattern extends TypePattern<Events>>(
    type: Pattern | readonly Pattern[],
    handler: WebhookHandler<EventFor<Events, Pattern>, TransactionalHandlerContext>,
    options: HandlerOptions & { transaction: true },
  ): this;
  on<Pattern extends TypePattern<Events>>(
    type: Pattern | readonly Pattern[],
    handler: WebhookHandler<EventFor<Events, Pattern>>,
    options?: HandlerOptions,
  ): this;
  /** Called with every handler error (the delivery still answers 500). */
  onError(handler: (error: unknown, event: WebhookEvent, context: HandlerContext) => unknown): this;
  /** Verifies, dedups and dispatches one delivery. Never throws for anything a request contains. */
  receive(input: ReceiveInput, options?: ReceiveOptions): Promise<ReceiveResult>;
  /**
   * Answers a request an adapter could not hand over (its body was already parsed, say) with the
   * same response shape, logging and `onDelivery` report as `receive`.
   */
  reject(error: WebhookError): ReceiveResult;
  /**
   * Queued mode: starts running queued events in this process (any number of processes may),
   * with the same handlers and `ctx` as inline mode. Resolves once the worker is running.
   *
   * @example
   * ```ts
   * const worker = await receiver.work({ concurrency: 8 });
   * process.on('SIGTERM', () => void worker.close());
   * ```
   */
  work(options?: WorkOptions): Promise<QueueWorker>;
  /**
   * Queued mode: runs a dead-lettered or completed event again from its stored verified payload
   * (not by re-posting it: its signature's timestamp would be stale). Takes the event id or its
   * dedup key; resolves `false` when the queue keeps no event for it. Where the key is made from
   * the signed body (GitHub, Shopify), an event id finds only dead letters (the 10,000 most
   * recent): replay a completed event of theirs by its key.
   */
  replay(idOrKey: string): Promise<boolean>;
  /** The resolved configuration, for adapters (`maxBodyBytes`) and diagnostics. */
  readonly options: Readonly<ResolvedReceiverOptions>;
}

/** Options after defaults were applied. */
export type ResolvedReceiverOptions = {
  verifier: Verifier;
  queue: WebhookQueue | undefined;
  retry: RetryPolicy;
  store: DedupStore;
  namespace: string;
  leaseMs: number;
  /** `Infinity` when no deadline was set. */
  handlerTimeoutMs: number;
  retentionMs: number;
  maxBodyBytes: number;
  bodyTimeoutMs: number;
  onStoreError: 'reject' | 'process';
  maxAttempts: number;
  storeRetryAfterSeconds: number;
  /** The delivery log, when one was given. */
  deliveryLog?: DeliveryLog | undefined;
  logger: Logger;
  now: () => number;
};
