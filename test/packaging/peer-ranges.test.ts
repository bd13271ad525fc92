import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root, workspacePackages } from './workspace-packages.js';

// A peer range promises that every version in it works. Its lower bound is the version users are
// most likely to have and the one most likely to break (hono 4.0-4.1, ioredis before 5.3 broke),
// so each alternative of every peer range must start at a version this package's own tests run
// with: one installed as a devDependency (directly or as an `npm:` alias) in its node_modules.

/** The lowest version an alternative admits (`^1.2.3`, `~1.2.3`, `>=1.2.3 <2`, `1.2.3`). */
function lowerBound(alternative: string): string {
  const match = /^(?:\^|~|>=)?\s*(\d+)\.(\d+)\.(\d+)(?:\s+<\s*\d+(?:\.\d+){0,2})?$/.exec(alternative.trim());
  if (!match) throw new Error(`unsupported range form ${JSON.stringify(alternative)}: write ^x.y.z, ~x.y.z, >=x.y.z <n or x.y.z`);
  return `${match[1]}.${match[2]}.${match[3]}`;
}

/** Versions of `name` installed for this package's tests, under their own name or an alias. */
function testedVersions(dir: string, name: string, devDependencies: Record<string, string>): string[] {
  return Object.entries(devDependencies)
    .filter(([alias, spec]) => alias === name || spec.startsWith(`npm:${name}@`))
    .map(([alias]) => (JSON.parse(readFileSync(join(root, 'packages', dir, 'node_modules', alias, 'package.json'), 'utf8')) as { version: string }).version);
}

describe('peer dependency ranges', () => {
  it('parses the range forms the packages use', () => {
    expect(lowerBound('^4.22.3')).toBe('4.22.3');
    expect(lowerBound('>=8.21.0 <9')).toBe('8.21.0');
    expect(() => lowerBound('^4')).toThrow(/unsupported range form/);
    expect(() => lowerBound('*')).toThrow(/unsupported range form/);
  });

  const peers = workspacePackages().flatMap(({ dir, manifest }) =>
    Object.entries(manifest.peerDependencies ?? {}).map(([name, range]) => ({ dir, name, range, devDependencies: manifest.devDependencies ?? {} })),
  );

  it('exist (the packages declare peers)', () => {
    expect(peers.length).toBeGreaterThan(0);
  });

  it.each(peers)('$dir: every alternative of $name "$range" starts at a version its tests run with', ({ dir, name, range, devDependencies }) => {
    const tested = testedVersions(dir, name, devDependencies);
    for (const alternative of range.split('||')) {
      expect(tested, `packages/${dir}: ${name} ${alternative.trim()} starts at ${lowerBound(alternative)}, but its tests run with ${tested.join(', ') || 'no installed version'}`).toContain(lowerBound(alternative));
    }
  });
});
