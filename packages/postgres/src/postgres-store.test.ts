import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isWebhookError } from '@hookguard/core';
import { describeStoreContract } from '@hookguard/core/testing/contracts';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PostgresStore } from './postgres-store.js';
import { textHash } from './sql/table-names.js';
import { CONNECTION, describeWithPostgres, pg, recordStatementNames, sleep, testPool, testSchema, withPostgres, type TestSchema } from './postgres.fixtures.js';

const LEASE_MS = 300;

/** pg 8.20.0, the last release before Client#getTransactionStatus (a dev dependency under an alias). */
async function pg820(): Promise<typeof import('pg')> {
  const specifier = 'pg-8.20';
  return ((await import(specifier)) as { default: typeof import('pg') }).default;
}

if (withPostgres) {
  let db: TestSchema;
  describeStoreContract('PostgresStore', {
    async setup() {
      db = await testSchema('contract');
      // Opens the pool's connections and prepares the statements before the suite times leases of
      // 300 ms: a cold pool's first connections can take longer than that on a busy machine.
      await Promise.all(
        Array.from({ length: 10 }, (_, index) => db.store.claim(`warm-up:${index}`, { leaseMs: 1, retentionMs: 1 })),
      );
      return { store: db.store, advance: sleep, teardown: () => db.drop() };
    },
    leaseMs: LEASE_MS,
  });
}

