import { isWebhookError, once, silentLogger, type ClaimOptions, type DedupStore, type JsonOnceWork } from '@hookguard/core';
import type { PoolClient } from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithPostgres, poolCounts, testPool, testSchema, type TestSchema } from './postgres.fixtures.js';

const options: ClaimOptions = { leaseMs: 60_000, retentionMs: 600_000 };
let sequence = 0;
const uniqueKey = (label: string): string => `scope:${label}:${++sequence}`;

/** A promise and the function that settles it. */
function gate(): { opened: Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describeWithPostgres('claimInTransaction: the store inside the transaction (scope.store)', () => {
  let db: TestSchema;
  let replies: string;
  const insertReply = (client: PoolClient, id: string) => client.query(`INSERT INTO ${replies} (id) VALUES ($1)`, [id]);
  const replyCount = async (id: string): Promise<number> =>
    (await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${replies} WHERE id = $1`, [id])).rows[0]!.n;
  const record = async (key: string) =>
    (await db.pool.query<{ state: string }>(`SELECT state FROM "${db.schema}".hookguard_events WHERE key = $1`, [key])).rows[0];
  /** The row of once(store, key)'s record: once() stores `once:<key>`. */
  const onceRecord = (key: string) => record(`once:${key}`);
  /** once() as ctx.once runs it in a transactional handler: on the transaction's store. */
  const onceIn = <T>(store: DedupStore, key: string, fn: JsonOnceWork<T>) => once(store, key, fn, { logger: silentLogger, waitMs: 0 });

  beforeAll(async () => {
    db = await testSchema('scope', { max: 6 });
    replies = `"${db.schema}".replies`;
    await db.pool.query(`CREATE TABLE ${replies} (id text PRIMARY KEY)`);
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('rolls a once record back with the failed transaction, so the retry runs the once work and its write again', async () => {
    const event = uniqueKey('event');
    const reply = uniqueKey('reply');
    const runs: number[] = [];
    const failed = await db.store
      .claimInTransaction(event, options, async ({ db: client, store, attempt }) => {
        await onceIn(store, reply, async () => {
          runs.push(attempt);
          await insertReply(client, reply);
        });
        throw new Error('the handler fails after the once work');
      })
      .catch((error: unknown) => error);
    expect((failed as Error).message).toBe('the handler fails after the once work');
    expect(await onceRecord(reply)).toBeUndefined();
    expect(await replyCount(reply)).toBe(0);

    await db.store.claimInTransaction(event, options, async ({ db: client, store, attempt }) => {
      await onceIn(store, reply, async () => {
        runs.push(attempt);
        await insertReply(client, reply);
      });
    });
    expect(runs).toEqual([1, 2]);
    expect(await replyCount(reply)).toBe(1);
    expect(await onceRecord(reply)).toEqual({ state: 'completed' });
  });

  it('keeps a once record invisible until the transaction commits, then answers completed with its result', async () => {
    const event = uniqueKey('event');
    const reply = uniqueKey('reply');
    const done = gate();
    const committed = gate();
    const transaction = db.store.claimInTransaction(event, options, async ({ store }) => {
      await onceIn(store, reply, async () => ({ sent: 'message-1' }));
      done.open();
      await committed.opened;
    });
    await done.opened;
    // Outside the transaction the key is not done yet: a plain claim is told it is being worked on.
    expect(await db.store.claim(`once:${reply}`, options)).toMatchObject({ status: 'processing' });
    committed.open();
    await transaction;
    expect(await onceIn(db.store, reply, async () => ({ sent: 'message-2' }))).toEqual({ sent: 'message-1' });
  });

  it('makes a once claim in another transaction wait for the holder and answer with its result after the commit', async () => {
    const reply = uniqueKey('reply');
    const claimed = gate();
    const release = gate();
    const first = db.store.claimInTransaction(uniqueKey('event'), options, async ({ store }) => {
      await onceIn(store, reply, async () => 'first');
      claimed.open();
      await release.opened;
    });
    await claimed.opened;
    let secondRan = false;
    const second = db.store.claimInTransaction(uniqueKey('event'), options, async ({ store }) => {
      const value = await onceIn(store, reply, async () => {
        secondRan = true;
        return 'second';
      });
      expect(value).toBe('first');
    });
    // The second transaction is waiting on the first one's lock on the once key.
    await waitUntilLockWait();
    release.open();
    await Promise.all([first, second]);
    expect(secondRan).toBe(false);
  });

  it('breaks two transactions waiting on each other’s once keys: one fails with a store error, the other completes', async () => {
    const [a, b] = [uniqueKey('a'), uniqueKey('b')];
    const bothHold = { count: 0, gate: gate() };
    const hold = () => {
      if (++bothHold.count === 2) bothHold.gate.open();
      return bothHold.gate.opened;
    };
    const run = (first: string, second: string) =>
      db.store.claimInTransaction(uniqueKey('event'), options, async ({ store }) => {
        await onceIn(store, first, async () => first);
        await hold();
        await onceIn(store, second, async () => second);
      });
    const outcomes = await Promise.allSettled([run(a, b), run(b, a)]);
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['fulfilled', 'rejected']);
    const failure = outcomes.find((outcome) => outcome.status === 'rejected')?.reason as unknown;
    expect(isWebhookError(failure) && failure.code).toBe('ERR_HOOKGUARD_STORE_UNAVAILABLE');
    expect((failure as Error).cause).toMatchObject({ code: '40P01' });
    expect([(await onceRecord(a))?.state, (await onceRecord(b))?.state]).toEqual(['completed', 'completed']);
  });

  it('gives up a once claim held by another transaction after the lock wait, with a store error, and the transaction goes on', async () => {
    const pool = testPool('hookguard-test-scope-wait', { max: 3 });
    const store = db.storeOn(pool, { statementTimeoutMs: 1_000 });
    const reply = uniqueKey('reply');
    const claimed = gate();
    const release = gate();
    try {
      const holder = store.claimInTransaction(uniqueKey('event'), options, async ({ store: scoped }) => {
        await onceIn(scoped, reply, async () => 'held');
        claimed.open();
        await release.opened;
      });
      await claimed.opened;
      const event = uniqueKey('event');
      const waiter = await store.claimInTransaction(event, options, async ({ db: client, store: scoped }) => {
        const error = await onceIn(scoped, reply, async () => 'never').catch((caught: unknown) => caught);
        expect(isWebhookError(error) && error.code).toBe('ERR_HOOKGUARD_STORE_UNAVAILABLE');
        expect((error as Error).cause).toMatchObject({ code: '55P03' });
        // The failed claim ran in a savepoint: the handler's transaction is still usable.
        await insertReply(client, event);
      });
      expect(waiter).toMatchObject({ status: 'claimed' });
      expect(await replyCount(event)).toBe(1);
      release.open();
      await holder;
      expect(poolCounts(pool)).toMatchObject({ waiting: 0 });
    } finally {
      release.open();
      await pool.end();
    }
  });

  it('refuses a once result jsonb cannot hold without aborting the transaction, and releases the once key', async () => {
    const event = uniqueKey('event');
    const reply = uniqueKey('reply');
    await db.store.claimInTransaction(event, options, async ({ db: client, store }) => {
      const claim = await store.claim(reply, options);
      if (claim.status !== 'claimed') throw new Error('expected a claim');
      const error = await store.complete(reply, claim.token, { retentionMs: 60_000, result: 'a\u0000b' }).catch((caught: unknown) => caught);
      expect(isWebhookError(error) && error.code).toBe('ERR_HOOKGUARD_ONCE_RESULT_NOT_JSON');
      await insertReply(client, event);
    });
    expect(await replyCount(event)).toBe(1);
    expect(await record(reply)).toEqual({ state: 'released' });
  });

  it('runs the handler’s concurrent statements outside the store’s savepoints', async () => {
    const event = uniqueKey('event');
    const ids = Array.from({ length: 20 }, (_, index) => `${event}:${index}`);
    const keys = Array.from({ length: 10 }, (_, index) => uniqueKey(`many-${index}`));
    await db.store.claimInTransaction(event, options, async ({ db: client, store }) => {
      const claims = await Promise.all([
        ...ids.map((id) => insertReply(client, id)),
        ...keys.map((key) => store.claim(key, options)),
      ]);
      expect(claims.slice(ids.length).every((claim) => (claim as { status?: string }).status === 'claimed')).toBe(true);
      // A release that fails (not the owner) ran and rolled back its own savepoint only.
      await Promise.all([...keys.map((key) => store.release(key, '00000000-0000-4000-8000-000000000000')), insertReply(client, `${event}:last`)]);
    });
    expect(await Promise.all([...ids, `${event}:last`].map(replyCount))).toEqual(Array(ids.length + 1).fill(1));
  });

  it('sends each of its operations as one query on the transaction’s client, so pg never holds two of them queued', async () => {
    const event = uniqueKey('event');
    const reply = uniqueKey('reply');
    const queries = { sent: 0, inFlight: 0, most: 0 };
    await db.store.claimInTransaction(event, options, async ({ db: client, store }) => {
      // Counts the client's queries while the handler runs: pg 8.23 warns about (and pg 9 drops)
      // a query issued while another is still running on the same client.
      const query = client.query.bind(client) as (config: unknown) => Promise<unknown>;
      const counted = (config: unknown): Promise<unknown> => {
        queries.sent++;
        queries.most = Math.max(queries.most, ++queries.inFlight);
        const settled = (): void => void queries.inFlight--;
        const running = query(config);
        running.then(settled, settled);
        return running;
      };
      Object.assign(client, { query: counted });
      try {
        const claim = await store.claim(reply, options);
        if (claim.status !== 'claimed') throw new Error('expected a claim');
        expect(await store.complete(reply, claim.token, { retentionMs: 60_000, result: { sent: 'it\'s \\ done' } })).toBe(true);
        // Not the owner: the statement matches no row and changes nothing.
        expect(await store.release(reply, '00000000-0000-4000-8000-000000000000')).toBe(false);
      } finally {
        Reflect.deleteProperty(client, 'query');
      }
    });
    expect(queries).toEqual({ sent: 3, inFlight: 0, most: 1 });
    expect(await db.store.claim(reply, options)).toMatchObject({ status: 'completed', result: { sent: "it's \\ done" } });
  });

  it('queues its operations behind the handler’s own long statements without timing them out, and renews a held key from memory', async () => {
    const pool = testPool('hookguard-test-scope-slow', { max: 2 });
    const store = db.storeOn(pool, { statementTimeoutMs: 500 });
    const event = uniqueKey('event');
    const reply = uniqueKey('reply');
    try {
      const result = await store.claimInTransaction(event, options, async ({ db: client, store: scoped }) => {
        // The handler's statement outlasts statementTimeoutMs; the store's operations wait behind it.
        const slow = client.query('SELECT pg_sleep(0.7)');
        const claim = await scoped.claim(reply, options);
        if (claim.status !== 'claimed') throw new Error('expected a claim');
        const slower = client.query('SELECT pg_sleep(0.7)');
        expect(await scoped.extend(reply, claim.token, 60_000)).toBe(true);
        expect(await scoped.complete(reply, claim.token, { retentionMs: 60_000, result: 'sent' })).toBe(true);
        expect(await scoped.extend(reply, claim.token, 60_000)).toBe(false);
        await Promise.all([slow, slower]);
        await insertReply(client, event);
      });
      expect(result).toMatchObject({ status: 'claimed' });
      expect(await replyCount(event)).toBe(1);
      expect(await store.claim(reply, options)).toMatchObject({ status: 'completed', result: 'sent' });
    } finally {
      await pool.end();
    }
  });

  /** Resolves once a backend of the test pool waits for a lock. */
  async function waitUntilLockWait(): Promise<void> {
    for (let tries = 0; tries < 500; tries++) {
      const { rows } = await db.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'hookguard-test-scope' AND wait_event_type = 'Lock'`,
      );
      if ((rows[0]?.n ?? 0) > 0) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error('no transaction ever waited for the once key');
  }
});
