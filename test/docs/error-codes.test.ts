import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_STATUS } from '@hookguard/core';
import { describe, expect, it } from 'vitest';

// docs/errors.md is where users look a code up: every error and warning code the packages can
// produce has its row there, with the status the receiver answers, and no row names a code that
// no longer exists.
const root = new URL('../..', import.meta.url).pathname;
const doc = readFileSync(join(root, 'docs', 'errors.md'), 'utf8');

/** The cells of the table rows that start with a code: `| `CODE` | … |`. */
function rows(prefix: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const line of doc.split('\n')) {
    const match = new RegExp(`^\\| \`(${prefix}[A-Z0-9_]+)\` \\|(.*)\\|$`).exec(line);
    if (match) found.set(match[1]!, match[2]!.split(' | ').map((cell) => cell.trim()));
  }
  return found;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === 'node_modules' || entry.name === 'dist') return [];
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.ts$/.test(entry.name) && !/\.(test|test-d|fixtures|bench)\.ts$/.test(entry.name) ? [path] : [];
  });
}

const warningCodes = new Set(
  readdirSync(join(root, 'packages'))
    .flatMap((dir) => sourceFiles(join(root, 'packages', dir, 'src')))
    .flatMap((file) => readFileSync(file, 'utf8').match(/\bWARN_HOOKGUARD_[A-Z0-9_]+/g) ?? []),
);

describe('docs/errors.md', () => {
  const errors = rows('ERR_HOOKGUARD_');
  const warnings = rows('WARN_HOOKGUARD_');

  it.each(Object.entries(ERROR_STATUS))('has a row for %s, with its status', (code, status) => {
    const cells = errors.get(code);
    expect(cells, `add a row | \`${code}\` | ${status} | when | what to do | to docs/errors.md`).toBeDefined();
    expect(cells, `${code}: after the code, a row has three cells (status, when, what to do)`).toHaveLength(3);
    const statusCell = cells![0]!;
    if (/^\d/.test(statusCell)) expect(Number.parseInt(statusCell, 10)).toBe(status);
  });

  it('names no error code that does not exist', () => {
    expect([...errors.keys()].filter((code) => !(code in ERROR_STATUS))).toEqual([]);
  });

  it.each([...warningCodes].sort())('has a row for %s', (code) => {
    expect(warnings.get(code), `add a row | \`${code}\` | when | to the warnings table of docs/errors.md`).toHaveLength(1);
  });

  it('names no warning code the packages do not use', () => {
    expect(warningCodes.size).toBeGreaterThan(0);
    expect([...warnings.keys()].filter((code) => !warningCodes.has(code))).toEqual([]);
  });
});
