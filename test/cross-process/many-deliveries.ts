// The cross-process scenario: four app processes on one shared store receive the same 500 events,
// each delivered 3–5 times, in random order, concurrently, to random processes, while some handlers
// fail their first attempt and one process is SIGKILLed with a handler blocked mid-run.
import type { AppConfig, EffectMode, Framework } from './app-config.js';
import { AppProcess, startApps } from './app-process.js';
import { eventBody, type Attempt } from './delivery.js';
import { Redeliverer, forEachConcurrently, seededRandom, type SentAttempt, type Target } from './redelivery.js';
import type { StoreFixture } from './store-fixture.js';

export type ManyDeliveriesOptions = {
  fixture: StoreFixture;
  effect: Exclude<EffectMode, 'none'>;
  /** @default 500 */
  events?: number;
  /** @default 2000 */
  leaseMs?: number;
  /** @default random, printed with the results */
  seed?: number;
  /** The whole run, from the first delivery to the last. @default 90_000 */
  deadlineMs?: number;
};

export type ManyDeliveriesResult = {
  seed: number;
  ids: string[];
  failFirst: Set<string>;
  blocker: string;
  apps: AppProcess[];
  victim: AppProcess;
  sender: Redeliverer;
  /** Handler runs per event id, over every process (the killed one's until it died). */
  runs: Map<string, { process: string; attempt: number }[]>;
  /** Events whose handler was running in the killed process when it died. */
  heldByVictim: string[];
  /** When the victim was killed, from the first delivery. */
  killedAtMs: number;
  elapsedMs: number;
};

const FRAMEWORKS: readonly Framework[] = ['express', 'hono', 'fastify', 'express'];
/** Bursts sent side by side; a burst of two sends one event to two processes at once. */
const WORKERS = 16;
const REQUEST_TIMEOUT_MS = 20_000;

/** Runs the scenario and returns what happened; the caller asserts and stops `apps`. */
export async function runManyDeliveries(options: ManyDeliveriesOptions): Promise<ManyDeliveriesResult> {
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const random = seededRandom(seed);
  const count = options.events ?? 500;
  const runTag = `${process.pid.toString(36)}${Date.now().toString(36)}`;
  const ids = Array.from({ length: count }, (_, index) => `evt_${runTag}_${index}`);
  const failFirst = new Set(ids.filter((_, index) => index % 10 === 3));
  const blocker = ids[Math.floor(count / 4) + 7]!;
  const configs: AppConfig[] = FRAMEWORKS.map((framework, index) => ({
    name: `p${index}-${framework}`,
    framework,
    store: options.fixture.config,
    leaseMs: options.leaseMs ?? 2_000,
    effect: options.effect,
    failFirst: [...failFirst],
    block: index === 0 ? [blocker] : [],
    // The victim's handlers are slow, so that several are mid-handler when it is killed.
    ...(index === 0 ? { handlerDelayMs: 150 } : {}),
    // The transaction rolls back whatever a crash interrupts; ctx.once needs the kill outside its window.
    quiesceOnBlock: options.effect === 'once',
  }));
  const apps = await startApps(configs);
  try {
    return await deliverAll(options, apps, { seed, random, ids, failFirst, blocker });
  } catch (error) {
    await Promise.all(apps.map((app) => app.stop()));
    throw error;
  }
}

type Plan = { seed: number; random: () => number; ids: string[]; failFirst: Set<string>; blocker: string };

