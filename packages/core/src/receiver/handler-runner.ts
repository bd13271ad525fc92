import { describeError } from '../errors/describe-error.js';
import type { Logger } from '../logging/logger.js';
import type { Route } from './router.js';
import type { HandlerContext, WebhookEvent } from './types.js';
import { handlerRecord } from '../telemetry/build-records.js';
import { telemetryActive, traced } from '../telemetry/registry.js';

/** How the handlers of one delivery ended. */
export type HandlersOutcome = { ok: true } | { ok: false; error: unknown };

/** An `onError` hook, as `receiver.onError` registers it. */
export type ErrorHook = (error: unknown, event: WebhookEvent, context: HandlerContext) => unknown;

const HANDLERS_SUCCEEDED: HandlersOutcome = Object.freeze({ ok: true });

/**
 * Runs the matched handlers of a delivery and its `onError` hooks: the one step that inline,
 * transactional and queued processing share. Every handler runs even when another fails; their
 * errors come back as one (an `AggregateError` when several failed), never thrown.
 */
export class HandlerRunner {
  readonly #logger: Logger;
  readonly #errorHooks: ErrorHook[] = [];

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  addErrorHook(hook: ErrorHook): void {
    this.#errorHooks.push(hook);
  }

  /**
   * Runs the handlers. A plain outcome when the one matched handler returned without a promise (or
   * threw with no `onError` hook to wait for): no promise is made for a handler that needs none.
   */
  run(routes: readonly Route[], event: WebhookEvent, context: HandlerContext): HandlersOutcome | Promise<HandlersOutcome> {
    if (routes.length !== 1 || telemetryActive()) return this.#runAll(routes, event, context);
    // The common case: one handler, without allSettled's per-handler promises and result objects.
    let returned: unknown;
    try {
      returned = routes[0]!.handler(event, context);
    } catch (error) {
      return this.#failed([error], event, context);
    }
    if (!isThenable(returned)) return HANDLERS_SUCCEEDED;
    return Promise.resolve(returned).then(
      () => HANDLERS_SUCCEEDED,
      (error: unknown) => this.#failed([error], event, context),
    );
  }

  async #runAll(routes: readonly Route[], event: WebhookEvent, context: HandlerContext): Promise<HandlersOutcome> {
    const settled = await Promise.allSettled(
      routes.map(async (route) => (telemetryActive() ? traced(handlerRecord(route, context.attempt), async () => route.handler(event, context)) : route.handler(event, context))),
    );
    const errors: unknown[] = [];
    for (const outcome of settled) if (outcome.status === 'rejected') errors.push(outcome.reason);
    return errors.length === 0 ? HANDLERS_SUCCEEDED : this.#failed(errors, event, context);
  }

  /** Logs each error and runs the `onError` hooks; a plain outcome when there are no hooks to wait for. */
  #failed(errors: readonly unknown[], event: WebhookEvent, context: HandlerContext): HandlersOutcome | Promise<HandlersOutcome> {
    for (const error of errors) {
      this.#logger.error(
        { code: 'ERR_HOOKGUARD_HANDLER_FAILED', key: context.key, type: event.type, attempt: context.attempt, error: describeError(error) },
        'a webhook handler failed',
      );
    }
    const outcome: HandlersOutcome = { ok: false, error: errors.length === 1 ? errors[0] : new AggregateError(errors, `${errors.length} handlers failed`) };
    if (this.#errorHooks.length === 0) return outcome;
    return this.#runErrorHooks(errors, event, context).then(() => outcome);
  }

  async #runErrorHooks(errors: readonly unknown[], event: WebhookEvent, context: HandlerContext): Promise<void> {
    for (const error of errors) {
      for (const onError of this.#errorHooks) {
        try {
          await onError(error, event, context);
        } catch (hookError) {
          this.#logger.error({ key: context.key, error: describeError(hookError) }, 'an onError hook threw');
        }
      }
    }
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}
