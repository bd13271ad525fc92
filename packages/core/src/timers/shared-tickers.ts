import { timersBelongToProcess } from './process-timers.js';

/** Where a member sits: its ticker, and its index in that ticker's members. */
const TICKER = Symbol('ticker');
const INDEX = Symbol('index');

type Ticker<Member> = {
  timer: ReturnType<typeof setInterval>;
  period: number;
  /**
   * The members, each knowing its index: an array, since a `Set` that one delivery joins and
   * leaves reallocates its table as it empties and fills (about 120 bytes a delivery).
   */
  members: Member[];
  /** The timer functions it was made with: a ticker made with a test's fake timers never ticks under real ones. */
  madeWith: typeof setInterval;
  clearWith: typeof clearInterval;
  /** When it last ticked (or was made), on {@link tickerClock}. */
  tickedAt: number;
  /**
   * Whether members share it, and it stays after the last one left: only where timers belong to
   * the process (Node's and Bun's). A Worker's timers belong to the request that made them and are
   * dropped when it ends, so there each member has a ticker of its own, stopped when it leaves.
   */
  shared: boolean;
};

type Placed<Member> = Member & { [TICKER]?: Ticker<Member> | undefined; [INDEX]?: number };

/** Monotonic (`performance.now()`), so a wall-clock jump changes no tick's reading. */
export function tickerClock(): number {
  return globalThis.performance.now();
}

/**
 * Interval timers that call `onTick(member, now)` for every member, every `period` milliseconds:
 * the lease heartbeats and the body deadlines. Where timers belong to the process, one timer per
 * period serves every member (a timer created and cleared per delivery costs more than the work it
 * times); it outlives the members that leave it, stops itself at its first tick with none, and is
 * unref'd, so it never holds the process open. One made with other timer functions (a test's fake
 * timers) or that stopped ticking (a runtime that dropped it) is replaced, its members moved over.
 * Where timers belong to a request (Workers), each member has a timer of its own.
 *
 * @example
 * ```ts
 * const beats = new SharedTickers<LeaseHeartbeat>((beat) => beat.tick());
 * beats.join(heartbeat, 5_000);
 * beats.leave(heartbeat);
 * ```
 */
export class SharedTickers<Member extends object> {
  readonly #onTick: (member: Member, now: number) => void;
  readonly #byPeriod = new Map<number, Ticker<Member>>();

  constructor(onTick: (member: Member, now: number) => void) {
    this.#onTick = onTick;
  }

  /** Ticks `member` every `period` ms (a whole number, at least 1) until {@link leave}. */
  join(member: Member, period: number): void {
    const placed = member as Placed<Member>;
    const now = tickerClock();
    if (!timersBelongToProcess()) {
      placed[INDEX] = 0;
      placed[TICKER] = this.#start(period, [member], now, false);
      return;
    }
    let ticker = this.#byPeriod.get(period);
    if (ticker !== undefined && (ticker.madeWith !== globalThis.setInterval || now - ticker.tickedAt > 2 * period)) {
      this.#stop(ticker);
      ticker = this.#start(period, ticker.members, now, true);
    }
    ticker ??= this.#start(period, [], now, true);
    placed[INDEX] = ticker.members.push(member) - 1;
    placed[TICKER] = ticker;
  }

  /** Stops ticking `member`; nothing when it is not ticked. */
  leave(member: Member): void {
    const placed = member as Placed<Member>;
    const ticker = placed[TICKER];
    if (ticker === undefined) return;
    placed[TICKER] = undefined;
    // A replaced ticker handed its members array to its successor: the array is the live one,
    // whichever of the two the member joined. Swapped with the last and popped: no search, no
    // reallocation.
    const { members } = ticker;
    const index = placed[INDEX]!;
    const last = members.pop()! as Placed<Member>;
    if (last !== placed) {
      members[index] = last;
      last[INDEX] = index;
    }
    // A ticker of its own (a Worker) stops with its member; a shared one stops itself at its first idle tick.
    if (members.length === 0 && !ticker.shared) this.#stop(ticker);
  }

  #start(period: number, members: Member[], now: number, shared: boolean): Ticker<Member> {
    const ticker: Ticker<Member> = { timer: undefined as never, period, members, madeWith: globalThis.setInterval, clearWith: globalThis.clearInterval, tickedAt: now, shared };
    // Called on globalThis: workerd refuses a timer function called on another object (Illegal invocation).
    ticker.timer = ticker.madeWith.call(
      globalThis,
      () => {
        const at = tickerClock();
        ticker.tickedAt = at;
        if (ticker.members.length === 0) {
          // A whole period without a member: stop, so no timer outlives its work by more than that.
          this.#stop(ticker);
          return;
        }
        // A copy: a member may leave while the array is being walked.
        for (const member of ticker.members.slice()) this.#onTick(member, at);
      },
      period,
    );
    (ticker.timer as { unref?: () => void }).unref?.();
    if (shared) this.#byPeriod.set(period, ticker);
    return ticker;
  }

  #stop(ticker: Ticker<Member>): void {
    if (this.#byPeriod.get(ticker.period) === ticker) this.#byPeriod.delete(ticker.period);
    try {
      ticker.clearWith.call(globalThis, ticker.timer);
    } catch {
      // Fake timers uninstalled since: their timer can never fire anyway.
    }
  }
}
