import type { HandlerRunner, HandlersOutcome } from './handler-runner.js';
import type { LastErrors } from './last-errors.js';
import type { ResolvedReceiverOptions, WebhookEvent } from './types.js';

/** A handler deadline (`handlerTimeoutMs`) for one run of the handlers. */
export type RunDeadline = {
  /** Aborted when the lease is lost or the deadline passes, whichever comes first. */
  readonly signal: AbortSignal;
  /** Settles with `running`, or with a failed outcome once the deadline passes. */
  race(running: HandlersOutcome | Promise<HandlersOutcome>): Promise<HandlersOutcome>;
  stop(): void;
};

/** What every processing mode needs from the receiver: its settings, its handlers, its hooks. */
export type Pipeline = {
  readonly options: Readonly<ResolvedReceiverOptions>;
  readonly handlers: HandlerRunner;
  readonly onDeadLetter: ((event: WebhookEvent, error: unknown) => unknown) | undefined;
  readonly lastErrors: LastErrors;
  /** A deadline for one run, linked to the lease's signal; `undefined` without `handlerTimeoutMs`. */
  deadline(lease: { readonly signal: AbortSignal }): RunDeadline | undefined;
};
