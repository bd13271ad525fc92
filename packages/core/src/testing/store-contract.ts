import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DedupStore } from '../store/dedup-store.js';
import { isWebhookError } from '../errors/webhook-error.js';

/** A store under test and the means to move its clock. */
export type StoreHarness = {
  store: DedupStore;
  /**
   * Moves the store's clock forward. Stores with an injectable clock advance it; stores timed by a
   * server clock (Redis `TIME`, Postgres `now()`) sleep for real, so the suite keeps durations short.
   */
  advance(ms: number): Promise<void>;
  /** Called once after the suite; close clients the harness opened. */
  teardown?(): Promise<void>;
};

/** Options for {@link describeStoreContract}. */
export type StoreContractOptions = {
  /** Builds the store once for the whole suite. Keys are unique per test, so state may be shared. */
  setup(): Promise<StoreHarness> | StoreHarness;
  /**
   * The unit of time the suite uses for leases. Server-clocked stores need enough margin for round
   * trips and clock granularity (Redis: 200 ms is plenty); an injected clock can use 1000.
   * @default 1000
   */
  leaseMs?: number;
  /**
   * How much later than `retentionMs` an expired key may still be remembered (Bloom: one window).
   * @default 0
   */
  retentionSlackMs?: number;
  /**
   * Whether `complete` stores a `result`. Stores that cannot must reject it with
   * `ERR_HOOKGUARD_UNSUPPORTED` rather than drop it.
   * @default true
   */
  supportsResults?: boolean;
  /**
   * Whether a `completed` claim compares fingerprints. Stores that cannot (Bloom) must answer
   * `fingerprintMatches: undefined`, never a guess.
   * @default true
   */
  supportsFingerprints?: boolean;
};

let keySequence = 0;

/**
 * Registers the shared store contract suite (DESIGN.md, "The dedup store contract") with Vitest.
 * Every store runs this one suite rather than its own copy of these cases.
 *
 * @example
 * ```ts
 * import { describeStoreContract } from '@hookguard/core/testing/contracts';
 *
 * describeStoreContract('RedisStore', {
 *   setup: () => ({ store: new RedisStore({ client }), advance: (ms) => sleep(ms) }),
 *   leaseMs: 200,
 * });
 * ```
 */
