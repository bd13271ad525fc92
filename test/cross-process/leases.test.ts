import { afterEach, expect, it } from 'vitest';
import { describeWithPostgres, describeWithRedis } from '../support/services.js';
import type { AppConfig, EffectMode } from './app-config.js';
import { startApps, type AppProcess } from './app-process.js';
import { deliver, eventBody, isSuccess, pause, type Attempt } from './delivery.js';
import { Redeliverer } from './redelivery.js';
import { notCompleted, postgresFixture, redisFixture, type StoreFixture } from './store-fixture.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch((error: unknown) => console.error('clean-up failed:', error));
});

const uniqueId = (name: string): string => `${name}_${process.pid.toString(36)}${Date.now().toString(36)}`;

async function appsOn(fixture: StoreFixture, count: number, settings: Omit<AppConfig, 'name' | 'framework' | 'store'>): Promise<AppProcess[]> {
  cleanups.push(() => fixture.close());
  const frameworks = ['express', 'hono', 'fastify'] as const;
  const apps = await startApps(
    Array.from({ length: count }, (_, index) => ({ ...settings, name: `p${index}-${frameworks[index % 3]}`, framework: frameworks[index % 3]!, store: fixture.config })),
  );
  cleanups.push(async () => void (await Promise.all(apps.map((app) => app.stop()))));
  return apps;
}

function status(attempt: Attempt): string {
  return attempt.kind === 'answer' ? `${attempt.status} ${attempt.body}` : attempt.kind;
}

const runsOf = (apps: readonly AppProcess[], id: string): { process: string; attempt: number }[] =>
  apps.flatMap((app) => app.reports('handler').filter((run) => run.id === id).map((run) => ({ process: app.name, attempt: run.attempt })));

describeWithRedis('leases across processes, on a real Redis with real time', () => {
  it('keeps the claim of a handler that runs 5× its lease: redeliveries elsewhere get 409 until it completes, and it runs once', async () => {
    const id = uniqueId('evt_long');
    const leaseMs = 600;
    const [owner, other] = await appsOn(redisFixture(), 2, { leaseMs, effect: 'none', sleepMs: { [id]: leaseMs * 5 } });
    const started = performance.now();
    const first = deliver(owner!.url, id, eventBody(id), { timeoutMs: 20_000 });
    await owner!.waitFor((message) => message.type === 'handler' && message.id === id, 10_000, 'the long handler starting');
    const meanwhile: Attempt[] = [];
    let done: Attempt | undefined;
    void first.then((attempt) => (done = attempt));
    while (done === undefined) {
      meanwhile.push(await deliver(other!.url, id, eventBody(id), { timeoutMs: 10_000 }));
      await pause(150);
    }
    expect(status(done)).toBe('200 {"received":true}');
    expect(performance.now() - started).toBeGreaterThanOrEqual(leaseMs * 5);
    // Redeliveries throughout the five leases were refused as in progress, with a Retry-After.
    expect(meanwhile.length).toBeGreaterThanOrEqual(8);
    const duringRun = meanwhile.slice(0, -1);
    for (const attempt of duringRun) {
      expect(status(attempt)).toBe('409 {"error":"ERR_HOOKGUARD_IN_PROGRESS"}');
      expect(attempt.kind === 'answer' && Number(attempt.retryAfter)).toBeGreaterThanOrEqual(1);
    }
    console.log(`long handler: ${duringRun.length} redeliveries answered 409 while it ran ${Math.round(performance.now() - started)} ms`);
    expect(status(await deliver(other!.url, id, eventBody(id), { timeoutMs: 10_000 }))).toBe('200 {"received":true,"duplicate":true}');
    expect(runsOf([owner!, other!], id)).toEqual([{ process: owner!.name, attempt: 1 }]);
    expect(owner!.reports('delivery').find((report) => report.id === id)).toMatchObject({ outcome: 'processed', leaseLost: false });
    expect(owner!.reports('aborted')).toEqual([]);
    expect(owner!.reports('log').filter((log) => log.code === 'ERR_HOOKGUARD_LEASE_LOST')).toEqual([]);
  }, 60_000);

  it('lets another process take over the claim of a process frozen (SIGSTOP) past its lease; once thawed, its late complete and release are refused and reported', async () => {
    const succeeds = uniqueId('evt_frozen_ok');
    const fails = uniqueId('evt_frozen_failing');
    const leaseMs = 1_000;
    const [frozen, rescuer] = await appsOn(redisFixture(), 2, {
      leaseMs,
      effect: 'none',
      // Both handlers are asleep when the process is stopped; the second then fails its attempt 1.
      sleepMs: { [succeeds]: 300, [fails]: 300 },
      failFirst: [fails],
    });
    const pending = [succeeds, fails].map((id) => deliver(frozen!.url, id, eventBody(id), { timeoutMs: 30_000 }));
    for (const id of [succeeds, fails]) {
      await frozen!.waitFor((message) => message.type === 'handler' && message.id === id, 10_000, `the handler of ${id} starting`);
    }
    frozen!.signal('SIGSTOP');
    try {
      await pause(leaseMs * 1.5);
      // Redeliveries to the other process take both claims over, as attempt 2, and complete them.
      const sender = new Redeliverer({ timeoutMs: 10_000, deadline: performance.now() + 15_000 });
      await Promise.all([succeeds, fails].map((id) => sender.untilSuccess(id, eventBody(id), () => rescuer!)));
      expect(sender.unfinished).toEqual([]);
    } finally {
      frozen!.signal('SIGCONT');
    }
    const [lateSuccess, lateFailure] = await Promise.all(pending);
    // The thawed handlers finish: a success still answers 200, a failure 500; neither record is touched.
    expect(status(lateSuccess!)).toBe('200 {"received":true}');
    expect(status(lateFailure!)).toBe('500 {"error":"ERR_HOOKGUARD_HANDLER_FAILED"}');
    for (const id of [succeeds, fails]) {
      expect(runsOf([frozen!, rescuer!], id)).toEqual([
        { process: frozen!.name, attempt: 1 },
        { process: rescuer!.name, attempt: 2 },
      ]);
      // In the thawed process: ctx.signal aborted with the lease-lost code, and the report says so.
      await frozen!.waitFor((message) => message.type === 'aborted' && message.id === id, 5_000, `ctx.signal of ${id} aborting`);
      expect(frozen!.reports('aborted').find((message) => message.id === id)?.code).toBe('ERR_HOOKGUARD_LEASE_LOST');
      const report = await frozen!.waitFor((message) => message.type === 'delivery' && message.id === id, 5_000, `the report of ${id}`);
      expect(report).toMatchObject({ leaseLost: true, attempt: 1 });
      expect(rescuer!.reports('delivery').find((message) => message.id === id)).toMatchObject({ outcome: 'processed', attempt: 2, leaseLost: false });
      expect(status(await deliver(rescuer!.url, id, eventBody(id), { timeoutMs: 10_000 }))).toBe('200 {"received":true,"duplicate":true}');
    }
    expect(frozen!.reports('log').some((log) => log.code === 'ERR_HOOKGUARD_LEASE_LOST')).toBe(true);
  }, 60_000);
});

