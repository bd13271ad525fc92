/** A measured quantity over several rounds: the median counts, min and max show the spread. */
export type Series = {
  /** What was measured, e.g. `Fastify + hookguard`. */
  label: string;
  /** `req/s`, `µs/op`, `B/id`, … */
  unit: string;
  median: number;
  min: number;
  max: number;
  /** Every round's value, in the order measured. */
  runs: number[];
};

/** The median of `values` (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Summarises rounds into a {@link Series}. */
export function series(label: string, unit: string, runs: readonly number[]): Series {
  return {
    label,
    unit,
    median: median(runs),
    min: runs.length === 0 ? Number.NaN : Math.min(...runs),
    max: runs.length === 0 ? Number.NaN : Math.max(...runs),
    runs: [...runs],
  };
}

/**
 * Per-round ratios of two series measured side by side (round i of `numerator` ran next to round
 * i of `denominator`), so drift of the machine between rounds cancels out of each ratio.
 */
export function pairedRatios(numerator: readonly number[], denominator: readonly number[]): number[] {
  const count = Math.min(numerator.length, denominator.length);
  return Array.from({ length: count }, (_, index) => numerator[index]! / denominator[index]!);
}
