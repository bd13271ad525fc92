import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobContext, JobProcessor, QueuedEvent, QueueWorker, RetryPolicy, WebhookQueue } from '../queue/webhook-queue.js';

/** A transaction the queue's `enqueue` can join (`options.transaction`), opened by the harness. */
export type QueueHarnessTransaction = {
  /** What the suite passes as `enqueue(event, { transaction })`. */
  transaction: unknown;
  commit(): Promise<void>;
  rollback(): Promise<void>;
};

/** One queue under test: a fresh, empty queue per test. */
export type QueueHarness = {
  /**
   * Opens an instance of this test's queue, as another process would build it (same engine, same
   * queue name). The suite calls it once per worker it needs and closes what it opened.
   */
  open(): WebhookQueue | Promise<WebhookQueue>;
  /** Begins a transaction `enqueue` joins; only for queues that join the store's transactions. */
  begin?(): Promise<QueueHarnessTransaction>;
  /** Called after each test; drop what the harness created. */
  teardown?(): Promise<void>;
};

/** Options for {@link describeQueueContract}. */
export type QueueContractOptions = {
  /** Builds a new, empty queue for each test (a unique queue name, prefix or schema). */
  setup(): Promise<QueueHarness> | QueueHarness;
  /**
   * How much later than the policy's `maxDelayMs` a retry may start: the engine's polling interval
   * plus scheduling noise on a loaded machine. Only a bound that catches a broken backoff (seconds
   * taken for milliseconds), never a measure of speed.
   * @default 5_000
   */
  delaySlackMs?: number;
  /**
   * Whether `enqueue` joins a transaction the harness opens ({@link QueueHarness.begin}); the
   * transaction case runs only then.
   * @default false
   */
  transactions?: boolean;
};

const TIMEOUT_MS = 15_000;
const FAST: RetryPolicy = { attempts: 3, minDelayMs: 50, maxDelayMs: 400 };

let sequence = 0;