async function deliverAll(options: ManyDeliveriesOptions, apps: AppProcess[], plan: Plan): Promise<ManyDeliveriesResult> {
  const { seed, random, ids, failFirst, blocker } = plan;
  const victim = apps[0]!;
  const started = performance.now();
  let killedAtMs = Number.NaN;
  const sender = new Redeliverer({ timeoutMs: REQUEST_TIMEOUT_MS, deadline: started + (options.deadlineMs ?? 90_000) });

  const alive = (): AppProcess[] => apps.filter((app) => !app.exited);
  const anyAlive = (): Target => {
    const candidates = alive();
    return candidates[Math.floor(random() * candidates.length)]!;
  };

  // The victim blocks on the blocker; once it did (and, for ctx.once, no effect is half-recorded),
  // it is killed, and requests it was serving fail with connection errors.
  const blocked = victim.waitFor((message) => message.type === 'blocked', REQUEST_TIMEOUT_MS * 4, 'a blocked handler');
  const killed = victim
    .waitFor((message) => message.type === (options.effect === 'once' ? 'quiescent' : 'blocked'), REQUEST_TIMEOUT_MS * 4, 'readiness to be killed')
    .then(async () => {
      // ctx.once: handlers that reach an effect meanwhile wait at the gate, holding their claims.
      if (options.effect === 'once') await new Promise((resolve) => setTimeout(resolve, 500));
      victim.signal('SIGKILL');
      killedAtMs = performance.now() - started;
    });
  killed.catch(() => undefined);

  type Burst = { id: string; copies: number; first?: AppProcess };
  const bursts: Burst[] = [];
  for (const id of ids) {
    let copies = 3 + Math.floor(random() * 3);
    if (id === blocker) {
      // Sent to the victim alone first, so it is the victim that blocks; its other copies follow.
      bursts.push({ id, copies: 1, first: victim });
      copies--;
    }
    while (copies > 0) {
      const size = copies >= 2 && random() < 0.5 ? 2 : 1;
      bursts.push({ id, copies: size });
      copies -= size;
    }
  }
  shuffle(bursts, random);
  // The blocker's first copy goes a quarter into the run, ahead of its other copies.
  const firstOfBlocker = bursts.findIndex((burst) => burst.first !== undefined);
  const [blockerBurst] = bursts.splice(firstOfBlocker, 1);
  bursts.splice(Math.floor(bursts.length / 4), 0, blockerBurst!);

  await forEachConcurrently(bursts, WORKERS, async (burst) => {
    const body = eventBody(burst.id);
    if (burst.id === blocker && burst.first === undefined) await blocked.catch(() => undefined);
    await Promise.all(
      Array.from({ length: burst.copies }, () => sender.untilSuccess(burst.id, body, (tries) => (tries === 0 && burst.first !== undefined ? burst.first : anyAlive()))),
    );
  });
  const elapsedMs = performance.now() - started;
  await killed.catch(() => undefined);

  const runs = new Map<string, { process: string; attempt: number }[]>();
  for (const app of apps) {
    for (const run of app.reports('handler')) {
      const list = runs.get(run.id) ?? [];
      list.push({ process: app.name, attempt: run.attempt });
      runs.set(run.id, list);
    }
  }
  // A run is finished once its delivery was answered processed, failed or dead-lettered; the
  // victim's 409s and duplicates for the same id (concurrent redeliveries) finish no run.
  const finishedRuns = new Map<string, number>();
  for (const report of victim.reports('delivery')) {
    if (report.id !== undefined && (report.outcome === 'processed' || report.outcome === 'failed' || report.outcome === 'dead_lettered')) {
      finishedRuns.set(report.id, (finishedRuns.get(report.id) ?? 0) + 1);
    }
  }
  const startedRuns = new Map<string, number>();
  for (const run of victim.reports('handler')) startedRuns.set(run.id, (startedRuns.get(run.id) ?? 0) + 1);
  const heldByVictim = [...startedRuns].filter(([id, started]) => started > (finishedRuns.get(id) ?? 0)).map(([id]) => id);
  return { seed, ids, failFirst, blocker, apps, victim, sender, runs, heldByVictim, killedAtMs, elapsedMs };
}

function shuffle<T>(items: T[], random: () => number): void {
  for (let index = items.length - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1));
    [items[index], items[other]] = [items[other]!, items[index]!];
  }
}

/** A one-line description of an attempt, for failure messages. */
export function describeAttempt(sent: SentAttempt): string {
  const attempt: Attempt = sent.attempt;
  const how = attempt.kind === 'answer' ? `${attempt.status} ${attempt.body}` : attempt.kind === 'connection-error' ? attempt.error : 'no answer';
  return `${sent.id} → ${sent.target}: ${how} after ${Math.round(attempt.elapsedMs)} ms`;
}
