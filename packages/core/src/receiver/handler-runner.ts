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

  async run(routes: readonly Route[], event: WebhookEvent, context: HandlerContext): Promise<HandlersOutcome> {
    const errors: unknown[] = [];
    if (routes.length === 1) {
      // The common case, without allSettled's per-handler promises and result objects.
      const route = routes[0]!;
      try {
        await (telemetryActive() ? traced(handlerRecord(route, context.attempt), async () => route.handler(event, context)) : route.handler(event, context));
      } catch (error) {
        errors.push(error);
      }
    } else {
      const settled = await Promise.allSettled(
        routes.map(async (route) => (telemetryActive() ? traced(handlerRecord(route, context.attempt), async () => route.handler(event, context)) : route.handler(event, context))),
      );
      for (const outcome of settled) if (outcome.status === 'rejected') errors.push(outcome.reason);
    }
    if (errors.length === 0) return HANDLERS_SUCCEEDED;
    for (const error of errors) {
      this.#logger.error(
        { code: 'ERR_HOOKGUARD_HANDLER_FAILED', key: context.key, type: event.type, attempt: context.attempt, error: describeError(error) },
        'a webhook handler failed',
      );
      for (const onError of this.#errorHooks) {
        try {
          await onError(error, event, context);
        } catch (hookError) {
          this.#logger.error({ key: context.key, error: describeError(hookError) }, 'an onError hook threw');
        }
      }
    }
    return { ok: false, error: errors.length === 1 ? errors[0] : new AggregateError(errors, `${errors.length} handlers failed`) };
  }
}