/** Waits until `condition()` holds, polling; fails with `what` after 15 s. */
async function until(what: string, condition: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + TIMEOUT_MS;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

type Run = { key: string; event: QueuedEvent; attempt: number; startedAt: number; endedAt?: number; signal: AbortSignal };

/**
 * Registers the shared queue contract suite (DESIGN.md, "Queued mode"; the invariants of
 * `WebhookQueue`) with Vitest. Every queue runs this one suite against its real engine.
 *
 * @example
 * ```ts
 * import { describeQueueContract } from '@hookguard/core/testing/contracts';
 *
 * describeQueueContract('BullMQQueue', {
 *   setup: () => {
 *     const name = `contract-${Date.now()}`;
 *     return { open: () => new BullMQQueue({ connection: client, name }) };
 *   },
 * });
 * ```
 */
export function describeQueueContract(name: string, options: QueueContractOptions): void {
  const slack = options.delaySlackMs ?? 5_000;
  const run = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  let harness: QueueHarness;
  let opened: WebhookQueue[] = [];
  let workers: QueueWorker[] = [];

  const open = async (): Promise<WebhookQueue> => {
    const queue = await harness.open();
    opened.push(queue);
    return queue;
  };
  const work = async (queue: WebhookQueue, processor: JobProcessor, concurrency = 1, retry: RetryPolicy = FAST): Promise<QueueWorker> => {
    const worker = await queue.work(processor, { concurrency, retry });
    workers.push(worker);
    return worker;
  };
  const event = (label: string, payload: unknown = { label, text: 'héllo ✓ 日本 🎉', nested: { list: [1, 'two', null, true] } }): QueuedEvent => {
    const id = `evt_${run}_${++sequence}_${label}`;
    return {
      key: `contract:${id}`,
      namespace: 'contract',
      id,
      type: 'issues.opened',
      alias: 'issues',
      payload,
      timestamp: 1_700_000_000_000,
      headers: { 'content-type': 'application/json', 'x-github-event': 'issues', 'x-note': 'ünïcødé' },
      acceptedAt: Date.now(),
      trace: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
    };
  };
  /** A processor that records runs and behaves as `behave` says for each run. */
  const recorder = (behave: (run: Run, context: JobContext) => Promise<void> | void = () => undefined) => {
    const runs: Run[] = [];
    const processor: JobProcessor = async (queued, context) => {
      const entry: Run = { key: queued.key, event: queued, attempt: context.attempt, startedAt: Date.now(), signal: context.signal };
      runs.push(entry);
      try {
        await behave(entry, context);
      } finally {
        entry.endedAt = Date.now();
      }
    };
    const of = (key: string): Run[] => runs.filter((entry) => entry.key === key);
    const finished = (key: string, count = 1): Promise<void> =>
      until(`${key} finished ${count} run(s)`, () => of(key).filter((entry) => entry.endedAt !== undefined).length >= count);
    return { runs, processor, of, finished };
  };
  const state = async (queue: WebhookQueue, key: string): Promise<string | undefined> => (await queue.find(key))?.state;
  const reaches = (queue: WebhookQueue, key: string, wanted: string): Promise<void> =>
    until(`${key} is ${wanted}`, async () => (await state(queue, key)) === wanted);
  /** With one FIFO worker, everything enqueued before `last` ran once `last` has run. */
  const drain = async (queue: WebhookQueue, rec: ReturnType<typeof recorder>): Promise<void> => {
    const last = event('drain');
    await queue.enqueue(last);
    await rec.finished(last.key);
  };
  const gate = () => {
    let open!: () => void;
    const opened = new Promise<void>((resolve) => (open = resolve));
    return { open, opened };
  };

  describe(`${name} satisfies the queue contract`, () => {
    beforeEach(async () => {
      opened = [];
      workers = [];
      harness = await options.setup();
    });
    afterEach(async () => {
      await Promise.all(workers.map((worker) => worker.close({ graceMs: 0 })));
      await Promise.all(opened.map((queue) => queue.close?.()));
      await harness?.teardown?.();
    });

    it('describes itself', async () => {
      const queue = await open();
      expect(typeof queue.name).toBe('string');
      expect(queue.name.length).toBeGreaterThan(0);
    });

    it('delivers the enqueued event as it was, as JSON, with attempt 1', async () => {
      const queue = await open();
      const sent = event('deliver', { text: 'héllo ✓ 日本 🎉 \u2028 "quoted" \\ back', nul: 'a\u0000b', lone: '\ud800', emoji: '👩‍👩‍👧', n: 1.5, big: 'x'.repeat(10_000), empty: {}, nil: null });
      await queue.enqueue(sent);
      const rec = recorder();
      await work(queue, rec.processor);
      await rec.finished(sent.key);
      const [only] = rec.of(sent.key);
      expect(only?.event).toEqual(JSON.parse(JSON.stringify(sent)));
      expect(only?.attempt).toBe(1);
      await reaches(queue, sent.key, 'completed');
      const stored = await queue.find(sent.key);
      expect(stored).toMatchObject({ state: 'completed', attempts: 1 });
      expect(stored?.event).toEqual(JSON.parse(JSON.stringify(sent)));
    });

    it('handles dedup keys with colons, percent signs, spaces, digits only and unicode', async () => {
      const queue = await open();
      const rec = recorder();
      const sent = ['a:b:c', '100%:x', 'with space', '12345', 'ünïcødé-✓-日本'].map((key) => ({ ...event('odd'), key }));
      for (const one of sent) await queue.enqueue(one);
      await work(queue, rec.processor);
      for (const one of sent) await rec.finished(one.key);
      for (const one of sent) {
        expect(rec.of(one.key)).toHaveLength(1);
        await reaches(queue, one.key, 'completed');
        expect((await queue.find(one.key))?.event.key).toBe(one.key);
      }
    });

    it('reports waiting for an enqueued job and undefined for an unknown key', async () => {
      const queue = await open();
      const sent = event('find');
      await queue.enqueue(sent);
      expect(await queue.find(sent.key)).toMatchObject({ state: 'waiting', attempts: 0, lastError: undefined });
      expect(await queue.find(event('unknown').key)).toBeUndefined();
    });

    it('adds nothing for a second enqueue of a waiting key', async () => {
      const queue = await open();
      const first = event('dup-waiting');
      await queue.enqueue(first);
      await queue.enqueue({ ...first, payload: { second: true } });
      const rec = recorder();
      await work(queue, rec.processor);
      await drain(queue, rec);
      expect(rec.of(first.key)).toHaveLength(1);
      expect(rec.of(first.key)[0]?.event.payload).toEqual(first.payload);
    });

    it('adds nothing for a second enqueue of an active key', async () => {
      const queue = await open();
      const first = event('dup-active');
      const release = gate();
      const rec = recorder((entry) => (entry.key === first.key ? release.opened : undefined));
      await queue.enqueue(first);
      await work(queue, rec.processor);
      await until('the job runs', () => rec.of(first.key).length === 1);
      expect(await state(queue, first.key)).toBe('active');
      await queue.enqueue({ ...first, payload: { second: true } });
      release.open();
      await rec.finished(first.key);
      await drain(queue, rec);
      expect(rec.of(first.key)).toHaveLength(1);
    });

    it('adds nothing for a second enqueue of a completed key', async () => {
      const queue = await open();
      const first = event('dup-completed');
      const rec = recorder();
      await queue.enqueue(first);
      await work(queue, rec.processor);
      await reaches(queue, first.key, 'completed');
      await queue.enqueue(first);
      await drain(queue, rec);
      expect(rec.of(first.key)).toHaveLength(1);
      expect(await state(queue, first.key)).toBe('completed');
    });

    it('adds nothing for a second enqueue of a dead key', async () => {
      const queue = await open();
      const first = event('dup-dead');
      const rec = recorder((entry) => {
        if (entry.key === first.key) throw new Error('always fails');
      });
      await queue.enqueue(first);
      await work(queue, rec.processor, 1, { attempts: 1, minDelayMs: 50, maxDelayMs: 400 });
      await reaches(queue, first.key, 'dead');
      await queue.enqueue(first);
      await drain(queue, rec);
      expect(rec.of(first.key)).toHaveLength(1);
      expect(await state(queue, first.key)).toBe('dead');
    });

    it('retries a rejected run after a delay within the policy, counting the attempt', async () => {
      const queue = await open();
      const sent = event('retry');
      const rec = recorder((entry) => {
        if (entry.attempt < 3) throw new Error(`attempt ${entry.attempt} fails`);
      });
      await queue.enqueue(sent);
      await work(queue, rec.processor, 1, { attempts: 5, minDelayMs: 50, maxDelayMs: 400 });
      await reaches(queue, sent.key, 'completed');
      const runs = rec.of(sent.key);
      expect(runs.map((entry) => entry.attempt)).toEqual([1, 2, 3]);
      for (let index = 1; index < runs.length; index++) {
        const gap = runs[index]!.startedAt - runs[index - 1]!.endedAt!;
        // Timers may fire a millisecond early against Date.now(); never a retry sooner than minDelayMs.
        expect(gap).toBeGreaterThanOrEqual(50 - 2);
        expect(gap).toBeLessThanOrEqual(400 + slack);
      }
      expect(await queue.find(sent.key)).toMatchObject({ state: 'completed', attempts: 3, lastError: expect.stringContaining('attempt 2 fails') });
    });

    it('reports a failed job waiting for its retry as delayed, with its last error', async () => {
      const queue = await open();
      const sent = event('delayed');
      const rec = recorder(() => {
        throw new Error('not yet');
      });
      await queue.enqueue(sent);
      await work(queue, rec.processor, 1, { attempts: 3, minDelayMs: 60_000, maxDelayMs: 120_000 });
      await reaches(queue, sent.key, 'delayed');
      expect(await queue.find(sent.key)).toMatchObject({ state: 'delayed', attempts: 1, lastError: expect.stringContaining('not yet') });
      expect(rec.of(sent.key)).toHaveLength(1);
    });

    it('dead-letters a job after `attempts` failures with its event and last error, newest first', async () => {
      const queue = await open();
      const first = event('dead-1');
      const second = event('dead-2');
      const rec = recorder((entry) => {
        throw new Error(`boom ✗ ${entry.attempt}`);
      });
      await queue.enqueue(first);
      await work(queue, rec.processor, 1, FAST);
      await reaches(queue, first.key, 'dead');
      await queue.enqueue(second);
      await reaches(queue, second.key, 'dead');
      expect(rec.of(first.key).map((entry) => entry.attempt)).toEqual([1, 2, 3]);
      const dead = await queue.deadLetters();
      expect(dead.map((job) => job.event.key)).toEqual([second.key, first.key]);
      expect(dead[1]).toMatchObject({ state: 'dead', attempts: 3, lastError: expect.stringContaining('boom ✗ 3') });
      expect(dead[1]?.event).toEqual(JSON.parse(JSON.stringify(first)));
      expect(await queue.deadLetters({ limit: 1 })).toHaveLength(1);
    });

    it('replays a dead job from its stored event, attempts starting over', async () => {
      const queue = await open();
      const sent = event('replay-dead');
      let fixed = false;
      const rec = recorder(() => {
        if (!fixed) throw new Error('poison');
      });
      await queue.enqueue(sent);
      await work(queue, rec.processor, 1, { attempts: 2, minDelayMs: 50, maxDelayMs: 400 });
      await reaches(queue, sent.key, 'dead');
      fixed = true;
      expect(await queue.replay(sent.key)).toBe(true);
      await rec.finished(sent.key, 3);
      await reaches(queue, sent.key, 'completed');
      const runs = rec.of(sent.key);
      expect(runs.map((entry) => entry.attempt)).toEqual([1, 2, 1]);
      expect(runs[2]?.event).toEqual(JSON.parse(JSON.stringify(sent)));
      expect((await queue.deadLetters()).map((job) => job.event.key)).not.toContain(sent.key);
    });

    it('replays a completed job once more and answers false for an unknown key', async () => {
      const queue = await open();
      const sent = event('replay-completed');
      const rec = recorder();
      await queue.enqueue(sent);
      await work(queue, rec.processor);
      await reaches(queue, sent.key, 'completed');
      expect(await queue.replay(sent.key)).toBe(true);
      await rec.finished(sent.key, 2);
      await reaches(queue, sent.key, 'completed');
      expect(rec.of(sent.key).map((entry) => entry.attempt)).toEqual([1, 1]);
      expect(await queue.replay(event('never').key)).toBe(false);
    });

    it('never runs more jobs at once than the concurrency, and reaches it', async () => {
      const queue = await open();
      const concurrency = 3;
      let running = 0;
      let peak = 0;
      const full = gate();
      const rec = recorder(async () => {
        running++;
        peak = Math.max(peak, running);
        if (running === concurrency) full.open();
        await Promise.race([full.opened, new Promise((resolve) => setTimeout(resolve, 5_000))]);
        running--;
      });
      const sent = Array.from({ length: 9 }, (_, index) => event(`concurrency-${index}`));
      for (const one of sent) await queue.enqueue(one);
      await work(queue, rec.processor, concurrency);
      for (const one of sent) await rec.finished(one.key);
      expect(peak).toBe(concurrency);
      expect(rec.runs).toHaveLength(sent.length);
    });

    it('runs each job once across two workers, never one job on both at once', async () => {
      const [a, b] = [await open(), await open()];
      const active = new Set<string>();
      let overlaps = 0;
      const behave = async (entry: Run): Promise<void> => {
        if (active.has(entry.key)) overlaps++;
        active.add(entry.key);
        await new Promise((resolve) => setTimeout(resolve, 5));
        active.delete(entry.key);
      };
      const rec = recorder(behave);
      const sent = Array.from({ length: 40 }, (_, index) => event(`two-workers-${index}`));
      await work(a, rec.processor, 4);
      await work(b, rec.processor, 4);
      await Promise.all(sent.map((one, index) => (index % 2 === 0 ? a : b).enqueue(one)));
      for (const one of sent) await rec.finished(one.key);
      expect(overlaps).toBe(0);
      for (const one of sent) expect(rec.of(one.key)).toHaveLength(1);
    });

    it('closes a worker only after its running job finished', async () => {
      const queue = await open();
      const sent = event('close-waits');
      const release = gate();
      const order: string[] = [];
      const rec = recorder(async () => {
        await release.opened;
        order.push('job done');
      });
      await queue.enqueue(sent);
      const worker = await work(queue, rec.processor);
      await until('the job runs', () => rec.of(sent.key).length === 1);
      const closing = worker.close().then(() => order.push('closed'));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(order).toEqual([]);
      release.open();
      await closing;
      expect(order).toEqual(['job done', 'closed']);
      expect(rec.of(sent.key)[0]?.signal.aborted).toBe(false);
      expect(await state(queue, sent.key)).toBe('completed');
    });

    it('aborts the signal after the grace period on close, and another worker runs the job again, even on its last attempt', async () => {
      // attempts: 1 — a run given up by a closing worker is neither a failure nor a loss to dead-letter.
      const once: RetryPolicy = { attempts: 1, minDelayMs: 50, maxDelayMs: 400 };
      const first = await open();
      const sent = event('close-grace');
      const rec = recorder(
        (entry, context) =>
          new Promise<void>((resolve, reject) => {
            if (entry.attempt > 1) return resolve();
            context.signal.addEventListener('abort', () => reject(new Error('aborted by close')), { once: true });
          }),
      );
      await first.enqueue(sent);
      const worker = await work(first, rec.processor, 1, once);
      await until('the job runs', () => rec.of(sent.key).length === 1);
      await worker.close({ graceMs: 20 });
      expect(rec.of(sent.key)[0]?.signal.aborted).toBe(true);
      const second = await open();
      await work(second, rec.processor, 1, once);
      await rec.finished(sent.key, 2);
      await reaches(second, sent.key, 'completed');
      expect(rec.of(sent.key)[1]?.attempt).toBeGreaterThan(1);
      expect(rec.of(sent.key)[1]?.event).toEqual(JSON.parse(JSON.stringify(sent)));
    });

    if (options.transactions ?? false) it('joins a transaction: a rolled-back enqueue leaves no job, a committed one does', async () => {
      if (!harness.begin) throw new Error('the harness needs begin() when transactions is true');
      const queue = await open();
      const rolledBack = event('tx-rollback');
      const tx1 = await harness.begin();
      await queue.enqueue(rolledBack, { transaction: tx1.transaction });
      await tx1.rollback();
      expect(await queue.find(rolledBack.key)).toBeUndefined();

      const committed = event('tx-commit');
      const tx2 = await harness.begin();
      await queue.enqueue(committed, { transaction: tx2.transaction });
      expect(await queue.find(committed.key)).toBeUndefined();
      await tx2.commit();
      expect(await state(queue, committed.key)).toBe('waiting');
      const rec = recorder();
      await work(queue, rec.processor);
      await rec.finished(committed.key);
      await drain(queue, rec);
      expect(rec.of(rolledBack.key)).toHaveLength(0);
      expect(rec.of(committed.key)[0]?.event).toEqual(JSON.parse(JSON.stringify(committed)));
    });
  });
}
