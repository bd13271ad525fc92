/**
 * Whether this runtime's timers belong to the process (Node and Bun: their timers can be
 * unref'd), so that one timer may serve the work of many requests. In a Worker a timer belongs to
 * the request that made it and is dropped when that request ends, so a timer shared with a later
 * request would never fire for it: there each piece of work needs a timer of its own. Deno's timers
 * are numbers, and get timers of their own too. Asked again only when `setInterval` was replaced (a
 * test's fake or stubbed timers); first asked at the first timer a delivery needs, since a Worker
 * forbids timers at module scope.
 *
 * @example
 * ```ts
 * if (timersBelongToProcess()) shareOneTicker(); else setTimeout(expire, timeoutMs);
 * ```
 */
export function timersBelongToProcess(): boolean {
  const { setInterval: make, clearInterval: clear } = globalThis;
  if (askedOf !== make) {
    // Called on globalThis: workerd refuses a timer function called on another object.
    const probe = make.call(globalThis, () => undefined, 1_000_000);
    answer = typeof (probe as { unref?: unknown }).unref === 'function';
    clear.call(globalThis, probe);
    askedOf = make;
  }
  return answer;
}

let askedOf: typeof setInterval | undefined;
let answer = false;
