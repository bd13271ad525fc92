import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithPostgres, recordStatementNames, sleep, testSchema, type TestSchema } from './postgres.fixtures.js';

describeWithPostgres('PostgresStore.prune', () => {
  let db: TestSchema;
  let table: string;
  const keys = async (): Promise<string[]> =>
    (await db.pool.query<{ key: string }>(`SELECT key FROM ${table} ORDER BY key`)).rows.map((row) => row.key);

  /** Rows written directly, so expiry does not need a real wait: `expires` and `lease` in seconds from now. */
  async function seed(prefix: string, count: number, expires: number, lease: number | null, state = 'completed'): Promise<void> {
    await db.pool.query(
      `INSERT INTO ${table} (key, expires_at, lease_until, first_seen_at, claimed_at, attempt, token, state)
       SELECT $1 || lpad(n::text, 6, '0'), now() + $2 * interval '1 second',
              CASE WHEN $3::float8 IS NULL THEN NULL ELSE now() + $3::float8 * interval '1 second' END,
              now(), now(), 1, CASE WHEN $4 = 'processing' THEN gen_random_uuid() END, $4
       FROM generate_series(1, $5) AS n`,
      [prefix, expires, lease, state, count],
    );
  }

  beforeAll(async () => {
    db = await testSchema('prune');
    table = `"${db.schema}".hookguard_events`;
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('deletes only expired records, in batches of batchSize, and counts them', async () => {
    await db.pool.query(`TRUNCATE ${table}`);
    await seed('expired-', 23, -60, null);
    await seed('expired-released-', 2, -60, null, 'released');
    await seed('live-', 5, 3_600, null);
    await seed('leased-', 3, 3_600, 60, 'processing');
    const statements = recordStatementNames();
    try {
      expect(await db.store.prune({ batchSize: 10 })).toBe(25);
    } finally {
      statements.restore();
    }
    expect(statements.names.filter((name) => name.startsWith('hookguard_prune_'))).toHaveLength(3);
    expect(await keys()).toEqual([
      ...Array.from({ length: 3 }, (_, index) => `leased-${String(index + 1).padStart(6, '0')}`),
      ...Array.from({ length: 5 }, (_, index) => `live-${String(index + 1).padStart(6, '0')}`),
    ]);
  });

  it('refuses an option it does not take, naming the one meant, instead of pruning with the default', async () => {
    await expect(db.store.prune({ batch: 10 } as never)).rejects.toMatchObject({ code: 'ERR_HOOKGUARD_INVALID_OPTIONS', message: expect.stringMatching(/'batch'.*batchSize/) });
  });

  it('never deletes a record under a live lease, even one whose retention has passed', async () => {
    await db.pool.query(`TRUNCATE ${table}`);
    await seed('leased-expired-', 2, -60, 60, 'processing');
    await seed('lapsed-expired-', 2, -60, -30, 'processing');
    expect(await db.store.prune()).toBe(2);
    expect(await keys()).toEqual(['leased-expired-000001', 'leased-expired-000002']);
  });

  it('finds expired records through the expires_at index', async () => {
    await db.pool.query(`TRUNCATE ${table}`);
    await seed('bulk-', 20_000, 3_600, null);
    await db.pool.query(`ANALYZE ${table}`);
    const { rows } = await db.pool.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN SELECT key FROM ${table}
       WHERE expires_at <= statement_timestamp() AND (lease_until IS NULL OR lease_until <= statement_timestamp())
       ORDER BY expires_at LIMIT 1000 FOR UPDATE SKIP LOCKED`,
    );
    expect(rows.map((row) => row['QUERY PLAN']).join('\n')).toMatch(/Index Scan using hookguard_events_expires_at_idx/);
  });

  it('prunes on its own every pruneIntervalMs until closed', async () => {
    await db.pool.query(`TRUNCATE ${table}`);
    const store = db.storeOn(db.pool, { pruneIntervalMs: 50 });
    await seed('timer-', 4, -1, null);
    await sleep(300);
    expect(await keys()).toEqual([]);
    await store.close();
    await seed('after-close-', 2, -1, null);
    await sleep(200);
    expect(await keys()).toEqual(['after-close-000001', 'after-close-000002']);
  });
});