export function describeStoreContract(name: string, options: StoreContractOptions): void {
  const lease = options.leaseMs ?? 1000;
  const retention = lease * 4;
  const slack = options.retentionSlackMs ?? 0;
  const run = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  let harness: StoreHarness;
  const key = (label: string): string => `contract:${run}:${++keySequence}:${label}`;
  const claim = (k: string, extra: { fingerprint?: string; leaseMs?: number; retentionMs?: number } = {}) =>
    harness.store.claim(k, { leaseMs: extra.leaseMs ?? lease, retentionMs: extra.retentionMs ?? retention, ...extra });
  const claimed = async (k: string, extra: { fingerprint?: string } = {}) => {
    const result = await claim(k, extra);
    if (result.status !== 'claimed') throw new Error(`expected ${k} to be claimed, got ${result.status}`);
    return result;
  };

  describe(`${name} satisfies the dedup store contract`, () => {
    beforeAll(async () => {
      harness = await options.setup();
    });
    afterAll(async () => {
      await harness?.teardown?.();
    });

    it('describes itself', () => {
      expect(typeof harness.store.name).toBe('string');
      expect(typeof harness.store.exact).toBe('boolean');
      expect(typeof harness.store.shared).toBe('boolean');
    });

    it('claims an unseen key as attempt 1 with a token', async () => {
      const result = await claim(key('fresh'));
      expect(result).toMatchObject({ status: 'claimed', attempt: 1 });
      expect(result.status === 'claimed' && result.token.length).toBeGreaterThan(0);
    });

    it('answers processing with the remaining lease while another claim holds it', async () => {
      const k = key('held');
      await claimed(k);
      const second = await claim(k);
      expect(second.status).toBe('processing');
      if (second.status !== 'processing') return;
      expect(second.retryAfterMs).toBeGreaterThan(0);
      expect(second.retryAfterMs).toBeLessThanOrEqual(lease);
    });

    it('grants exactly one of many concurrent claims of one key', async () => {
      const k = key('race');
      const results = await Promise.all(Array.from({ length: 25 }, () => claim(k)));
      expect(results.filter((result) => result.status === 'claimed')).toHaveLength(1);
      expect(results.filter((result) => result.status === 'processing')).toHaveLength(24);
    });

    it('keeps keys independent', async () => {
      const a = key('a');
      await claimed(a);
      expect((await claim(key('b'))).status).toBe('claimed');
    });

    it('handles keys with colons, spaces, unicode and 512 characters', async () => {
      for (const odd of ['a:b:c', 'with space', 'ünïcødé-✓-日本', 'x'.repeat(512)]) {
        const k = key(odd);
        const { token } = await claimed(k);
        expect(await harness.store.complete(k, token, { retentionMs: retention })).toBe(true);
        expect((await claim(k)).status).toBe('completed');
      }
    });

    it('answers completed after the owner completes', async () => {
      const k = key('done');
      const { token } = await claimed(k);
      expect(await harness.store.complete(k, token, { retentionMs: retention })).toBe(true);
      expect(await claim(k)).toMatchObject({ status: 'completed' });
    });

    if (options.supportsFingerprints ?? true) {
      it('reports whether a completed key was claimed with the same fingerprint', async () => {
        const k = key('fingerprint');
        const { token } = await claimed(k, { fingerprint: 'body-digest-1' });
        await harness.store.complete(k, token, { retentionMs: retention });
        expect(await claim(k, { fingerprint: 'body-digest-1' })).toMatchObject({ status: 'completed', fingerprintMatches: true });
        expect(await claim(k, { fingerprint: 'body-digest-2' })).toMatchObject({ status: 'completed', fingerprintMatches: false });
        const none = await claim(k);
        expect(none.status === 'completed' && none.fingerprintMatches).toBeUndefined();
      });
    } else {
      it('answers fingerprintMatches undefined when it cannot compare fingerprints', async () => {
        const k = key('fingerprint-unsupported');
        const { token } = await claimed(k, { fingerprint: 'body-digest-1' });
        await harness.store.complete(k, token, { retentionMs: retention });
        for (const fingerprint of ['body-digest-1', 'body-digest-2', undefined]) {
          const again = await claim(k, fingerprint === undefined ? {} : { fingerprint });
          expect(again.status).toBe('completed');
          expect(again.status === 'completed' && 'fingerprintMatches' in again).toBe(true);
          expect(again.status === 'completed' && again.fingerprintMatches).toBeUndefined();
        }
      });
    }

    it('refuses complete, release and extend from a token that does not own the key', async () => {
      const k = key('not-owner');
      await claimed(k);
      expect(await harness.store.complete(k, 'not-the-token', { retentionMs: retention })).toBe(false);
      expect(await harness.store.release(k, 'not-the-token')).toBe(false);
      expect(await harness.store.extend(k, 'not-the-token', lease)).toBe(false);
      expect((await claim(k)).status).toBe('processing');
    });

    it('refuses every write to a key that was never claimed', async () => {
      const k = key('never');
      expect(await harness.store.complete(k, 'token', { retentionMs: retention })).toBe(false);
      expect(await harness.store.release(k, 'token')).toBe(false);
      expect(await harness.store.extend(k, 'token', lease)).toBe(false);
      expect((await claim(k)).status).toBe('claimed');
    });

    it('makes a released key claimable at once, counting the attempt', async () => {
      const k = key('released');
      const first = await claimed(k);
      expect(await harness.store.release(k, first.token)).toBe(true);
      const second = await claimed(k);
      expect(second.attempt).toBe(2);
      expect(second.token).not.toBe(first.token);
      expect(await harness.store.release(k, second.token)).toBe(true);
      expect((await claimed(k)).attempt).toBe(3);
    });

    it('never lets a late release or extend undo a completed key', async () => {
      const k = key('late-writes');
      const { token } = await claimed(k);
      expect(await harness.store.complete(k, token, { retentionMs: retention })).toBe(true);
      expect(await harness.store.release(k, token)).toBe(false);
      expect(await harness.store.release(k, token, { uncounted: true, lastError: 'late' })).toBe(false);
      expect(await harness.store.extend(k, token, lease)).toBe(false);
      expect((await claim(k)).status).toBe('completed');
    });

    it('answers true to a complete repeated by the token that completed the key, false to any other', async () => {
      // A client that re-sends a command whose reply was lost (ioredis after a reconnect) must not
      // report a lease loss for its own completion (issue 14, item 7).
      const k = key('complete-twice');
      const { token } = await claimed(k);
      expect(await harness.store.complete(k, token, { retentionMs: retention })).toBe(true);
      expect(await harness.store.complete(k, token, { retentionMs: retention })).toBe(true);
      expect(await harness.store.complete(k, 'not-the-token', { retentionMs: retention })).toBe(false);
      expect((await claim(k)).status).toBe('completed');
    });

    it('answers false to a complete repeated after the key expired and was claimed again', async () => {
      const k = key('complete-after-expiry');
      const first = await claimed(k);
      expect(await harness.store.complete(k, first.token, { retentionMs: lease })).toBe(true);
      await harness.advance(lease * 1.5 + slack);
      const second = await claimed(k);
      expect(second.attempt).toBe(1);
      expect(await harness.store.complete(k, first.token, { retentionMs: retention })).toBe(false);
      expect((await claim(k)).status).toBe('processing');
    });

    it('answers true to a release repeated by the token that released the key, until another token claims it', async () => {
      const k = key('release-twice');
      const first = await claimed(k);
      expect(await harness.store.release(k, first.token)).toBe(true);
      expect(await harness.store.release(k, first.token)).toBe(true);
      expect(await harness.store.release(k, 'not-the-token')).toBe(false);
      const second = await claimed(k);
      expect(second.attempt).toBe(2);
      expect(await harness.store.release(k, first.token)).toBe(false);
      expect(await harness.store.complete(k, first.token, { retentionMs: retention })).toBe(false);
      expect((await claim(k)).status).toBe('processing');
      expect(await harness.store.complete(k, second.token, { retentionMs: retention })).toBe(true);
    });

    it('reports the same attempt again after an uncounted release, and counts a repeated one once', async () => {
      const k = key('uncounted');
      const first = await claimed(k);
      expect(await harness.store.release(k, first.token, { uncounted: true })).toBe(true);
      const again = await claimed(k);
      expect(again.attempt).toBe(1);
      expect(again.token).not.toBe(first.token);
      expect(await harness.store.release(k, again.token)).toBe(true);
      const second = await claimed(k);
      expect(second.attempt).toBe(2);
      expect(await harness.store.release(k, second.token, { uncounted: true })).toBe(true);
      expect(await harness.store.release(k, second.token, { uncounted: true })).toBe(true);
      expect((await claimed(k)).attempt).toBe(2);
    });

    it('returns the last released error to later claims until a new one replaces it', async () => {
      const k = key('last-error');
      const first = await claimed(k);
      expect('lastError' in first).toBe(false);
      expect(await harness.store.release(k, first.token, { lastError: 'TypeError: boom | 1: ünï' })).toBe(true);
      const second = await claimed(k);
      expect(second).toMatchObject({ attempt: 2, lastError: 'TypeError: boom | 1: ünï' });
      // A release without an error (an uncounted one: the store failed, not the handler) keeps it.
      expect(await harness.store.release(k, second.token, { uncounted: true })).toBe(true);
      const third = await claimed(k);
      expect(third).toMatchObject({ attempt: 2, lastError: 'TypeError: boom | 1: ünï' });
      const long = `Error: ${'x'.repeat(5000)}`;
      expect(await harness.store.release(k, third.token, { lastError: long })).toBe(true);
      const fourth = await claimed(k);
      expect(fourth.attempt).toBe(3);
      expect(fourth.lastError?.length).toBeGreaterThanOrEqual(100);
      expect(fourth.lastError?.length).toBeLessThanOrEqual(1000);
      expect(long.startsWith(fourth.lastError ?? '-')).toBe(true);
      // A lease that lapsed (a crash) recorded no error: the takeover still sees the last one.
      await harness.advance(lease * 1.5);
      const fifth = await claimed(k);
      expect(fifth.attempt).toBe(4);
      expect(fifth.lastError).toBe(fourth.lastError);
      expect(await harness.store.complete(k, fifth.token, { retentionMs: retention })).toBe(true);
      expect((await claim(k)).status).toBe('completed');
    });

    it('lets the next claim take over a lapsed lease and refuses the old owner afterwards', async () => {
      const k = key('takeover');
      const first = await claimed(k);
      await harness.advance(lease * 1.5);
      const second = await claimed(k);
      expect(second.attempt).toBe(2);
      expect(await harness.store.complete(k, first.token, { retentionMs: retention })).toBe(false);
      expect(await harness.store.release(k, first.token)).toBe(false);
      expect(await harness.store.extend(k, first.token, lease)).toBe(false);
      expect((await claim(k)).status).toBe('processing');
      expect(await harness.store.complete(k, second.token, { retentionMs: retention })).toBe(true);
      expect((await claim(k)).status).toBe('completed');
      expect(await harness.store.complete(k, first.token, { retentionMs: retention })).toBe(false);
    });

    it('keeps a lease alive through extend', async () => {
      const k = key('heartbeat');
      const { token } = await claimed(k);
      await harness.advance(lease * 0.6);
      expect(await harness.store.extend(k, token, lease)).toBe(true);
      await harness.advance(lease * 0.6);
      expect((await claim(k)).status).toBe('processing');
      expect(await harness.store.complete(k, token, { retentionMs: retention })).toBe(true);
    });

    it('lets the owner complete after its lease lapsed when nobody took over', async () => {
      const k = key('late-owner');
      const { token } = await claimed(k);
      await harness.advance(lease * 1.5);
      expect(await harness.store.complete(k, token, { retentionMs: retention })).toBe(true);
      expect((await claim(k)).status).toBe('completed');
    });

    it('never expires a key under a live lease, even with a shorter retention', async () => {
      const k = key('lease-outlives-retention');
      await claimed(k);
      await harness.advance(0);
      const short = { leaseMs: lease * 3, retentionMs: lease };
      const k2 = key('short-retention');
      expect((await claim(k2, short)).status).toBe('claimed');
      await harness.advance(lease * 1.5);
      expect((await claim(k2, short)).status).toBe('processing');
    });

    it('forgets a completed key after its retention, starting again at attempt 1', async () => {
      const k = key('retention');
      const { token } = await claimed(k);
      await harness.store.complete(k, token, { retentionMs: lease });
      expect((await claim(k)).status).toBe('completed');
      await harness.advance(lease * 1.5 + slack);
      expect(await claim(k)).toMatchObject({ status: 'claimed', attempt: 1 });
    });

    if (options.supportsResults ?? true) {
      it('returns the stored result to later claims', async () => {
        const k = key('result');
        const { token } = await claimed(k);
        const value = { id: 'inbox_1', nested: { list: [1, 'two', null, true] }, text: 'ünï' };
        expect(await harness.store.complete(k, token, { retentionMs: retention, result: value })).toBe(true);
        expect(await claim(k)).toMatchObject({ status: 'completed', result: value });
      });

      it('keeps falsy results distinct from no result', async () => {
        for (const value of [0, '', false, null]) {
          const k = key(`falsy-${String(value)}`);
          const { token } = await claimed(k);
          await harness.store.complete(k, token, { retentionMs: retention, result: value });
          const again = await claim(k);
          expect(again.status === 'completed' && 'result' in again && again.result).toBe(value);
        }
        const k = key('no-result');
        const { token } = await claimed(k);
        await harness.store.complete(k, token, { retentionMs: retention });
        const again = await claim(k);
        expect(again.status === 'completed' && 'result' in again).toBe(false);
      });
    } else {
      it('rejects a result it cannot store with ERR_HOOKGUARD_UNSUPPORTED instead of dropping it', async () => {
        const k = key('result-unsupported');
        const { token } = await claimed(k);
        const error = await harness.store.complete(k, token, { retentionMs: retention, result: 1 }).catch((e: unknown) => e);
        expect(isWebhookError(error) && error.code).toBe('ERR_HOOKGUARD_UNSUPPORTED');
        expect((await claim(k)).status).toBe('processing');
      });
    }
  });
}
