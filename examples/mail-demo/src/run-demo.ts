import { randomBytes } from 'node:crypto';
import type { ReceiveOutcome } from '@hookguard/core';
import { planEvent, type EventPlan } from './fault-plan.js';
import { MailApi } from './mail-api.js';
import { createMailReceiver } from './mail-receiver.js';
import { openQueue, type OpenedQueue, type QueueKind } from './open-queue.js';
import { DEFAULT_POSTGRES_URL, DEFAULT_REDIS_URL, openStore, type StoreKind } from './open-store.js';
import { Progress, type ProgressOutput } from './progress.js';
import { serveApp, type Framework } from './serve-app.js';
import { WebhookSender, type SenderStats } from './webhook-sender.js';

/** Options for {@link runDemo}. */
export type DemoOptions = {
  /** Which example app receives the webhooks. @default 'express' */
  framework?: Framework;
  /** Where the receiver remembers handled ids and once() results. @default 'memory' */
  store?: StoreKind;
  /** Queued mode on this queue: answers once the event is queued, a worker replies. @default inline mode */
  queue?: QueueKind | 'none';
  /** Events the provider sends. @default 200 */
  events?: number;
  /** Fixes every injected fault, so a run can be reproduced. @default 1 */
  seed?: number;
  /**
   * Reply inside `ctx.once`. `false` replies directly, to show the duplicate replies that `ctx.once`
   * prevents (the run then fails its checks).
   * @default true
   */
  once?: boolean;
  /** Events in flight at once. @default 16 */
  concurrency?: number;
  /** @default 'redis://127.0.0.1:6379' */
  redisUrl?: string;
  /** @default 'postgres://postgres@127.0.0.1:5432/test' */
  postgresUrl?: string;
  /** Where progress goes (a bar on a TTY, lines otherwise). @default no progress */
  progress?: ProgressOutput;
  /** Receives the receiver's warnings and errors, e.g. `console.error`. @default they are only counted */
  log?: (line: string) => void;
};

export type ResolvedDemoOptions = Required<Omit<DemoOptions, 'progress' | 'log'>>;

/** One checked invariant. */
export type Check = { ok: boolean; summary: string };

/** What a run did and whether it kept its promises. */
export type DemoResult = {
  options: ResolvedDemoOptions;
  durationMs: number;
  provider: SenderStats;
  repliesSent: number;
  /** The receiver's outcomes, from `onDelivery`. */
  outcomes: Partial<Record<ReceiveOutcome, number>>;
  handlerFailures: number;
  /** Handler runs that got a stored reply from `ctx.once` instead of sending another. */
  repliesReused: number;
  /** How long the receiver took to answer deliveries (median and 99th percentile), in milliseconds. */
  acknowledgement: { p50Ms: number; p99Ms: number };
  checks: { everyEventHandled: Check; noReplySentTwice: Check; forgedRejected: Check };
  ok: boolean;
};

/** How the simulated provider delivers, scaled down from seconds and minutes to milliseconds. */
const DELIVERY = { timeoutMs: 1_000, maxAttempts: 12, backoffBaseMs: 20, backoffCapMs: 1_000, retryAfterScaleMs: 10 } as const;
/** A slow reply takes longer than the delivery timeout, so the provider retries while it runs. */
const SLOW_REPLY_MS = 1_500;

