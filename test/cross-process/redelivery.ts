// A provider's retry loop: send an event until it gets a 2xx, as Stripe or Svix would, but on a
// test's time scale and with a hard deadline, recording every attempt for the assertions.
import type { Agent } from 'node:http';
import { deliver, isSuccess, pause, type Attempt } from './delivery.js';

/** Where one attempt went. */
export type Target = { name: string; url: string };

/** One attempt as sent. */
export type SentAttempt = { id: string; target: string; startedAt: number; attempt: Attempt };

export type RedeliveryOptions = {
  /** Each attempt's own bound: past it the attempt counts as hanging. */
  timeoutMs: number;
  /** `performance.now()` after which no new attempt starts. */
  deadline: number;
  /** Pause before the next attempt; a provider honours Retry-After, scaled here to the test. */
  backoffMs?: (attempt: Attempt) => number;
  agent?: Agent;
};

const defaultBackoff = (): number => 50 + Math.random() * 200;

/** Sends events until each gets a 2xx or the deadline passes, and keeps every attempt. */
export class Redeliverer {
  readonly sent: SentAttempt[] = [];
  readonly unfinished: string[] = [];
  readonly #options: RedeliveryOptions;

  constructor(options: RedeliveryOptions) {
    this.#options = options;
  }

  /**
   * Delivers `body` as event `id` to `pick(try)` until a 2xx; resolves `true` then, or `false`
   * (and records `id` as unfinished) once the deadline passed first.
   */
  async untilSuccess(id: string, body: string, pick: (tries: number) => Target): Promise<boolean> {
    const { timeoutMs, deadline, agent } = this.#options;
    const backoff = this.#options.backoffMs ?? defaultBackoff;
    for (let tries = 0; ; tries++) {
      if (performance.now() > deadline) {
        this.unfinished.push(id);
        return false;
      }
      const target = pick(tries);
      const startedAt = performance.now();
      const attempt = await deliver(target.url, id, body, agent === undefined ? { timeoutMs } : { timeoutMs, agent });
      this.sent.push({ id, target: target.name, startedAt, attempt });
      if (isSuccess(attempt)) return true;
      await pause(backoff(attempt));
    }
  }

  /** Attempts that ended a given way. */
  where(kind: Attempt['kind']): SentAttempt[] {
    return this.sent.filter((sent) => sent.attempt.kind === kind);
  }

  /** How many answers had each status. */
  statuses(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const { attempt } of this.sent) {
      const key = attempt.kind === 'answer' ? String(attempt.status) : attempt.kind;
      counts[key] = (counts[key] ?? 0) + 1;
    }
    return counts;
  }
}

/** A small seeded PRNG (mulberry32), so a failing interleaving can be replayed with its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Runs `work` over `items` with at most `concurrency` at a time. */
export async function forEachConcurrently<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}
