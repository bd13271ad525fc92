/**
 * valgrind's arguments for running a TypeScript script under callgrind, shared by the diagnostics
 * that count instructions (instruction-counts.ts, store-pair-costs.ts --instructions). V8 runs
 * with:
 *
 * - `--single-threaded`: compilation and collection on the main thread, counted with the rest;
 * - `--predictable-gc-schedule`: fixed young-generation size and heap growth, no memory reducer;
 * - `--no-incremental-marking`: V8 paces incremental marking by the time it has taken, and under
 *   valgrind that time depends on the machine's load, so a full collection fell inside the
 *   counted work on a busy machine and not on an idle one (GitHub deliveries through
 *   `@hookguard/node`: 162,850 instructions per request idle, 181,248 and 186,930 with both cores
 *   busy; with the flag, 169,421 idle and 168,122 busy). Counts taken before 2026-12-04 14:40 UTC
 *   were taken without it and are not comparable with later ones (BENCHMARKS.md);
 * - `--initial-old-space-size=512`: no full collection in a count at all. Without it the first one
 *   fell inside the counted requests in some runs of a server and not in others (why was not
 *   established), and with `--no-incremental-marking` it deoptimizes the optimized code whose
 *   embedded objects died, which is then compiled again: 50,000–76,000 instructions per request
 *   more in a count that held it (Fastify's minimal route: 176,187 and 176,918 in two counts,
 *   236,847 and 252,226 in two others). What remembered ids cost the collector is measured apart (B8,
 *   memory-steady-state.ts). Counts taken before 2026-12-05 07:30 UTC were taken without it;
 * - `--hash-seed=1 --random-seed=1`: the same string hashes (so the same collisions in every hash
 *   table) and the same random choices in each count. Four counts of GitHub deliveries through
 *   `@hookguard/node` taken together: 165,077 and 165,407 instructions per request with them,
 *   166,137 and 168,282 without (BENCHMARKS.md, "The fingerprint on every framework"). Counts
 *   taken before 2026-12-05 09:35 UTC were taken without them.
 *
 * @example
 * ```ts
 * spawn('valgrind', callgrindArgs('/dev/null', fileURLToPath(import.meta.url), ['--side', 'raw']));
 * ```
 */
export function callgrindArgs(outFile: string, script: string, scriptArgs: readonly string[]): string[] {
  return [
    '--tool=callgrind',
    `--callgrind-out-file=${outFile}`,
    process.execPath,
    '--single-threaded',
    '--predictable-gc-schedule',
    '--no-incremental-marking',
    '--initial-old-space-size=512',
    '--hash-seed=1',
    '--random-seed=1',
    '--import',
    'tsx',
    script,
    ...scriptArgs,
  ];
}

/** The instructions callgrind reports it collected, from its standard error; `undefined` when absent. */
export function collectedInstructions(stderr: string): number | undefined {
  const collected = /Collected : (\d+)/.exec(stderr);
  return collected === null ? undefined : Number(collected[1]);
}