/**
 * Runs the mail demo: a simulated mail provider signs `message.received` events with the
 * `standardwebhooks` SDK and delivers them at least once (retries, duplicates, lost answers,
 * concurrent redeliveries, forged copies) to an example receiver app whose handler replies to each
 * message through the provider's API inside `ctx.once`. Resolves with the counts and the checks:
 * every event handled, no reply sent twice, every forged delivery rejected.
 *
 * @example
 * ```ts
 * const result = await runDemo({ framework: 'hono', events: 50, seed: 7 });
 * console.log(formatReport(result));
 * process.exitCode = result.ok ? 0 : 1;
 * ```
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const resolved = resolveDemoOptions(options);
  const started = performance.now();
  const plans = Array.from({ length: resolved.events }, (_, index) => planEvent(resolved.seed, index));
  const byMessage = new Map(plans.map((plan) => [plan.messageId, plan]));
  const opened = await openStore(resolved.store, resolved);
  const run = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  let queued: OpenedQueue | undefined;
  const api = new MailApi({
    errorFirst: (messageId) => byMessage.get(messageId)?.replyApiErrorFirst === true,
    delayMs: (messageId) => (byMessage.get(messageId)?.slowReply === true ? SLOW_REPLY_MS : 0),
  });
  try {
    await api.start();
    if (resolved.queue !== 'none') queued = await openQueue(resolved.queue, run, resolved);
    const secret = `whsec_${randomBytes(24).toString('base64')}`;
    const mail = createMailReceiver({
      store: opened.store,
      secret,
      // A namespace per run: a shared store still remembers the ids of earlier runs with this seed.
      namespace: `mail-demo:${run}`,
      ...(queued === undefined ? {} : { queue: queued.queue }),
      retentionMs: 10 * 60 * 1000,
      api,
      useOnce: resolved.once,
      failsFirstAttempt: (messageId) => byMessage.get(messageId)?.handlerFailsFirst === true,
      ...(options.log === undefined ? {} : { log: options.log }),
    });
    const app = await serveApp(resolved.framework, mail.receiver);
    // Queued mode: a worker in this process runs the handler once each event is queued.
    const worker = queued === undefined ? undefined : await mail.receiver.work({ concurrency: resolved.concurrency });
    const sender = new WebhookSender({ url: app.webhookUrl, secret, seed: resolved.seed, ...DELIVERY });
    // Loads the HTTP client, the app's routes and the verifier before the clock starts: otherwise
    // the first deliveries outlive the scaled-down timeout while modules load.
    await sender.warmUp();
    mail.outcomes = {};
    let done = 0;
    const progress =
      options.progress === undefined
        ? undefined
        : new Progress(options.progress, () => ({
            done,
            total: plans.length,
            deliveries: sender.stats.deliveries,
            retries: sender.stats.retries,
            replies: api.replies.length,
          }));
    progress?.start();
    try {
      await forEachConcurrently(plans, resolved.concurrency, async (plan) => {
        await sender.deliver(plan);
        done++;
      });
      // Queued events are handled after they were answered: wait for the worker to drain them.
      const deadline = Date.now() + 60_000;
      while (worker !== undefined && mail.handled.size < plans.length && Date.now() < deadline) await sleep(20);
    } finally {
      await worker?.close({ graceMs: 1_000 });
      progress?.stop();
      sender.close();
      mail.close();
      await app.close();
    }
    return {
      options: resolved,
      durationMs: Math.round(performance.now() - started),
      provider: { ...sender.stats },
      repliesSent: api.replies.length,
      outcomes: { ...mail.outcomes },
      handlerFailures: mail.handlerFailures,
      repliesReused: mail.repliesReused,
      acknowledgement: { p50Ms: percentile(sender.answerTimesMs, 0.5), p99Ms: percentile(sender.answerTimesMs, 0.99) },
      ...verdict(plans, sender, mail, api),
    };
  } finally {
    await api.stop();
    await queued?.close();
    await opened.close();
  }
}

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The options with their defaults applied, in a new object. */
export function resolveDemoOptions(options: DemoOptions): ResolvedDemoOptions {
  return {
    framework: options.framework ?? 'express',
    store: options.store ?? 'memory',
    queue: options.queue ?? 'none',
    events: options.events ?? 200,
    seed: options.seed ?? 1,
    once: options.once ?? true,
    concurrency: options.concurrency ?? 16,
    redisUrl: options.redisUrl ?? DEFAULT_REDIS_URL,
    postgresUrl: options.postgresUrl ?? DEFAULT_POSTGRES_URL,
  };
}

function verdict(
  plans: EventPlan[],
  sender: WebhookSender,
  mail: { handled: Set<string>; seen: Set<string> },
  api: MailApi,
): Pick<DemoResult, 'checks' | 'ok'> {
  const unhandled = plans.filter((plan) => !mail.handled.has(plan.messageId) || !sender.delivered.has(plan.eventId));
  const perMessage = api.repliesPerMessage();
  const repeated = [...perMessage].filter(([, count]) => count > 1).map(([messageId]) => messageId).sort();
  const handled = plans.length - unhandled.length;
  const everyEventHandled: Check = {
    ok: unhandled.length === 0,
    summary:
      unhandled.length === 0
        ? `every event handled (${handled}/${plans.length})`
        : `${unhandled.length} of ${plans.length} events not handled (${list(unhandled.map((plan) => plan.eventId))})`,
  };
  const noReplySentTwice: Check = {
    ok: repeated.length === 0,
    summary:
      repeated.length === 0
        ? `no reply sent twice (${api.replies.length} replies to ${perMessage.size} messages)`
        : `${repeated.length} messages got more than one reply (${list(repeated)})`,
  };
  const forgedHandled = [...sender.forgedMessageIds].filter((messageId) => mail.seen.has(messageId) || perMessage.has(messageId));
  const { forgedSent, forgedRejected } = sender.stats;
  const forgedOk = forgedRejected === forgedSent && forgedHandled.length === 0;
  const forgedRejectedCheck: Check = {
    ok: forgedOk,
    summary: forgedOk
      ? `every forged delivery rejected (${forgedRejected}/${forgedSent})`
      : `forged deliveries: ${forgedRejected}/${forgedSent} answered 401, ${forgedHandled.length} reached a handler`,
  };
  return {
    checks: { everyEventHandled, noReplySentTwice, forgedRejected: forgedRejectedCheck },
    ok: everyEventHandled.ok && noReplySentTwice.ok && forgedOk,
  };
}

function list(ids: string[]): string {
  return ids.length <= 5 ? ids.join(', ') : `${ids.slice(0, 5).join(', ')}, …`;
}

async function forEachConcurrently<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
}
