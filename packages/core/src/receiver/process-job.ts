import { describeError } from '../errors/describe-error.js';
import type { ErrorCode } from '../errors/error-codes.js';
import { WebhookError } from '../errors/webhook-error.js';
import { toWebhookHeaders } from '../http/headers.js';
import { contextOnce, contextOnceKey } from '../once/context-once.js';
import { recordJobRun } from '../delivery-log/record-delivery.js';
import type { JobContext, JobProcessor, LostRuns, QueuedEvent } from '../queue/webhook-queue.js';
import { DeliveryContext, lapseReason } from './handler-context.js';
import type { HandlersOutcome } from './handler-runner.js';
import type { Pipeline } from './pipeline.js';
import { hasTransactionalRoute, type Route, type Router } from './router.js';
import type { TransactionalDedupStore, WebhookEvent } from './types.js';
import { storeRecord, traceJob, traceLostJob } from '../telemetry/build-records.js';
import { telemetryActive, traced } from '../telemetry/registry.js';

/**
 * Queued mode's processing: what a worker does with each job. Runs the matched handlers with the
 * same `ctx` as inline mode; a failure rejects, so the queue retries it with the receiver's policy,
 * and the last failure calls `onDeadLetter` before the queue keeps the job as dead-lettered. A job
 * the queue dead-lettered without a run failing (its runs lost) is reported the same way, through
 * `deadLettered`, which the queue calls.
 */
export function createJobProcessor(pipeline: Pipeline, router: Router): JobProcessor {
  const run = async function processJob(job: QueuedEvent, jobContext: JobContext): Promise<void> {
    const { options } = pipeline;
    const startedAt = options.now();
    const last = jobContext.attempt >= options.retry.attempts;
    // Before anything else: completed here for want of a handler, another receiver's job would be lost.
    if (isForeign(pipeline, job)) {
      const refusal = refuseForeignJob(pipeline, job, last);
      if (last) await reportDeadLetter(pipeline, job, { attempt: jobContext.attempt, error: refusal, startedAt }, LAST_FAILURE);
      throw refusal;
    }
    const routes = router.match(job.type, job.alias ?? undefined);
    if (routes.length === 0) {
      options.logger.info?.({ key: job.key, type: job.type }, 'a queued event has no handler any more; completing it');
      return;
    }
    const event = toWebhookEvent(job);
    const outcome = hasTransactionalRoute(routes)
      ? await runInTransaction(pipeline, job, event, routes, jobContext)
      : await runHandlers(pipeline, job, event, routes, jobContext);
    if (outcome.ok) {
      options.logger.debug?.({ key: job.key, attempt: jobContext.attempt }, 'queued event processed');
      recordJobRun(options, job, { attempt: jobContext.attempt, outcome: 'processed', startedAt, at: options.now() });
      return;
    }
    if (last) await reportDeadLetter(pipeline, job, { attempt: jobContext.attempt, error: outcome.error, startedAt }, LAST_FAILURE);
    else recordJobRun(options, job, { attempt: jobContext.attempt, outcome: 'retried', startedAt, at: options.now(), error: outcome.error });
    throw outcome.error;
  };
  const deadLettered = async (job: QueuedEvent, lost: LostRuns): Promise<void> => {
    const error = new WebhookError(
      'ERR_HOOKGUARD_LEASE_LOST',
      `The queue dead-lettered '${job.key}' without a run failing: each of its runs was lost (its worker died, or lost the job's lock) until no attempt ` +
        `was left (${lost.reason}), so no run of it finished. A handler that crashes its process, or outlives the lock, does this.`,
    );
    const report = (): Promise<void> => reportDeadLetter(pipeline, job, { attempt: lost.attempt, error, startedAt: pipeline.options.now() }, LOST_RUNS);
    try {
      await (telemetryActive() ? traceLostJob(pipeline, job, lost.attempt, error, report) : report());
    } catch (reportError) {
      pipeline.options.logger.error({ code: 'ERR_HOOKGUARD_INTERNAL', key: job.key, error: describeError(reportError) }, 'could not report a dead-lettered job');
    }
  };
  const processor = (job: QueuedEvent, jobContext: JobContext): Promise<void> =>
    telemetryActive() ? traceJob(pipeline, job, jobContext, run) : run(job, jobContext);
  return Object.assign(processor, { deadLettered });
}