/** Delivers a poison event to every process at once, again and again, until one answers 2xx; then to each once more. */
async function poisonRun(apps: readonly AppProcess[], id: string): Promise<Attempt[]> {
  const answers: Attempt[] = [];
  const deadline = performance.now() + 30_000;
  while (!answers.some(isSuccess) && performance.now() < deadline) {
    answers.push(...(await Promise.all(apps.map((app) => deliver(app.url, id, eventBody(id), { timeoutMs: 10_000 })))));
    await pause(20);
  }
  for (const app of apps) answers.push(await deliver(app.url, id, eventBody(id), { timeoutMs: 10_000 }));
  return answers;
}

async function expectDeadLetteredOnce(fixture: StoreFixture, apps: readonly AppProcess[], id: string, answers: Attempt[]): Promise<void> {
  const described = answers.map(status);
  const context = `${id}:\n${described.join('\n')}`;
  const count = (answer: string): number => described.filter((each) => each === answer).length;
  // Attempts 1 and 2 failed (500), attempt 3 was dead-lettered (200); everything else was refused
  // while another process held the claim (409) or answered as a duplicate once it was recorded.
  expect(count('500 {"error":"ERR_HOOKGUARD_HANDLER_FAILED"}'), context).toBe(2);
  expect(count('200 {"received":true,"dead_lettered":true}'), context).toBe(1);
  for (const answer of described) expect(answer, context).toMatch(/^(500 \{"error":"ERR_HOOKGUARD_HANDLER_FAILED"\}|409 \{"error":"ERR_HOOKGUARD_IN_PROGRESS"\}|200 \{"received":true,"(dead_lettered|duplicate)":true\})$/);
  expect(described.slice(-apps.length), context).toEqual(Array(apps.length).fill('200 {"received":true,"duplicate":true}'));
  // The handler ran exactly maxAttempts times, across processes; onDeadLetter ran once, in one process.
  expect(runsOf(apps, id).map((run) => run.attempt).sort(), context).toEqual([1, 2, 3]);
  expect(apps.flatMap((app) => app.reports('dead-letter')).filter((message) => message.id === id), context).toHaveLength(1);
  expect((await fixture.deadLetters()).get(id), context).toBe(1);
  expect(await notCompleted(fixture.store, [id])).toEqual([]);
}

/** Eight poison events at once, each delivered to three processes at a time. */
async function expectPoisonDeadLetteredOnce(fixture: StoreFixture, effect: EffectMode): Promise<void> {
  const ids = Array.from({ length: 8 }, (_, index) => uniqueId(`evt_poison_${index}`));
  const apps = await appsOn(fixture, 3, { leaseMs: 2_000, maxAttempts: 3, effect, poison: ids });
  const answers = await Promise.all(ids.map((id) => poisonRun(apps, id)));
  for (const [index, id] of ids.entries()) await expectDeadLetteredOnce(fixture, apps, id, answers[index]!);
}

const POISON = 'dead-letters poison events that fail maxAttempts times across three processes: one 200 each, onDeadLetter once each, duplicates after';

describeWithRedis('poison events across processes, Redis store', () => {
  it(POISON, async () => {
    await expectPoisonDeadLetteredOnce(redisFixture(), 'none');
  }, 60_000);
});

describeWithPostgres('poison events across processes, Postgres store', () => {
  it(POISON, async () => {
    await expectPoisonDeadLetteredOnce(await postgresFixture(), 'none');
  }, 60_000);

  it(`${POISON}, in transactional handlers`, async () => {
    await expectPoisonDeadLetteredOnce(await postgresFixture(), 'transaction');
  }, 60_000);
});
