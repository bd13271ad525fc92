import type { DeliveryReport } from '../receiver/types.js';

/**
 * What the core publishes to telemetry subscribers (`@hookguard/otel`, or one of your own). This is
 * a protocol between copies of packages, not an API of one copy: two versions of `@hookguard/core`
 * in one process publish to the same registry, and a subscriber reads these records without
 * importing the core. Fields are only ever added, never renamed (the registry key is versioned).
 *
 * No record carries a secret, a signature or a raw body. A delivery's `report` and a job's `error`
 * may quote payload values in error messages: a subscriber records error codes and class names, never
 * messages.
 */
export type TelemetryRecord = DeliveryRecord | JobRecord | StoreRecord | HandlerRecord;

/** How a delivery's handlers run: in the request, in the store's transaction, or by a queue's worker. */
export type ProcessingMode = 'inline' | 'transactional' | 'queued';

/** One HTTP delivery, from `receive()` to its answer. Filled in while it runs. */
export type DeliveryRecord = {
  readonly kind: 'delivery';
  /** The receiver's namespace (the messaging destination). */
  readonly namespace: string;
  /** The verifier's name (`standard-webhooks`, `stripe`, …): the messaging system. */
  readonly system: string;
  /** The dedup store's name. */
  readonly store: string;
  /** Set once the delivery is accepted and a mode takes it; `undefined` for deliveries answered earlier. */
  mode: ProcessingMode | undefined;
  /** `true` when the verifier refused the delivery (missing or malformed headers, bad signature, stale timestamp). */
  verificationFailed: boolean;
  /** What `onDelivery` receives, set just before the answer is returned. */
  report: DeliveryReport | undefined;
};

/** How one run of a queued job ended. */
export type JobOutcome = 'processed' | 'failed' | 'dead_lettered';

/** One run of a queued job by a worker (`receiver.work()`). */
export type JobRecord = {
  readonly kind: 'job';
  readonly namespace: string;
  readonly system: string;
  readonly store: string;
  /** The queue's name (`bullmq`, `pg-boss`). */
  readonly queue: string;
  readonly id: string;
  readonly type: string;
  readonly attempt: number;
  /** `true` on the last attempt the retry policy allows: a failure dead-letters the event. */
  readonly lastAttempt: boolean;
  /** The trace context the accepting request injected into the job, if any. */
  readonly trace: Readonly<Record<string, string>> | undefined;
  outcome: JobOutcome | undefined;
  /** The failure of a `failed` or `dead_lettered` run. */
  error: unknown;
};

/** A store operation of the pipeline. `transaction` is `claimInTransaction`, handlers included. */
export type StoreOperation = 'claim' | 'complete' | 'release' | 'transaction';

/** One dedup-store call made by the pipeline. */
export type StoreRecord = {
  readonly kind: 'store';
  readonly store: string;
  readonly operation: StoreOperation;
  readonly namespace: string;
};

/** One handler's run for one event. */
export type HandlerRecord = {
  readonly kind: 'handler';
  /** The pattern it was registered under (`message.received`, `message.*`, `*`). */
  readonly pattern: string;
  /** The handler function's name; `''` for an anonymous function. */
  readonly name: string;
  readonly attempt: number;
};

/**
 * A telemetry subscriber. `trace` must call `run` exactly once and settle as it settles (same value,
 * same error); it may run it inside a context of its own (a span made active).
 */
export type TelemetrySubscriber = {
  trace<T>(record: TelemetryRecord, run: () => Promise<T>): Promise<T>;
  /**
   * `true` while it would record nothing (an instrumentation with no SDK behind it): while every
   * subscriber sleeps, the core builds no record, as if none were there. Asked on every operation,
   * so it must be cheap.
   */
  sleeping?(): boolean;
  /** Writes the current trace context into `carrier` (W3C `traceparent`), for a queued job. */
  inject?(carrier: Record<string, string>): void;
};