/** Why a job is dead: the log line's code and what it says besides the error. */
type DeathNotice = { code: ErrorCode; message: string };

const LAST_FAILURE: DeathNotice = {
  code: 'ERR_HOOKGUARD_HANDLER_FAILED',
  message: 'queued event dead-lettered after its last attempt; replay it with receiver.replay() once fixed',
};
const LOST_RUNS: DeathNotice = {
  code: 'ERR_HOOKGUARD_LEASE_LOST',
  message: 'queued event dead-lettered: its runs were all lost (workers died or lost its lock) until no attempt was left; replay it with receiver.replay() once fixed',
};

/**
 * Says that a job is dead-lettered: a `dead_lettered` record in the delivery log, then, for the
 * receiver's own job, `onDeadLetter` and an error log line. Another receiver's job (a shared queue)
 * gets the record under its own namespace and a log line saying how to replay it, never this
 * receiver's `onDeadLetter`, which is for this receiver's events.
 */
async function reportDeadLetter(pipeline: Pipeline, job: QueuedEvent, run: { attempt: number; error: unknown; startedAt: number }, notice: DeathNotice): Promise<void> {
  const { options } = pipeline;
  const { attempt, error } = run;
  recordJobRun(options, job, { attempt, outcome: 'dead_lettered', startedAt: run.startedAt, at: options.now(), error });
  if (isForeign(pipeline, job)) {
    options.logger.error(
      { code: 'ERR_HOOKGUARD_QUEUE_SHARED', key: job.key, namespace: options.namespace, jobNamespace: job.namespace, attempts: attempt, deadLettered: true, error: describeError(error) },
      `a job of the receiver with namespace '${job.namespace}' ran out of attempts on workers of the receiver with namespace '${options.namespace}' ` +
        `(the two share one ${options.queue?.name ?? ''} queue) and is now dead-lettered; its own receiver's onDeadLetter did not run. Give each receiver a ` +
        `queue of its own, then replay it through the receiver with namespace '${job.namespace}': receiver.replay('${job.key}'), or ` +
        `npx hookguard replay --receiver <its module> '${job.key}'`,
    );
    return;
  }
  try {
    await pipeline.onDeadLetter?.(toWebhookEvent(job), error);
  } catch (hookError) {
    // The queue keeps the job as dead-lettered either way: it can be replayed, nothing is lost.
    options.logger.error({ key: job.key, error: describeError(hookError) }, 'the onDeadLetter hook threw');
  }
  options.logger.error({ code: notice.code, key: job.key, type: job.type, attempts: attempt, error: describeError(error) }, notice.message);
}

/** Whether the job was enqueued by a receiver of another namespace (two receivers share one queue). */
function isForeign(pipeline: Pipeline, job: QueuedEvent): boolean {
  return job.namespace !== undefined && job.namespace !== pipeline.options.namespace;
}

function toWebhookEvent(job: QueuedEvent): WebhookEvent {
  return { id: job.id, type: job.type, payload: job.payload, timestamp: job.timestamp === null ? undefined : new Date(job.timestamp) };
}

/**
 * A job another receiver enqueued: several receivers (one namespace each) share one queue, each
 * `new BullMQQueue({ connection })` or `new PgBossQueue(…)` left at the default name. It fails
 * this attempt without running or completing anything, so the queue retries it and a worker of its
 * own receiver runs it; at its last attempt the queue keeps it as dead-lettered, for replay, which
 * {@link reportDeadLetter} then says instead of this refusal. Never completed: this receiver has no
 * handler for it, and completing would drop the event (a loss).
 */
