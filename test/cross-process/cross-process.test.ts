import { afterEach, expect, it } from 'vitest';
import { describeWithPostgres, describeWithRedis } from '../support/services.js';
import { describeAttempt, runManyDeliveries, type ManyDeliveriesResult } from './many-deliveries.js';
import { notCompleted, postgresFixture, redisFixture, type StoreFixture } from './store-fixture.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch((error: unknown) => console.error('clean-up failed:', error));
});

async function run(fixture: StoreFixture, effect: 'once' | 'transaction'): Promise<ManyDeliveriesResult> {
  cleanups.push(() => fixture.close());
  const result = await runManyDeliveries({ fixture, effect });
  cleanups.push(async () => void (await Promise.all(result.apps.map((app) => app.stop()))));
  return result;
}

/** The assertions both stores share: nothing lost, nothing doubled, nothing left hanging. */
async function expectEveryEventOnce(fixture: StoreFixture, result: ManyDeliveriesResult): Promise<void> {
  const { ids, sender, victim, runs, failFirst, blocker } = result;
  const context = `seed ${result.seed}`;

  // Every delivery of every event ended with a 2xx within the deadline.
  expect(sender.unfinished, context).toEqual([]);
  // No request was left hanging: each got an answer, or a connection error from the killed process.
  expect(sender.where('timeout').map(describeAttempt), context).toEqual([]);
  const connectionErrors = sender.where('connection-error');
  expect(connectionErrors.filter((sent) => sent.target !== victim.name).map(describeAttempt), context).toEqual([]);
  expect(connectionErrors.length, `the request blocked in ${victim.name} ends with a connection error`).toBeGreaterThanOrEqual(1);
  // The only refusals: another process holds the lease (409), or a first attempt failed (500).
  const refusals = sender.where('answer').filter((sent) => sent.attempt.kind === 'answer' && sent.attempt.status >= 300);
  const unexpected = refusals.filter(({ id, attempt }) => attempt.kind === 'answer' && !(attempt.status === 409 || (attempt.status === 500 && failFirst.has(id))));
  expect(unexpected.map(describeAttempt), context).toEqual([]);

  // The store says every event completed, and each effect was recorded exactly once.
  expect(await notCompleted(fixture.store, ids), context).toEqual([]);
  const effects = await fixture.effects();
  const wrong = ids.filter((id) => effects.get(id) !== 1).map((id) => `${id}: ${effects.get(id) ?? 0} effects, runs ${JSON.stringify(runs.get(id))}`);
  expect(wrong, context).toEqual([]);
  expect(effects.size).toBe(ids.length);

  // Handlers ran at least once per event, and again where an attempt failed or was killed.
  for (const id of ids) expect(runs.get(id)?.length ?? 0, id).toBeGreaterThanOrEqual(1);
  for (const id of failFirst) expect(runs.get(id)!.length, `${id} failed its first attempt`).toBeGreaterThanOrEqual(2);
  expect(runs.get(blocker)!.some((run) => run.process === victim.name)).toBe(true);
  expect(runs.get(blocker)!.some((run) => run.process !== victim.name)).toBe(true);
  expect(result.heldByVictim).toContain(blocker);

  // The surviving processes never lost a lease and never failed internally.
  for (const app of result.apps.filter((each) => each !== victim)) {
    expect(app.reports('delivery').filter((report) => report.leaseLost), app.name).toEqual([]);
    expect(app.reports('log').filter((log) => log.code === 'ERR_HOOKGUARD_INTERNAL'), app.name).toEqual([]);
  }
}

function summary(fixture: StoreFixture, result: ManyDeliveriesResult): Record<string, unknown> {
  const handlerRuns = [...result.runs.values()].reduce((sum, list) => sum + list.length, 0);
  return {
    store: fixture.config.kind,
    seed: result.seed,
    events: result.ids.length,
    attempts: result.sender.sent.length,
    answers: result.sender.statuses(),
    handlerRuns,
    eventsRunMoreThanOnce: [...result.runs.values()].filter((list) => list.length > 1).length,
    failFirst: result.failFirst.size,
    heldByKilledProcess: result.heldByVictim.length,
    killedAfterSeconds: Number((result.killedAtMs / 1000).toFixed(1)),
    seconds: Number((result.elapsedMs / 1000).toFixed(1)),
  };
}

describeWithRedis('four processes sharing a Redis store', () => {
  it('complete 500 events delivered 3–5 times each, with one process killed mid-handler, recording each effect exactly once through ctx.once', async () => {
    const fixture = redisFixture();
    const result = await run(fixture, 'once');
    console.log('cross-process, Redis + ctx.once:', summary(fixture, result));
    await expectEveryEventOnce(fixture, result);
    // Claims held by the killed process were taken over once their lease lapsed: attempt 2 or later.
    for (const id of result.heldByVictim) {
      const successors = result.runs.get(id)!.filter((run) => run.process !== result.victim.name);
      expect(Math.max(...successors.map((run) => run.attempt)), id).toBeGreaterThanOrEqual(2);
    }
  }, 150_000);
});

describeWithPostgres('four processes sharing a Postgres store', () => {
  it('complete 500 events delivered 3–5 times each, with one process killed mid-transaction, recording each effect exactly once in the transaction', async () => {
    const fixture = await postgresFixture();
    const result = await run(fixture, 'transaction');
    console.log('cross-process, Postgres + transaction:', summary(fixture, result));
    await expectEveryEventOnce(fixture, result);
  }, 150_000);
});
