import { describeError } from '../errors/describe-error.js';
import { WebhookError } from '../errors/webhook-error.js';
import type { Logger } from '../logging/logger.js';

// For queue implementations (@hookguard/bullmq, @hookguard/pg-boss): their workers' job locks.
// As the receiver's lease heartbeat (../receiver/lease-heartbeat.ts), a lock is renewed
// every third of its length, so one failed or slow renewal still leaves it alive, and a run is
// aborted once no renewal was confirmed for five sixths of it. One timer per worker ticks twelve
// times per lock length (twice as often as the core's), so the abort comes between five sixths and
// eleven twelfths: at least a twelfth of the lock before the engine may hand the job over, which
// absorbs a late timer on a busy machine.
const TICKS_PER_LOCK = 12;
const TICKS_PER_RENEWAL = 4;
const TICKS_OF_MARGIN = 2;

/**
 * The clock locks are measured on: monotonic, so a wall-clock jump neither aborts a held lock nor
 * keeps a lapsed one. Read it just before sending what takes or renews a lock.
 */
export function lockClock(): number {
  return globalThis.performance.now();
}

/**
 * Renews the locks of `runs` in one round trip. Resolves with the runs whose lock is still theirs,
 * each with the token it now holds it by; a run left out has lost its lock to another run.
 */
export type LockRenewal<Token> = (runs: readonly HeldLock<Token>[]) => Promise<ReadonlyMap<HeldLock<Token>, Token>>;

/** Options for {@link JobLocks}. */
export type JobLocksOptions<Token> = {
  /** The queue's name, for logs and errors (`pg-boss`, `bullmq`). */
  queue: string;
  /** How long a lock lasts without renewal, in milliseconds: the engine may hand the job over after it. */
  lockMs: number;
  renew: LockRenewal<Token>;
  logger: Logger;
  /** How to give slow renewals more room, for messages (`raise expireInSeconds`). */
  remedy: string;
};

/** One running job's hold on its lock. */
export class HeldLock<Token> {
  readonly jobId: string;
  readonly key: string | undefined;
  readonly lockMs: number;
  /** What the engine's lock is held by now (a token, a start time). */
  token: Token;
  /** When the last lock or renewal the engine confirmed was sent, on {@link lockClock}. */
  confirmedSentAt: number;
  /** Why the last renewal failed, if it did: the cause of a lapse. */
  renewalError: unknown;
  /** Set once the lock is known lost or may have lapsed: the run is no longer renewed. */
  lost: WebhookError | undefined;
  /** The renewal in flight that includes this run, if any. */
  renewing: Promise<void> | undefined;
  readonly onLost: (reason: WebhookError) => void;

  constructor(jobId: string, key: string | undefined, token: Token, lockMs: number, takenAt: number, onLost: (reason: WebhookError) => void) {
    this.jobId = jobId;
    this.key = key;
    this.token = token;
    this.lockMs = lockMs;
    this.confirmedSentAt = takenAt;
    this.onLost = onLost;
  }
}

/**
 * Keeps the locks of a worker's running jobs and aborts a run once its lock can no longer be known
 * to be held: when a renewal finds the lock gone (another run took the job), or when no renewal has
 * been confirmed for five sixths of the lock's length (the engine unreachable or too slow to
 * answer), since the engine may then have handed the job to another worker. A lock counts from when
 * the last confirmed lock or renewal was *sent*: the engine starts it on receipt, never earlier.
 * Every running job is renewed in one round trip per beat. Renewal failures are logged at most once
 * per lock length; a lapse, once per run.
 *
 * @example
 * ```ts
 * const locks = new JobLocks({ queue: 'bullmq', lockMs: 30_000, renew, logger, remedy: 'raise lockDurationMs' });
 * const sentAt = lockClock();
 * const job = await takeJob();
 * const held = locks.hold(job.id, key, token, sentAt, (reason) => controller.abort(reason));
 * try {
 *   await run(job, controller.signal);
 * } finally {
 *   await settle(job, await locks.release(held)); // under the lock's latest token
 * }
 * ```
 */
export class JobLocks<Token> {
  readonly #options: JobLocksOptions<Token>;
  readonly #period: number;
  readonly #runs = new Set<HeldLock<Token>>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #ticks = 0;
  #renewing = false;
  /** Renewal failures not yet logged, and when the last line about them was written. */
  #unloggedFailures = 0;
  #failureLoggedAt = Number.NEGATIVE_INFINITY;

  constructor(options: JobLocksOptions<Token>) {
    this.#options = options;
    this.#period = Math.max(1, Math.floor(options.lockMs / TICKS_PER_LOCK));
  }

  /**
   * Starts keeping a run's lock, taken (or last renewed) by a command sent at `takenAt`, on
   * {@link lockClock}. `lockMs` overrides the queue's for a job that carries its own.
   */
  hold(jobId: string, key: string | undefined, token: Token, takenAt: number, onLost: (reason: WebhookError) => void, lockMs = this.#options.lockMs): HeldLock<Token> {
    const run = new HeldLock(jobId, key, token, Math.min(lockMs, this.#options.lockMs), takenAt, onLost);
    this.#runs.add(run);
    this.#timer ??= setInterval(() => this.#tick(), this.#period);
    return run;
  }

  /**
   * Stops keeping a run's lock, and resolves with the token it holds it by once a renewal in
   * flight for it has answered, so the run's outcome is recorded under the lock's latest token.
   */
  async release(run: HeldLock<Token>): Promise<Token> {
    this.#runs.delete(run);
    if (this.#runs.size === 0) this.#stopTimer();
    if (run.renewing !== undefined) {
      // A renewal still unanswered when the lock would lapse cannot matter any more: the lock is
      // then lost whatever it says (and a dead connection may leave it unanswered for minutes).
      let timer: ReturnType<typeof setTimeout> | undefined;
      const lapsed = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, Math.max(0, run.confirmedSentAt + run.lockMs - lockClock()));
      });
      await Promise.race([run.renewing, lapsed]);
      clearTimeout(timer);
    }
    return run.token;
  }

