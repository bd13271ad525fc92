import type { Figure, Skipped } from './figures.js';
import { tableRows } from './terminal-table.js';

/** The results table in Markdown, for BENCHMARKS.md. */
export function markdownTable(figures: readonly Figure[], skipped: readonly Skipped[]): string {
  const out = [
    '| figure | ratio | goal | result | numerator (median) | denominator (median) | min | max | runs |',
    '|---|---:|---:|---|---:|---:|---:|---:|---:|',
  ];
  for (const row of tableRows(figures)) out.push(`| ${row.map((cell) => cell.replaceAll('|', '\\|')).join(' | ')} |`);
  for (const skip of skipped) out.push(`| ${skip.id} | – | – | skipped: ${skip.reason.replaceAll('|', '\\|')} | | | | | |`);
  return out.join('\n');
}
