import { Bench } from 'tinybench';

/** One contender of a micro-benchmark: a call to time. */
export type MicroTask = { name: string; run: () => unknown };

/** Options for {@link interleavedBench}. */
export type InterleavedBenchOptions = {
  rounds: number;
  /** Time budget per task per round, in milliseconds. */
  timeMs: number;
  /** Calls per sample: timing a batch keeps the timer's own cost out of microsecond figures. */
  batch: number;
  /**
   * Time per task of an unrecorded first round. Pure-JS contenders (a JavaScript SHA-256) reach
   * their optimised speed only after about a thousand calls; a server runs warm, so should they.
   */
  warmupMs: number;
  log?: (line: string) => void;
};

/**
 * Times each task with tinybench in `rounds` interleaved rounds (every task once per round, the
 * order rotating) after an unrecorded warm-up round, each sample a batch of awaited calls. Resolves with the microseconds per call
 * of every round, per task: the median sample of that round divided by the batch size.
 */
export async function interleavedBench(tasks: readonly MicroTask[], options: InterleavedBenchOptions): Promise<Map<string, number[]>> {
  const perCall = new Map<string, number[]>(tasks.map((task) => [task.name, []]));
  const { batch } = options;
  for (let round = -1; round < options.rounds; round++) {
    const time = round < 0 ? options.warmupMs : options.timeMs;
    const bench = new Bench({ time, warmupTime: Math.min(100, time), iterations: 8, throws: true });
    for (let offset = 0; offset < tasks.length; offset++) {
      const task = tasks[(Math.max(0, round) + offset) % tasks.length]!;
      const run = task.run;
      // Every contender goes through the same awaited loop, sync or async.
      bench.add(task.name, async () => {
        for (let index = 0; index < batch; index++) await run();
      });
    }
    await bench.run();
    if (round < 0) continue;
    for (const task of bench.tasks) {
      const result = task.result;
      if (result.state !== 'completed') throw new Error(`micro-benchmark task ${task.name} ended ${result.state}`);
      perCall.get(task.name)!.push((result.latency.p50 * 1000) / batch);
    }
    options.log?.(`    round ${round + 1}/${options.rounds}: ${[...perCall].map(([name, runs]) => `${name} ${runs.at(-1)!.toFixed(2)} µs`).join(', ')}`);
  }
  return perCall;
}