  /** Stops the timer; runs still held are no longer renewed. */
  stop(): void {
    this.#runs.clear();
    this.#stopTimer();
  }

  #stopTimer(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#ticks = 0;
  }

  #tick(): void {
    const now = lockClock();
    for (const run of this.#runs) {
      if (run.lost === undefined && now - run.confirmedSentAt >= run.lockMs - TICKS_OF_MARGIN * this.#period) this.#lapse(run, now);
    }
    if (++this.#ticks < TICKS_PER_RENEWAL || this.#renewing) return;
    const batch = [...this.#runs].filter((run) => run.lost === undefined);
    if (batch.length === 0) return;
    this.#ticks = 0;
    this.#renewing = true;
    const sentAt = lockClock();
    let renewal: Promise<ReadonlyMap<HeldLock<Token>, Token>>;
    try {
      renewal = this.#options.renew(batch);
    } catch (error) {
      renewal = Promise.reject(error);
    }
    const answered = renewal.then(
      (held) => {
        for (const run of batch) {
          const token = held.get(run);
          if (token === undefined) {
            this.#takenOver(run);
          } else {
            run.token = token;
            run.confirmedSentAt = Math.max(run.confirmedSentAt, sentAt);
            run.renewalError = undefined;
          }
        }
      },
      (error: unknown) => {
        for (const run of batch) run.renewalError = error;
        this.#renewalFailed(batch.length, error);
      },
    );
    const settled = answered.finally(() => {
      this.#renewing = false;
      for (const run of batch) if (run.renewing === settled) run.renewing = undefined;
    });
    for (const run of batch) run.renewing = settled;
  }

  #renewalFailed(jobs: number, error: unknown): void {
    this.#unloggedFailures += 1;
    const now = lockClock();
    if (now - this.#failureLoggedAt < this.#options.lockMs) return;
    const { queue, lockMs, logger } = this.#options;
    logger.warn(
      { code: 'ERR_HOOKGUARD_QUEUE_UNAVAILABLE', queue, jobs, failures: this.#unloggedFailures, error: describeError(error) },
      `could not renew the locks of running jobs; retrying at the next beat (a run whose lock has no renewal confirmed for ${lockMs - TICKS_OF_MARGIN * this.#period} ms is aborted, since another worker may then run its job)`,
    );
    this.#unloggedFailures = 0;
    this.#failureLoggedAt = now;
  }

  #takenOver(run: HeldLock<Token>): void {
    if (run.lost !== undefined || !this.#runs.has(run)) return;
    const { queue, logger } = this.#options;
    logger.warn(
      { code: 'ERR_HOOKGUARD_LEASE_LOST', queue, jobId: run.jobId, key: run.key },
      "a job's lock was taken by another run: aborting this run's signal; its outcome will not be recorded",
    );
    this.#lose(
      run,
      new WebhookError(
        'ERR_HOOKGUARD_LEASE_LOST',
        `The lock on job '${run.jobId}' of the '${queue}' queue was taken by another run (it lapsed and the job was handed over); this run's outcome will not be recorded. ` +
          `If handlers legitimately pause this long, ${this.#options.remedy}.`,
      ),
    );
  }

  #lapse(run: HeldLock<Token>, now: number): void {
    const { queue, logger, remedy } = this.#options;
    const silentMs = Math.round(now - run.confirmedSentAt);
    logger.warn(
      {
        code: 'ERR_HOOKGUARD_LEASE_LOST',
        queue,
        jobId: run.jobId,
        key: run.key,
        lockMs: run.lockMs,
        silentMs,
        // No renewal failed when Redis or PostgreSQL simply stopped answering: then no error field.
        ...(run.renewalError === undefined ? {} : { error: describeError(run.renewalError) }),
      },
      `no renewal of a job's lock was confirmed for ${silentMs} ms (the lock lasts ${run.lockMs} ms): aborting the run's signal, since another worker may run the job`,
    );
    const failed = run.renewalError;
    const unavailable = new WebhookError(
      'ERR_HOOKGUARD_QUEUE_UNAVAILABLE',
      failed === undefined
        ? `The '${queue}' queue answered no lock renewal for ${silentMs} ms.`
        : `The '${queue}' queue failed to renew the job's lock (${describeError(failed)}).`,
      failed === undefined ? {} : { cause: failed },
    );
    this.#lose(
      run,
      new WebhookError(
        'ERR_HOOKGUARD_LEASE_LOST',
        `The lock on job '${run.jobId}' of the '${queue}' queue may have lapsed: no renewal was confirmed for ${silentMs} ms (the lock lasts ${run.lockMs} ms), ` +
          `so another worker may run the job too. Check the queue's database; if it is merely slow to answer, ${remedy}.`,
        { cause: unavailable },
      ),
    );
  }

  #lose(run: HeldLock<Token>, reason: WebhookError): void {
    run.lost = reason;
    run.onLost(reason);
  }
}
