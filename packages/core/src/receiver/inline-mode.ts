import { describeError } from '../errors/describe-error.js';
import { WebhookError } from '../errors/webhook-error.js';
import { contextOnceWithoutStore } from '../once/context-once.js';
import { DeliveryContext } from './handler-context.js';
import { isStoreFailure } from './store-failure.js';
import type { ClaimResult, ReleaseOptions } from '../store/dedup-store.js';
import { immediateAnswers } from '../store/memory-store.js';
import { handlerFailed, notClaimed, storeUnavailable } from './claim-answers.js';
import type { AcceptedDelivery, Trace } from './delivery.js';
import type { HandlersOutcome } from './handler-runner.js';
import { LeaseHeartbeat, leaseClock } from './lease-heartbeat.js';
import type { Pipeline, RunDeadline } from './pipeline.js';
import { success } from './responses.js';
import { storeRecord } from '../telemetry/build-records.js';
import { telemetryActive, traced } from '../telemetry/registry.js';
import type { ReceiveResult, WebhookEvent } from './types.js';

/** A claim the store granted. */
type ClaimedKey = Extract<ClaimResult, { status: 'claimed' }>;

/**
 * Inline mode (DESIGN.md, "The pipeline", steps 5-7): claim the key, run the handlers inside the
 * request while a heartbeat keeps the lease, then complete (200) or release (500, the provider
 * retries), dead-lettering after `maxAttempts`.
 *
 * A plain result where nothing waits: the memory store answers without promises, and a handler
 * that returns none is done when it returns. Each step that does wait continues in an async
 * function of its own, so the common path of every store makes no more promises than it awaits.
 */
export function processInline(pipeline: Pipeline, delivery: AcceptedDelivery): ReceiveResult | Promise<ReceiveResult> {
  // The lease runs from when the claim was sent, not answered: a slow answer has used some of it.
  const claimSentAt = leaseClock();
  let claiming: ClaimResult | Promise<ClaimResult>;
  try {
    claiming = claimKey(pipeline, delivery);
  } catch (error) {
    return processWithoutStore(pipeline, delivery, error);
  }
  return claiming instanceof Promise ? runWhenClaimed(pipeline, delivery, claiming, claimSentAt) : runClaimed(pipeline, delivery, claiming, claimSentAt);
}

async function runWhenClaimed(pipeline: Pipeline, delivery: AcceptedDelivery, claiming: Promise<ClaimResult>, claimSentAt: number): Promise<ReceiveResult> {
  let claim: ClaimResult;
  try {
    claim = await claiming;
  } catch (error) {
    return processWithoutStore(pipeline, delivery, error);
  }
  // Awaited rather than returned: an async function resolving to a promise takes two ticks more.
  const running = runClaimed(pipeline, delivery, claim, claimSentAt);
  return running instanceof Promise ? await running : running;
}

/** Runs the handlers under a claim the store answered: the outcome decides completion or release. */
function runClaimed(pipeline: Pipeline, delivery: AcceptedDelivery, claim: ClaimResult, claimSentAt: number): ReceiveResult | Promise<ReceiveResult> {
  const { options } = pipeline;
  const { event, key, trace } = delivery;
  if (claim.status !== 'claimed') return notClaimed(pipeline, claim, event, trace);
  trace.attempt = claim.attempt;
  if (claim.attempt > options.maxAttempts) return deadLetterExhausted(pipeline, delivery, claim);
  const heartbeat = new LeaseHeartbeat(options.store, key, claim.token, options.leaseMs, options.logger, claimSentAt);
  const deadline = pipeline.deadline(heartbeat);
  let running: HandlersOutcome | Promise<HandlersOutcome>;
  const context = new DeliveryContext(options, claim.attempt, delivery.headers, key, deadline ?? heartbeat);
  try {
    running = pipeline.handlers.run(delivery.routes, event, context);
    if (deadline !== undefined) running = deadline.race(running);
  } catch (error) {
    deadline?.stop();
    heartbeat.stop();
    throw error;
  }
  // A handler that returned no promise gives a plain outcome: no await, no promise for it.
  if (running instanceof Promise) return settleWhenRun(pipeline, delivery, claim, heartbeat, deadline, running, context);
  deadline?.stop();
  heartbeat.stop();
  return settle(pipeline, delivery, claim, heartbeat, running, context);
}

async function settleWhenRun(
  pipeline: Pipeline,
  delivery: AcceptedDelivery,
  claim: ClaimedKey,
  heartbeat: LeaseHeartbeat,
  deadline: RunDeadline | undefined,
  running: Promise<HandlersOutcome>,
  context: DeliveryContext,
): Promise<ReceiveResult> {
  let outcome: HandlersOutcome;
  try {
    outcome = await running;
  } finally {
    deadline?.stop();
    heartbeat.stop();
  }
  const settling = settle(pipeline, delivery, claim, heartbeat, outcome, context);
  return settling instanceof Promise ? await settling : settling;
}

/**
 * The handlers are done: complete the key (200), or release or dead-letter it. Handlers that
 * returned after their signal aborted for a lapsed lease may have stopped early: released, as a
 * failure of the store's (503, the attempt not counted), never completed.
 */
