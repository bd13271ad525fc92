import type { Framework } from '../http/server-config.js';
import type { Figure, Skipped } from '../report/figures.js';

/** What every benchmark receives. */
export type BenchContext = {
  /** Fewer and shorter rounds: the whole suite in under a minute. */
  quick: boolean;
  /** Progress lines (stderr). */
  log: (line: string) => void;
  /** When set, HTTP servers write V8 CPU profiles here. */
  profileDirectory: string | undefined;
  /** The frameworks of the HTTP rounds (all by default). */
  frameworks: readonly Framework[];
  /** The adapters measured on bare node:http (`@hookguard/node`, `@hookguard/web`; both by default). */
  adapters: readonly ('node' | 'web')[];
  /** Seconds per HTTP round. */
  httpDurationSeconds: number;
  /** Interleaved HTTP rounds per variant (each figure is the median of their ratios). */
  httpRounds: number;
  /** Extra Node options for the HTTP server processes. */
  serverNodeOptions: readonly string[];
  /** Adds rounds that only explain other figures (B1's receiver without the adapter). */
  diagnose: boolean;
};

/** What a benchmark reports. */
export type BenchOutcome = {
  figures: Figure[];
  skipped: Skipped[];
  /** Tables that do not fit the ratio format, kept in the results file. */
  extras?: Record<string, unknown>;
};

/** The benchmark ids, B1 … B8. */
export const BENCHMARK_IDS = ['B1', 'B2', 'B3', 'B4', 'B5', 'B6', 'B7', 'B8'] as const;
export type BenchmarkId = (typeof BENCHMARK_IDS)[number];
