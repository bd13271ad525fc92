import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isWebhookError } from '@hookguard/core';
import { describe, expect, it } from 'vitest';
import { BloomStore, type BloomStoreOptions } from './bloom-store.js';

// docs/stores/bloom.md named the wrong error code for load() and a file the repository does not
// hold (issue 14, item 18): what it says is checked against what the code does.
const root = new URL('../../..', import.meta.url).pathname;
const page = join(root, 'docs', 'stores', 'bloom.md');
const text = readFileSync(page, 'utf8');
const options: BloomStoreOptions = { expectedItems: 1000, falsePositiveRate: 1e-9, retentionMs: 60_000 };

function section(title: string): string {
  const start = text.indexOf(`\n## ${title}\n`);
  expect(start, `docs/stores/bloom.md has a "## ${title}" section`).toBeGreaterThan(-1);
  const end = text.indexOf('\n## ', start + 1);
  return text.slice(start, end === -1 ? undefined : end);
}

describe('docs/stores/bloom.md', () => {
  it('names the error code BloomStore.load really throws, and no other', () => {
    const good = new BloomStore(options).save();
    const altered = good.slice();
    altered[60] = altered[60]! ^ 1;
    const codes = new Set<string>();
    for (const [bytes, loadOptions] of [
      [altered, options],
      [good.slice(0, 40), options],
      [good, { ...options, expectedItems: 2000 }],
    ] as const) {
      try {
        BloomStore.load(bytes, loadOptions);
      } catch (error) {
        if (isWebhookError(error)) codes.add(error.code);
      }
    }
    expect([...codes]).toEqual(['ERR_HOOKGUARD_INVALID_SNAPSHOT']);
    const snapshots = section('Snapshots');
    expect(new Set(snapshots.match(/ERR_HOOKGUARD_[A-Z_]+/g))).toEqual(codes);
  });

  it('links and names only files that exist', () => {
    const links = [...text.matchAll(/\]\(([^)#]+)(?:#[^)]*)?\)/g)].map((match) => match[1]!).filter((link) => !/^[a-z]+:/.test(link));
    for (const link of links) expect(existsSync(join(dirname(page), link)), link).toBe(true);
    const named = [...text.matchAll(/`((?:[\w.-]+\/)*[\w.-]+\.(?:ts|md))`|\(([A-Z]+\.md)[,)]/g)].map((match) => match[1] ?? match[2]!);
    for (const file of named) {
      const candidates = [join(root, file), join(root, 'packages', 'bloom', file), join(dirname(page), file)];
      expect(candidates.some((candidate) => existsSync(candidate)), file).toBe(true);
    }
  });
});
