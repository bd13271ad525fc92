import type { JobContext } from './webhook-queue.js';

/** The message of a run's abort reason when its worker closed before it finished. */
export const CLOSING = 'the worker is closing';

/**
 * One run's context for the processor: its attempt, and its signal, aborted when the lock is lost
 * or may have lapsed, or when the close grace ends; what a queue package's worker hands the
 * processor. The AbortController behind the signal is made on the first read: most handlers never
 * read `ctx.signal`, and in the BullMQ worker a controller per job (with BullMQ's own) held no-op
 * jobs to 0.68–0.76 of a plain Worker's throughput (docs/queues/bullmq.md, "Figures").
 *
 * @example
 * ```ts
 * const run = new JobRun(1);
 * run.abort(new Error('lock lost'));
 * run.signal.aborted; // true: made aborted, with that reason
 * ```
 */
export class JobRun implements JobContext {
  readonly attempt: number;
  /** Set when the close grace ended during this run: its job goes back to the queue uncounted. */
  closing = false;
  #controller: AbortController | undefined;
  #aborted = false;
  #reason: unknown;

  constructor(attempt: number) {
    this.attempt = attempt;
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  /** Aborts the signal with `reason`, now or, when it has not been read yet, as it is made. */
  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
  }

  /** The close grace ended: the run is marked for handing back, and its signal aborts with an Error saying {@link CLOSING}. */
  close(): void {
    this.closing = true;
    this.abort(new Error(CLOSING));
  }
}