function settle(
  pipeline: Pipeline,
  delivery: AcceptedDelivery,
  claim: ClaimedKey,
  heartbeat: LeaseHeartbeat,
  outcome: HandlersOutcome,
  context: DeliveryContext,
): ReceiveResult | Promise<ReceiveResult> {
  if (!outcome.ok) return afterHandlerFailure(pipeline, delivery, claim, heartbeat, outcome.error);
  const lapse = context.lapseSeen();
  if (lapse !== undefined) return afterLapse(pipeline, delivery, claim, heartbeat, lapse);
  const { key, event, trace } = delivery;
  pipeline.lastErrors.forget(key);
  let completing: boolean | Promise<boolean>;
  try {
    completing = complete(pipeline, key, claim.token);
  } catch (error) {
    completionFailed(pipeline, key, error);
    return success('processed', event);
  }
  if (completing instanceof Promise) return settleWhenCompleted(pipeline, delivery, heartbeat, completing);
  if (!completing) completionRefused(pipeline, key, heartbeat, trace);
  return success('processed', event);
}

async function settleWhenCompleted(pipeline: Pipeline, delivery: AcceptedDelivery, heartbeat: LeaseHeartbeat, completing: Promise<boolean>): Promise<ReceiveResult> {
  const { key, event, trace } = delivery;
  let held = true;
  try {
    held = await completing;
  } catch (error) {
    completionFailed(pipeline, key, error);
  }
  if (!held) completionRefused(pipeline, key, heartbeat, trace);
  return success('processed', event);
}

/** The handlers succeeded: answer 200. The claim lapses with its lease; a redelivery would run again. */
function completionFailed(pipeline: Pipeline, key: string, error: unknown): void {
  pipeline.options.logger.error({ code: 'ERR_HOOKGUARD_STORE_UNAVAILABLE', key, error: describeError(error) }, 'could not record a handled event as completed');
}

/**
 * The handlers failed: release the claim for the provider's retry (503 when the store failed under
 * `ctx.once`, the attempt not counted), or dead-letter the event after its last allowed attempt.
 * Apart from the common path, so that path's async frame stays small.
 */
async function afterHandlerFailure(pipeline: Pipeline, delivery: AcceptedDelivery, claim: ClaimedKey, heartbeat: LeaseHeartbeat, error: unknown): Promise<ReceiveResult> {
  const { event, key, trace } = delivery;
  if (isStoreFailure(error)) {
    await release(pipeline, key, claim.token, trace, { uncounted: true }, heartbeat);
    return storeUnavailable(pipeline, error, event);
  }
  if (claim.attempt >= pipeline.options.maxAttempts) return deadLetter(pipeline, event, claim.token, error, trace);
  const lastError = pipeline.lastErrors.remember(key, error);
  await release(pipeline, key, claim.token, trace, { lastError }, heartbeat);
  return handlerFailed(event, claim.attempt, error);
}

/**
 * Handlers that read `ctx.signal` returned after it aborted for a lapsed lease: they may have
 * stopped early, so the key is given back, uncounted (the store failed, not the handlers), and
 * the provider is told to retry (503). When the release is refused, another delivery has taken
 * the event over and answers for it: 200, as after a refused completion.
 */
async function afterLapse(pipeline: Pipeline, delivery: AcceptedDelivery, claim: ClaimedKey, heartbeat: LeaseHeartbeat, lapse: unknown): Promise<ReceiveResult> {
  const { event, key, trace } = delivery;
  await release(pipeline, key, claim.token, trace, { uncounted: true }, heartbeat);
  return trace.leaseLost === true ? success('processed', event) : storeUnavailable(pipeline, lapse, event);
}

/** Claimed once more than `maxAttempts` allows (earlier runs crashed or outlived their lease): dead-letter it. */
function deadLetterExhausted(pipeline: Pipeline, delivery: AcceptedDelivery, claim: ClaimedKey): Promise<ReceiveResult> {
  const { options } = pipeline;
  const { event, key, trace } = delivery;
  const lastError =
    pipeline.lastErrors.recall(key, claim.lastError) ??
    new WebhookError(
      'ERR_HOOKGUARD_HANDLER_FAILED',
      `Event '${event.id}' was claimed ${claim.attempt} times without completing (maxAttempts is ${options.maxAttempts}): its handlers crash or outlive their lease.`,
    );
  return deadLetter(pipeline, event, claim.token, lastError, trace);
}

function claimKey(pipeline: Pipeline, delivery: AcceptedDelivery): ClaimResult | Promise<ClaimResult> {
  const { store } = pipeline.options;
  const { key, claimOptions } = delivery;
  if (telemetryActive()) return traced(storeRecord(pipeline.options, 'claim'), () => store.claim(key, claimOptions));
  const immediate = immediateAnswers(store);
  return immediate === undefined ? store.claim(key, claimOptions) : immediate.claim(key, claimOptions);
}