describeWithPostgres('PostgresStore', () => {
  let db: TestSchema;
  const options = { leaseMs: 60_000, retentionMs: 60_000 };
  beforeAll(async () => {
    db = await testSchema('store');
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('describes itself as the exact, shared postgres store', () => {
    expect({ name: db.store.name, exact: db.store.exact, shared: db.store.shared }).toEqual({
      name: 'postgres',
      exact: true,
      shared: true,
    });
  });

  it('rejects a table or schema name that is not a plain identifier at construction', () => {
    for (const bad of [{ table: 'events"; DROP TABLE x; --' }, { table: '1events' }, { schema: 'a.b' }, { table: 'x'.repeat(49) }]) {
      let error: unknown;
      try {
        new PostgresStore({ pool: db.pool, ...bad });
      } catch (caught) {
        error = caught;
      }
      expect(isWebhookError(error) && error.code).toBe('ERR_HOOKGUARD_INVALID_OPTIONS');
    }
  });

  it('rejects a missing pool at construction', () => {
    expect(() => new PostgresStore({} as never)).toThrow(/needs `pool`/);
  });

  it('keeps the row a released claim leaves, so the attempt count survives, with the token that released it', async () => {
    const first = await db.store.claim('kept-attempt', options);
    if (first.status !== 'claimed') throw new Error('expected a claim');
    await db.store.release('kept-attempt', first.token, { lastError: 'Error: boom' });
    const { rows } = await db.pool.query(
      `SELECT state, attempt, token::text, lease_until, last_error FROM "${db.schema}".hookguard_events WHERE key = $1`,
      ['kept-attempt'],
    );
    expect(rows).toEqual([{ state: 'released', attempt: 1, token: first.token, lease_until: null, last_error: 'Error: boom' }]);
  });

  it('records when a key was first seen, last claimed and completed', async () => {
    const claim = await db.store.claim('audited', options);
    if (claim.status !== 'claimed') throw new Error('expected a claim');
    await db.store.complete('audited', claim.token, { retentionMs: 60_000, result: { ok: true } });
    const { rows } = await db.pool.query(
      `SELECT state, attempt, first_seen_at <= claimed_at AS ordered, completed_at >= claimed_at AS completed_after,
              expires_at > now() + interval '50 seconds' AS retained, lease_until, result
       FROM "${db.schema}".hookguard_events WHERE key = $1`,
      ['audited'],
    );
    expect(rows).toEqual([
      { state: 'completed', attempt: 1, ordered: true, completed_after: true, retained: true, lease_until: null, result: { ok: true } },
    ]);
  });

  it('keeps a completed key at least retentionMs after its completion', async () => {
    const row = async (key: string): Promise<{ expires: number; completed: number }> => {
      const { rows } = await db.pool.query<{ expires: number; completed: number }>(
        `SELECT extract(epoch FROM expires_at) * 1000 AS expires, extract(epoch FROM completed_at) * 1000 AS completed
         FROM "${db.schema}".hookguard_events WHERE key = $1`,
        [key],
      );
      return { expires: Number(rows[0]!.expires), completed: Number(rows[0]!.completed) };
    };
    // Completed within its lease: the claim already kept the key for the retention plus the lease,
    // so the completion leaves expires_at as it was (PostgreSQL can then update the row in place).
    const quick = await db.store.claim('retained-quick', { leaseMs: 60_000, retentionMs: 60_000 });
    if (quick.status !== 'claimed') throw new Error('expected a claim');
    const claimed = await row('retained-quick');
    await db.store.complete('retained-quick', quick.token, { retentionMs: 60_000 });
    const quickRow = await row('retained-quick');
    expect(quickRow.expires).toBe(claimed.expires);
    expect(quickRow.expires - quickRow.completed).toBeGreaterThanOrEqual(60_000);

    // A completion asking for more than the claim kept moves expires_at to its own retention.
    const long = await db.store.claim('retained-long', { leaseMs: 1_000, retentionMs: 1_000 });
    if (long.status !== 'claimed') throw new Error('expected a claim');
    await db.store.complete('retained-long', long.token, { retentionMs: 600_000 });
    const longRow = await row('retained-long');
    expect(longRow.expires - longRow.completed).toBeCloseTo(600_000, 0);

    // A repeated completion changes nothing.
    await db.store.complete('retained-long', long.token, { retentionMs: 900_000 });
    expect(await row('retained-long')).toEqual(longRow);
  });

  // A completion that changes no indexed column is a HOT update: no new entries in the key and
  // expires_at indexes, less WAL, less for vacuum. Backends flush these statistics a second or so after going idle.
  it('completes a key within its lease without touching the indexes (a HOT update)', async () => {
    const hot = await testSchema('hot_update');
    try {
      for (let index = 0; index < 5; index++) {
        const claim = await hot.store.claim(`hot:${index}`, { leaseMs: 60_000, retentionMs: 60_000, fingerprint: 'f' });
        if (claim.status !== 'claimed') throw new Error('expected a claim');
        expect(await hot.store.complete(`hot:${index}`, claim.token, { retentionMs: 60_000 })).toBe(true);
      }
      let counts = { updated: 0, hot: 0 };
      for (const deadline = Date.now() + 20_000; counts.updated < 5 && Date.now() < deadline; await sleep(200)) {
        const { rows } = await db.pool.query<{ updated: string; hot: string }>(
          `SELECT n_tup_upd AS updated, n_tup_hot_upd AS hot FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = 'hookguard_events'`,
          [hot.schema],
        );
        counts = { updated: Number(rows[0]?.updated ?? 0), hot: Number(rows[0]?.hot ?? 0) };
      }
      expect(counts).toEqual({ updated: 5, hot: 5 });
    } finally {
      await hot.drop();
    }
  });

  it('sends each operation as one statement', async () => {
    const statements = recordStatementNames();
    try {
      const claim = await db.store.claim('one-statement', options);
      if (claim.status !== 'claimed') throw new Error('expected a claim');
      await db.store.extend('one-statement', claim.token, 60_000);
      await db.store.complete('one-statement', claim.token, { retentionMs: 60_000 });
      await db.store.claim('one-statement', options);
    } finally {
      statements.restore();
    }
    expect(statements.names.map((name) => name.replace(/_[0-9a-z]+$/, ''))).toEqual([
      'hookguard_plain_claim',
      'hookguard_extend',
      'hookguard_complete',
      'hookguard_plain_claim',
    ]);
  });

  // pg refuses a statement name prepared on the connection with another text ("Prepared
  // statements must be unique"). Statements used to be named hookguard_<operation>_v2_<hash of
  // the table's name>, whatever their text: beside the previous version of this package in one
  // process, on one pool, every completion failed with a 503 once both had run.
  it('runs beside the previous version of the package on one pool', async () => {
    const pool = testPool('hookguard-test-statement-names', { max: 1 });
    try {
      const previousName = `hookguard_complete_v2_${textHash(`${db.schema}.hookguard_events`)}`;
      const previousText = `UPDATE "${db.schema}".hookguard_events SET state = 'completed', lease_until = NULL
WHERE key = $1::text AND token = $2::uuid AND state IN ('processing', 'completed')`;
      await pool.query({ name: previousName, text: previousText, values: ['beside-previous', randomUUID()] });
      const store = db.storeOn(pool);
      const claim = await store.claim('beside-previous', options);
      if (claim.status !== 'claimed') throw new Error('expected a claim');
      expect(await store.complete('beside-previous', claim.token, { retentionMs: 60_000 })).toBe(true);
      await pool.query({ name: previousName, text: previousText, values: ['beside-previous', claim.token] });
    } finally {
      await pool.end();
    }
  });

  it('answers duplicates of a completed or held key without writing or locking its row', async () => {
    const version = async (key: string) =>
      (
        await db.pool.query<{ ctid: string; xmin: string; xmax: string }>(
          `SELECT ctid::text, xmin::text, xmax::text FROM "${db.schema}".hookguard_events WHERE key = $1`,
          [key],
        )
      ).rows[0];
    const held = await db.store.claim('quiet-held', options);
    const done = await db.store.claim('quiet-done', options);
    if (held.status !== 'claimed' || done.status !== 'claimed') throw new Error('expected claims');
    await db.store.complete('quiet-done', done.token, { retentionMs: 60_000 });
    const before = [await version('quiet-held'), await version('quiet-done')];
    expect(before.map((row) => row?.xmax)).toEqual(['0', '0']);
    await Promise.all(Array.from({ length: 5 }, () => db.store.claim('quiet-held', options)));
    await Promise.all(Array.from({ length: 5 }, () => db.store.claim('quiet-done', options)));
    expect([await version('quiet-held'), await version('quiet-done')]).toEqual(before);
  });

  it('never ends the pool it was given, even after close', async () => {
    const store = new PostgresStore({ pool: db.pool, schema: db.schema, pruneIntervalMs: 10 });
    await store.close();
    expect((await db.pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    expect(db.pool.ended).toBe(false);
  });

  it("answers claims on a pool whose owner keeps json as text (the claim's answer is one json column)", async () => {
    // An application that turned pg's json parsing off for its own queries: pg's global parsers.
    const jsonAsText = testPool('hookguard-test-json-as-text', {
      max: 1,
      types: { getTypeParser: (oid: number, format?: string) => (oid === 114 ? (text: string) => text : pg.types.getTypeParser(oid, format as 'text')) },
    });
    try {
      const store = db.storeOn(jsonAsText);
      const first = await store.claim('json-as-text', options);
      if (first.status !== 'claimed') throw new Error(`expected a claim, got ${first.status}`);
      expect(first.attempt).toBe(1);
      expect(await store.complete('json-as-text', first.token, { retentionMs: 60_000, result: { sent: 'msg_1' } })).toBe(true);
      expect(await store.claim('json-as-text', { ...options, fingerprint: 'body' })).toEqual({ status: 'completed', fingerprintMatches: undefined, result: { sent: 'msg_1' } });
      const held = await db.store.claim('json-as-text-held', options);
      expect(held.status).toBe('claimed');
      const second = await store.claim('json-as-text-held', options);
      expect(second.status).toBe('processing');
    } finally {
      await jsonAsText.end();
    }
  });

  it('keeps two stores on one pool apart, prepared statements included', async () => {
    const other = new PostgresStore({ pool: db.pool, schema: db.schema, table: 'other_events' });
    await other.migrate();
    const here = await db.store.claim('same-key', options);
    const there = await other.claim('same-key', options);
    expect([here.status, there.status]).toEqual(['claimed', 'claimed']);
  });

  it('rejects with ERR_HOOKGUARD_STORE_UNAVAILABLE naming migrate() when the table is missing', async () => {
    const unmigrated = new PostgresStore({ pool: db.pool, schema: db.schema, table: 'never_migrated' });
    const error = await unmigrated.claim('k', options).catch((caught: unknown) => caught);
    expect(isWebhookError(error) && error.code).toBe('ERR_HOOKGUARD_STORE_UNAVAILABLE');
    expect(isWebhookError(error) && error.status).toBe(503);
    expect((error as Error).message).toMatch(/store\.migrate\(\)/);
    // Every migration: the claim function the store calls (version 2) is made by the second.
    expect((error as Error).message).toContain('sql/ files in order (001_hookguard_events.sql, 002_hookguard_events_v2.sql, 003_hookguard_events_v3.sql)');
    expect((error as Error).cause).toMatchObject({ code: '42P01' });
  });

  it('refuses at construction a pool of pg 8.20, whose client lacks getTransactionStatus, naming the version needed', async () => {
    const legacy = await pg820();
    expect(typeof legacy.Client.prototype.getTransactionStatus).toBe('undefined');
    const pool = new legacy.Pool(CONNECTION);
    let error: unknown;
    try {
      new PostgresStore({ pool });
    } catch (caught) {
      error = caught;
    }
    expect(isWebhookError(error) && error.code).toBe('ERR_HOOKGUARD_INVALID_OPTIONS');
    expect((error as Error).message).toMatch(/needs pg 8\.23\.1 or later/);
    await pool.end();
  });

  it('fails a transactional claim on a client without getTransactionStatus with the same coded error, and gives the client back', async () => {
    const legacy = await pg820();
    const pool = testPool('hookguard-test-old-client', { max: 1 });
    const store = new PostgresStore({ pool, schema: db.schema });
    // A pool whose clients change after the store was built (or a pool-like object without Client).
    (pool as unknown as { Client: unknown }).Client = legacy.Client;
    const error = await store.claimInTransaction('old-client', options, async () => undefined).catch((caught: unknown) => caught);
    expect(isWebhookError(error) && error.code).toBe('ERR_HOOKGUARD_INVALID_OPTIONS');
    expect((error as Error).message).toMatch(/needs pg 8\.23\.1 or later/);
    expect(pool.waitingCount).toBe(0);
    expect(pool.totalCount).toBe(0);
    await pool.end();
  });

  it('declares as its pg peer range the version its tests run on, and later 8.x', async () => {
    const manifest = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as {
      peerDependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    expect(manifest.peerDependencies.pg).toBe(`^${manifest.devDependencies.pg}`);
    expect(manifest.devDependencies.pg).toBe((await import('pg/package.json', { with: { type: 'json' } })).default.version);
  });

  it('refuses a key with NUL, a lone surrogate or over 2 048 UTF-8 bytes with ERR_HOOKGUARD_UNSUPPORTED, before the driver sees it', async () => {
    const refused = ['reply:\u0000', 'reply:m\ud800', 'reply:m\udc01x', `reply:${'x'.repeat(2_043)}`, `reply:${'é'.repeat(1_022)}`];
    for (const key of refused) {
      for (const operation of [
        () => db.store.claim(key, options),
        () => db.store.claimInTransaction(key, options, async () => undefined),
      ]) {
        const error = await operation().catch((caught: unknown) => caught);
        expect(isWebhookError(error) && error.code).toBe('ERR_HOOKGUARD_UNSUPPORTED');
        expect((error as Error).message).toMatch(/refused a key that/);
      }
    }
    // A well-formed pair and the longest key are fine.
    for (const key of ['reply:m\ud83d\ude00', `reply:${'x'.repeat(2_042)}`, `reply:${'é'.repeat(1_021)}`]) {
      const claim = await db.store.claim(key, options);
      expect(claim.status).toBe('claimed');
      if (claim.status !== 'claimed') continue;
      expect(await db.store.complete(key, claim.token, { retentionMs: 60_000 })).toBe(true);
      expect((await db.store.claim(key, options)).status).toBe('completed');
    }
  });

  it('refuses a result jsonb cannot hold with ERR_HOOKGUARD_ONCE_RESULT_NOT_JSON and releases the key, so the next claim runs again', async () => {
    const cycle: Record<string, unknown> = { text: 'fine' };
    cycle.self = cycle;
    for (const [index, result] of [{ text: 'a\u0000b' }, ['ok', 'm\ud800'], { ['\udfff']: 1 }, cycle, { count: 1n }].entries()) {
      const key = `unstorable-result-${index}`;
      const claim = await db.store.claim(key, options);
      if (claim.status !== 'claimed') throw new Error('expected a claim');
      const error = await db.store.complete(key, claim.token, { retentionMs: 60_000, result }).catch((caught: unknown) => caught);
      expect(isWebhookError(error) && error.code).toBe('ERR_HOOKGUARD_ONCE_RESULT_NOT_JSON');
      expect((error as Error).message).toMatch(/The key was released/);
      expect(await db.store.claim(key, options)).toMatchObject({ status: 'claimed', attempt: 2 });
    }
  });

  it('takes one key lock for the table whether its schema is spelled out or not', async () => {
    const table = `hookguard_spelling_${Math.random().toString(36).slice(2, 8)}`;
    const spelled = new PostgresStore({ pool: db.pool, table, schema: 'public' });
    const unspelled = new PostgresStore({ pool: db.pool, table });
    await spelled.migrate();
    try {
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let claimed!: () => void;
      const running = new Promise<void>((resolve) => (claimed = resolve));
      const transaction = spelled.claimInTransaction('spelled-key', options, async () => {
        claimed();
        await held;
      });
      await running;
      // Without one lock, this claim would wait on the transaction's row until statementTimeoutMs.
      expect(await unspelled.claim('spelled-key', options)).toMatchObject({ status: 'processing' });
      expect(await unspelled.claimInTransaction('spelled-key', options, async () => undefined)).toMatchObject({ status: 'processing' });
      release();
      await transaction;
      expect((await unspelled.claim('spelled-key', options)).status).toBe('completed');
    } finally {
      await db.pool.query(`DROP TABLE IF EXISTS public."${table}"; DROP FUNCTION IF EXISTS public."${table}_claim"; DROP FUNCTION IF EXISTS public."${table}_claim_v2"`);
    }
  });

  it('answers processing with the lease time left, measured on the server clock', async () => {
    const claim = await db.store.claim('server-clock', { leaseMs: 2_000, retentionMs: 60_000 });
    expect(claim.status).toBe('claimed');
    const again = await db.store.claim('server-clock', { leaseMs: 2_000, retentionMs: 60_000 });
    expect(again.status === 'processing' && again.retryAfterMs).toBeGreaterThan(1_500);
  });
});
