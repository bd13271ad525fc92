import { describeError } from '../errors/describe-error.js';
import { isWebhookError } from '../errors/webhook-error.js';
import type { Logger } from '../logging/logger.js';
import type { QueuedEvent } from '../queue/webhook-queue.js';
import type { Trace } from '../receiver/delivery.js';
import type { ReceiveResult } from '../receiver/types.js';
import type { DeliveryLog, DeliveryLogEntry, DeliveryLogOutcome } from './delivery-log.js';
import { redactMessage } from './redact.js';

/** What the receiver hands the log besides the report. */
type Source = { readonly deliveryLog?: DeliveryLog | undefined; readonly namespace: string; readonly logger: Logger };

/**
 * Records one delivery in the receiver's delivery log, if it has one, from what the pipeline
 * learned (`trace`) and its answer. Never throws: a log that throws is logged, and the delivery goes on.
 */
export function recordDelivery(source: Source & { readonly now: () => number }, trace: Trace, result: ReceiveResult, started: number): void {
  const log = source.deliveryLog;
  if (log === undefined) return;
  const at = source.now();
  const error = result.error;
  const entry: DeliveryLogEntry = {
    at,
    namespace: source.namespace,
    source: 'receive',
    id: trace.id ?? null,
    type: trace.type ?? null,
    key: trace.key ?? null,
    outcome: result.outcome,
    status: result.status,
    attempt: trace.attempt ?? null,
    durationMs: at - started,
    errorCode: error === undefined ? null : error.code,
    // The code has its own field: the message is the handler's error, or the refusal's explanation,
    // masked, since a handler's error often quotes the payload.
    errorMessage: error === undefined ? null : redactMessage(error.cause === undefined ? error.message : describeError(error.cause)),
    duplicate: result.outcome === 'duplicate',
  };
  if (log.payloads && result.event !== undefined) entry.payload = result.event.payload;
  guarded(source, log, entry);
}

/** Records one run of a queued job: `processed`, `retried` (failed, will run again) or `dead_lettered`. */
export function recordJobRun(
  source: Source,
  job: QueuedEvent,
  run: { attempt: number; outcome: Extract<DeliveryLogOutcome, 'processed' | 'retried' | 'dead_lettered'>; startedAt: number; at: number; error?: unknown },
): void {
  const log = source.deliveryLog;
  if (log === undefined) return;
  const { error } = run;
  guarded(source, log, {
    at: run.at,
    namespace: job.namespace,
    source: 'worker',
    id: job.id,
    type: job.type,
    key: job.key,
    outcome: run.outcome,
    status: null,
    attempt: run.attempt,
    durationMs: run.at - run.startedAt,
    errorCode: error === undefined ? null : isWebhookError(error) ? error.code : error instanceof Error ? error.name : 'Error',
    errorMessage: error === undefined ? null : redactMessage(describeError(error)),
    duplicate: false,
    ...(log.payloads ? { payload: job.payload } : {}),
  });
}

const complained = new WeakSet<DeliveryLog>();

function guarded(source: Source, log: DeliveryLog, entry: DeliveryLogEntry): void {
  try {
    log.record(entry);
  } catch (error) {
    if (complained.has(log)) return;
    complained.add(log);
    source.logger.error({ code: 'ERR_HOOKGUARD_INTERNAL', error: describeError(error) }, `the '${log.name}' delivery log threw from record(); deliveries go on without it`);
  }
}