function complete(pipeline: Pipeline, key: string, token: string): boolean | Promise<boolean> {
  const { store, retentionMs } = pipeline.options;
  if (telemetryActive()) return traced(storeRecord(pipeline.options, 'complete'), () => store.complete(key, token, { retentionMs }));
  const immediate = immediateAnswers(store);
  return immediate === undefined ? store.complete(key, token, { retentionMs }) : immediate.complete(key, token, { retentionMs });
}

/** The store refused the completion: the lease was taken over, or the record vanished. */
function completionRefused(pipeline: Pipeline, key: string, heartbeat: LeaseHeartbeat, trace: Trace): void {
  trace.leaseLost = true;
  heartbeat.lose();
  const redis = pipeline.options.store.name === 'redis';
  pipeline.options.logger.warn(
    { code: 'ERR_HOOKGUARD_LEASE_LOST', key },
    `handlers finished after their lease was taken over or their record vanished${redis ? ' (Redis with a maxmemory-policy other than noeviction can evict it)' : ''}, ` +
      `so another delivery may run them too; raise leaseMs if handlers legitimately run this long${redis ? ', and run Redis with maxmemory-policy noeviction' : ''}`,
  );
}

/** Gives a claim back so a retry runs the handlers again; never throws. */
export async function release(
  pipeline: Pipeline,
  key: string,
  token: string,
  trace: Trace,
  releaseOptions: ReleaseOptions,
  heartbeat?: LeaseHeartbeat,
): Promise<void> {
  try {
    const { options } = pipeline;
    const releasing = telemetryActive()
      ? traced(storeRecord(options, 'release'), () => options.store.release(key, token, releaseOptions))
      : options.store.release(key, token, releaseOptions);
    if (await releasing) return;
    trace.leaseLost = true;
    // As for a refused completion: the handlers may still be at work (onError hooks, detached tasks).
    heartbeat?.lose();
  } catch (error) {
    pipeline.options.logger.error(
      { code: 'ERR_HOOKGUARD_STORE_UNAVAILABLE', key, error: describeError(error) },
      'could not release a failed claim; the retry waits until the lease lapses',
    );
  }
}

/**
 * Records the event as dead-lettered after its last allowed attempt: `onDeadLetter` first, so an
 * event it cannot take is released and retried, then the completion, then 200 so the provider stops.
 */
export async function deadLetter(pipeline: Pipeline, event: WebhookEvent, token: string, cause: unknown, trace: Trace): Promise<ReceiveResult> {
  const { store, logger, retentionMs, maxAttempts } = pipeline.options;
  const key = trace.key ?? '';
  try {
    await pipeline.onDeadLetter?.(event, cause);
    const result = store.exact ? { dead_lettered: true, attempts: trace.attempt } : undefined;
    const completeOptions = result === undefined ? { retentionMs } : { retentionMs, result };
    const held = await (telemetryActive()
      ? traced(storeRecord(pipeline.options, 'complete'), () => store.complete(key, token, completeOptions))
      : store.complete(key, token, completeOptions));
    if (!held) trace.leaseLost = true;
  } catch (error) {
    logger.error({ key, error: describeError(error) }, 'could not dead-letter an event; releasing it so the provider retries');
    const lastError = pipeline.lastErrors.remember(key, cause);
    await release(pipeline, key, token, trace, { lastError });
    return handlerFailed(event, trace.attempt ?? 1, cause);
  }
  pipeline.lastErrors.forget(key);
  logger.error(
    { code: 'ERR_HOOKGUARD_HANDLER_FAILED', key, type: event.type, attempts: trace.attempt, maxAttempts, error: describeError(cause) },
    'event dead-lettered after its last allowed attempt; answering 200 so the provider stops retrying',
  );
  return success('dead_lettered', event);
}

/**
 * The store failed at the claim: 503 (`onStoreError: 'reject'`), or run the handlers without dedup
 * (`'process'`: duplicates possible, nothing lost).
 */
export async function processWithoutStore(pipeline: Pipeline, delivery: AcceptedDelivery, error: unknown): Promise<ReceiveResult> {
  const { logger, store, onStoreError } = pipeline.options;
  const { event, trace, key } = delivery;
  logger.error({ code: 'ERR_HOOKGUARD_STORE_UNAVAILABLE', store: store.name, key, error: describeError(error) }, 'the dedup store failed');
  if (onStoreError === 'reject' || delivery.routes.length === 0) return storeUnavailable(pipeline, error, event);
  trace.dedupSkipped = true;
  logger.warn(
    { code: 'ERR_HOOKGUARD_STORE_UNAVAILABLE', key, store: store.name },
    "processing without dedup because the store failed and onStoreError is 'process': this event may run more than once",
  );
  // The store just failed, so ctx.once cannot ask it either: it runs fn directly, like the handlers.
  const once = contextOnceWithoutStore(logger, key);
  const outcome = await pipeline.handlers.run(delivery.routes, event, { attempt: 1, signal: new AbortController().signal, headers: delivery.headers, key, once });
  if (outcome.ok) return success('processed', event);
  return handlerFailed(event, 1, outcome.error);
}
