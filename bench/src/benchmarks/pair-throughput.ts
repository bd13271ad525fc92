/** One claim+complete (or its raw equivalent) of a new key. */
export type Pair = (key: string) => Promise<void>;

/**
 * Pairs per second for `total` new keys driven by `concurrency` loops, each awaiting its pair
 * before the next, like that many requests in flight.
 */
export async function pairThroughput(pair: Pair, keys: readonly string[], concurrency: number): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < keys.length) await pair(keys[next++]!);
    }),
  );
  return keys.length / ((performance.now() - started) / 1000);
}

/** Options for {@link interleavedPairs}. */
export type InterleavedPairsOptions = {
  rounds: number;
  pairsPerRound: number;
  concurrency: number;
  /** A fresh key for every pair ever run, so every claim is of a new event. */
  nextKey: () => string;
  log: (line: string) => void;
  label: string;
  /**
   * Run before every timed run of every side, outside its timing: brings the server to the same
   * state for each (B5 deletes its keys; B6 truncates its tables and checkpoints), so that a side
   * is not charged for the keys, dead rows and maintenance the others' writes left.
   */
  beforeRun?: () => Promise<void>;
};

/**
 * Runs each side in interleaved rounds after a short warm-up, the order rotating per round, and
 * resolves with pairs per second per round for every side.
 */
export async function interleavedPairs(sides: Record<string, Pair>, options: InterleavedPairsOptions): Promise<Map<string, number[]>> {
  const names = Object.keys(sides);
  const results = new Map<string, number[]>(names.map((name) => [name, []]));
  const keys = (count: number): string[] => Array.from({ length: count }, options.nextKey);
  for (const name of names) await pairThroughput(sides[name]!, keys(Math.ceil(options.pairsPerRound / 4)), options.concurrency);
  for (let round = 0; round < options.rounds; round++) {
    for (let offset = 0; offset < names.length; offset++) {
      const name = names[(round + offset) % names.length]!;
      await options.beforeRun?.();
      results.get(name)!.push(await pairThroughput(sides[name]!, keys(options.pairsPerRound), options.concurrency));
    }
    options.log(`    ${options.label} round ${round + 1}/${options.rounds}: ${names.map((name) => `${name} ${Math.round(results.get(name)!.at(-1)!)}/s`).join(', ')}`);
  }
  return results;
}