function refuseForeignJob(pipeline: Pipeline, job: QueuedEvent, last: boolean): WebhookError {
  const { options } = pipeline;
  const error = new WebhookError(
    'ERR_HOOKGUARD_QUEUE_SHARED',
    `A worker of the receiver with namespace '${options.namespace}' took a job of the receiver with namespace '${job.namespace}' from ` +
      `the ${options.queue?.name ?? ''} queue: the two receivers share one queue. ${last ? 'That was its last attempt.' : 'The job goes back for a retry.'} Give each receiver ` +
      `a queue of its own, e.g. new BullMQQueue({ connection, name: '${job.namespace}' }) or new PgBossQueue({ …, name: '${job.namespace}' }).`,
  );
  if (!last) options.logger.error({ code: error.code, key: job.key, namespace: options.namespace, jobNamespace: job.namespace }, error.message);
  return error;
}

async function runHandlers(pipeline: Pipeline, job: QueuedEvent, event: WebhookEvent, routes: readonly Route[], jobContext: JobContext): Promise<HandlersOutcome> {
  const deadline = pipeline.deadline(jobContext);
  const context = new DeliveryContext(pipeline.options, jobContext.attempt, toWebhookHeaders(job.headers), job.key, deadline ?? jobContext);
  const running = pipeline.handlers.run(routes, event, context);
  let outcome: HandlersOutcome;
  try {
    outcome = deadline === undefined ? await running : await deadline.race(running);
  } finally {
    deadline?.stop();
  }
  // Returned after the job's lock lapsed under a handler that read the signal: perhaps stopped early.
  const lapse = outcome.ok ? context.lapseSeen() : undefined;
  return lapse === undefined ? outcome : { ok: false, error: lapse };
}

/**
 * `{ transaction: true }` handlers of a queued event commit together with a processing record in
 * the store, so a job run twice (a worker lost its lock after committing) runs them once.
 */
async function runInTransaction(
  pipeline: Pipeline,
  job: QueuedEvent,
  event: WebhookEvent,
  routes: readonly Route[],
  jobContext: JobContext,
): Promise<HandlersOutcome> {
  const { options } = pipeline;
  const store = options.store as TransactionalDedupStore;
  let failed: { error: unknown } | undefined;
  try {
    const transaction: Parameters<TransactionalDedupStore['claimInTransaction']>[2] = async (session) => {
      // Aborted when the connection holding the transaction or the job's lock is lost.
      const held = AbortSignal.any([session.signal, jobContext.signal]);
      const deadline = pipeline.deadline({ signal: held });
      const signal = deadline === undefined ? held : deadline.signal;
      const once = contextOnce(options, { signal, ...(session.store === undefined ? {} : { store: session.store }) });
      const context = { attempt: jobContext.attempt, signal, headers: toWebhookHeaders(job.headers), key: job.key, db: session.db, once };
      const running = pipeline.handlers.run(routes, event, context);
      let outcome: HandlersOutcome;
      try {
        outcome = deadline === undefined ? await running : await deadline.race(running);
      } finally {
        deadline?.stop();
      }
      if (!outcome.ok) {
        failed = { error: outcome.error };
        throw outcome.error;
      }
      // Returned after the job's lock lapsed: perhaps stopped early, so roll back rather than commit.
      const lapse = lapseReason(signal);
      if (lapse !== undefined) {
        failed = { error: lapse };
        throw lapse;
      }
    };
    const processing = processingKey(options.namespace, job.key);
    const claimOptions = { leaseMs: options.leaseMs, retentionMs: options.retentionMs };
    const claim = await (telemetryActive()
      ? traced(storeRecord(options, 'transaction'), () => store.claimInTransaction(processing, claimOptions, transaction))
      : store.claimInTransaction(processing, claimOptions, transaction));
    if (claim.status === 'processing') {
      return { ok: false, error: new WebhookError('ERR_HOOKGUARD_IN_PROGRESS', `Another worker is running '${job.key}'; retrying after its lease (${claim.retryAfterMs} ms at most).`) };
    }
    // 'completed': an earlier run committed, and only the job's own completion was lost.
    return { ok: true };
  } catch (error) {
    return { ok: false, error: failed === undefined ? error : failed.error };
  }
}

/** The store key that records a queued event's transactional handlers as committed. */
export function processingKey(namespace: string, key: string): string {
  // Inside the ctx.once key space, under a prefix that documentation reserves for hookguard.
  return contextOnceKey(namespace, `hookguard:processed:${key}`);
}

