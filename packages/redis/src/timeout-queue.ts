/** An operation that can be failed once its deadline passes. */
export interface Expirable {
  /** `performance.now()` by which the operation must have settled. */
  readonly deadline: number;
  /** `true` once the operation answered, failed or expired. */
  readonly settled: boolean;
  /** Fails the operation for taking too long. */
  expire(): void;
}

/**
 * Times out many operations on one timer, instead of one timer per operation. All operations of a
 * queue share one timeout, so their deadlines come in the order they started and only the oldest
 * unsettled one needs watching. The timer is not re-armed once nothing is pending.
 *
 * @example
 * ```ts
 * const timeouts = new TimeoutQueue(2000);
 * const operation = { deadline: timeouts.deadline(), settled: false, expire() { this.settled = true } };
 * timeouts.add(operation);
 * // when it answers:
 * operation.settled = true;
 * timeouts.prune();
 * ```
 */
export class TimeoutQueue {
  readonly #timeoutMs: number;
  #items: Expirable[] = [];
  #head = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #expiring = false;

  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
  }

  /** The deadline of an operation starting now. */
  deadline(): number {
    return performance.now() + this.#timeoutMs;
  }

  add(item: Expirable): void {
    this.#items.push(item);
    if (this.#timer === undefined && !this.#expiring) this.#arm(this.#timeoutMs);
  }

  /** Forgets settled operations at the front; call it whenever one settles. */
  prune(): void {
    const items = this.#items;
    while (this.#head < items.length && items[this.#head]!.settled) this.#head++;
    if (this.#head === items.length) {
      items.length = 0;
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > items.length) {
      items.splice(0, this.#head);
      this.#head = 0;
    }
  }

  #arm(delayMs: number): void {
    this.#timer = setTimeout(this.#expire, Math.max(1, Math.ceil(delayMs)));
    // A pending command keeps the process alive through its socket or reconnect timer already;
    // this timer alone must not hold an exiting process for a whole timeout.
    (this.#timer as { unref?: () => void }).unref?.();
  }

  readonly #expire = (): void => {
    this.#timer = undefined;
    const now = performance.now();
    const items = this.#items;
    const expired: Expirable[] = [];
    while (this.#head < items.length) {
      const item = items[this.#head]!;
      if (!item.settled) {
        if (item.deadline > now) break;
        expired.push(item);
      }
      this.#head++;
    }
    this.prune();
    // Expiring settles items and may add new ones (a withdrawal): arm once, afterwards.
    this.#expiring = true;
    try {
      for (const item of expired) item.expire();
    } finally {
      this.#expiring = false;
    }
    const oldest = items[this.#head];
    if (oldest !== undefined) this.#arm(oldest.deadline - performance.now());
  };
}
