import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Figure, Skipped } from './figures.js';
import type { MachineInfo } from './machine-info.js';

/** Everything one run measured, as written to bench/results/. */
export type ResultsFile = {
  startedAt: string;
  finishedAt: string;
  command: string;
  mode: 'full' | 'quick';
  machine: MachineInfo;
  loadAverageAtEnd: number;
  figures: Figure[];
  skipped: Skipped[];
  /** Figures of benchmarks that report more than ratios (the Bloom tables). */
  extras: Record<string, unknown>;
};

const RESULTS_DIRECTORY = fileURLToPath(new URL('../../results/', import.meta.url));

/** Writes the run to `bench/results/<timestamp>.json` and `latest.json`; resolves with the first path. */
export async function writeResults(results: ResultsFile): Promise<string> {
  await mkdir(RESULTS_DIRECTORY, { recursive: true });
  const name = `${results.startedAt.replaceAll(':', '-').replace(/\.\d+Z$/, 'Z')}-${results.mode}.json`;
  const text = `${JSON.stringify(results, null, 2)}\n`;
  const path = `${RESULTS_DIRECTORY}${name}`;
  await writeFile(path, text);
  await writeFile(`${RESULTS_DIRECTORY}latest.json`, text);
  return path;
}
