import { describeError } from '../errors/describe-error.js';
import { isWebhookError } from '../errors/webhook-error.js';
import type { Logger } from '../logging/logger.js';
import type { QueuedEvent } from '../queue/webhook-queue.js';
import type { DeliveryReport } from '../receiver/types.js';
import type { DeliveryLog, DeliveryLogOutcome } from './delivery-log.js';

/** What the receiver hands the log besides the report. */
type Source = { readonly deliveryLog?: DeliveryLog | undefined; readonly namespace: string; readonly logger: Logger };

/**
 * Records one delivery's report in the receiver's delivery log, if it has one. Never throws: a log
 * that throws is logged, and the delivery goes on.
 */
export function recordDelivery(source: Source, report: DeliveryReport, at: number, payload: unknown): void {
  const log = source.deliveryLog;
  if (log === undefined) return;
  const error = report.error;
  guarded(source, log, () =>
    log.record({
      at,
      namespace: source.namespace,
      source: 'receive',
      id: report.id ?? null,
      type: report.type ?? null,
      key: report.key ?? null,
      outcome: report.outcome,
      status: report.status,
      attempt: report.attempt ?? null,
      durationMs: report.durationMs,
      errorCode: error === undefined ? null : error.code,
      errorMessage: error === undefined ? null : describeError(error.cause ?? error),
      duplicate: report.outcome === 'duplicate',
      ...(log.payloads && payload !== undefined ? { payload } : {}),
    }),
  );
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
  guarded(source, log, () =>
    log.record({
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
      errorMessage: error === undefined ? null : describeError(error),
      duplicate: false,
      ...(log.payloads ? { payload: job.payload } : {}),
    }),
  );
}

const complained = new WeakSet<DeliveryLog>();

function guarded(source: Source, log: DeliveryLog, write: () => void): void {
  try {
    write();
  } catch (error) {
    if (complained.has(log)) return;
    complained.add(log);
    source.logger.error({ code: 'ERR_HOOKGUARD_INTERNAL', error: describeError(error) }, `the '${log.name}' delivery log threw from record(); deliveries go on without it`);
  }
}
