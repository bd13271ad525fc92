/**
 * Compares two result files of `npm run bench` figure by figure (matched by key): each ratio
 * before and after, and its change. Absolute numbers differ between machines; ratios travel.
 *
 *   node_modules/.bin/tsx bench/src/compare-results.ts bench/results/<older>.json [bench/results/latest.json]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { goalText } from './report/figures.js';
import { formatRatio } from './report/number-format.js';
import type { ResultsFile } from './report/results-file.js';

const [olderPath, newerPath = fileURLToPath(new URL('../results/latest.json', import.meta.url))] = process.argv.slice(2);
if (olderPath === undefined) {
  console.error('usage: compare-results.ts <older.json> [newer.json]');
  process.exit(1);
}
const read = (path: string): ResultsFile => JSON.parse(readFileSync(path, 'utf8')) as ResultsFile;
const older = read(olderPath);
const newer = read(newerPath);
const before = new Map(older.figures.map((figure) => [figure.key, figure]));
console.log(`${olderPath} (${older.startedAt}, ${older.mode}, load ${older.machine.loadAverageAtStart})`);
console.log(`→ ${newerPath} (${newer.startedAt}, ${newer.mode}, load ${newer.machine.loadAverageAtStart})\n`);
const rows = [['figure', 'goal', 'before', 'after', 'change', 'result']];
for (const figure of newer.figures) {
  const previous = before.get(figure.key);
  before.delete(figure.key);
  const change = previous === undefined ? '' : `${(((figure.ratio.median - previous.ratio.median) / previous.ratio.median) * 100).toFixed(1)} %`;
  rows.push([figure.key, goalText(figure.goal), previous === undefined ? '–' : formatRatio(previous.ratio.median), formatRatio(figure.ratio.median), change, figure.status]);
}
for (const figure of before.values()) rows.push([figure.key, goalText(figure.goal), formatRatio(figure.ratio.median), '–', '', 'not run']);
const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
for (const row of rows) console.log(row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  '));
