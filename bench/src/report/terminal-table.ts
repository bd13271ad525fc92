import { goalText, type Figure, type Skipped } from './figures.js';
import { formatRatio, formatValue } from './number-format.js';

const HEADERS = ['figure', 'ratio', 'goal', 'result', 'numerator (median)', 'denominator (median)', 'min', 'max', 'runs'];

/** Rows of the results table, one per figure, as strings. */
export function tableRows(figures: readonly Figure[]): string[][] {
  return figures.map((figure) => [
    `${figure.key}  ${figure.title}`,
    formatRatio(figure.ratio.median),
    goalText(figure.goal),
    figure.status === 'info' ? 'info' : figure.status === 'pass' ? 'pass' : 'MISS',
    formatValue(figure.numerator.median, figure.numerator.unit),
    formatValue(figure.denominator.median, figure.denominator.unit),
    formatRatio(figure.ratio.min),
    formatRatio(figure.ratio.max),
    String(figure.ratio.runs.length),
  ]);
}

/** The results as an aligned plain-text table, then notes and skipped benchmarks. */
export function terminalTable(figures: readonly Figure[], skipped: readonly Skipped[]): string {
  const rows = [HEADERS, ...tableRows(figures)];
  const widths = HEADERS.map((_, column) => Math.max(...rows.map((row) => [...row[column]!].length)));
  const line = (row: string[]): string =>
    row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
  const out = [line(HEADERS), widths.map((width) => '─'.repeat(width)).join('  '), ...rows.slice(1).map(line)];
  const noted = figures.filter((figure) => figure.notes.length > 0);
  if (noted.length > 0) {
    out.push('', 'Notes:');
    for (const figure of noted) for (const note of figure.notes) out.push(`  ${figure.key}: ${note}`);
  }
  if (skipped.length > 0) {
    out.push('', 'Skipped:');
    for (const skip of skipped) out.push(`  ${skip.id}: ${skip.reason}`);
  }
  return out.join('\n');
}
