import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { root, workspacePackages } from './workspace-packages.js';

// What a user gets from the registry: each package packed by pnpm (as `pnpm publish` would pack
// it), unpacked, and read as a user or the registry's page would read it.
const repository = 'https://github.com/hookguard/hookguard';
const packages = workspacePackages();
let scratch: string;

function unpacked(dir: string): string {
  return join(scratch, 'unpacked', dir, 'package');
}

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'hookguard-pack-'));
  const pnpmVersion = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { packageManager: string }).packageManager.split('@')[1];
  const pack = spawnSync('npx', ['--yes', `pnpm@${pnpmVersion}`, '-r', '--filter', './packages/*', 'pack', '--pack-destination', scratch], { cwd: root, encoding: 'utf8' });
  expect(pack.status, pack.stderr).toBe(0);
  for (const { dir, manifest } of packages) {
    const tarball = join(scratch, `${manifest.name.replace('@', '').replace('/', '-')}-${String(manifest['version'])}.tgz`);
    mkdirSync(join(scratch, 'unpacked', dir), { recursive: true });
    const untar = spawnSync('tar', ['-xzf', tarball, '-C', join(scratch, 'unpacked', dir)], { encoding: 'utf8' });
    expect(untar.status, untar.stderr).toBe(0);
  }
}, 120_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe.each(packages)('the packed $manifest.name', ({ dir }) => {
  it('ships the MIT LICENSE', () => {
    const license = readFileSync(join(unpacked(dir), 'LICENSE'), 'utf8');
    expect(license).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} hookguard contributors\n/);
    expect(license).toContain('Permission is hereby granted, free of charge');
  });

  it('says where it comes from, where to report bugs, its license and the Node versions it needs', () => {
    const manifest = JSON.parse(readFileSync(join(unpacked(dir), 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest['license']).toBe('MIT');
    expect(manifest['repository']).toEqual({ type: 'git', url: `git+${repository}.git`, directory: `packages/${dir}` });
    expect(manifest['homepage']).toBe(`${repository}/tree/main/packages/${dir}#readme`);
    expect(manifest['bugs']).toBe(`${repository}/issues`);
    // 20.19 is the first 20.x where require() of an ES module works without a flag.
    expect(manifest['engines']).toEqual({ node: '>=20.19' });
    expect(manifest['type']).toBe('module');
    expect(manifest['files']).toContain('LICENSE');
    expect(JSON.stringify(manifest)).not.toContain('workspace:');
  });

  it('has a README whose links work on the registry page and which says it is ESM only', () => {
    const readmePath = join(unpacked(dir), 'README.md');
    expect(existsSync(readmePath), `packages/${dir}/README.md is missing`).toBe(true);
    const readme = readFileSync(readmePath, 'utf8');
    const targets = [...readme.matchAll(/\]\(([^)\s]+)[^)]*\)/g), ...readme.matchAll(/^\[[^\]]+\]:\s*(\S+)/gm)].map((match) => match[1] ?? '');
    const relative = targets.filter((target) => !/^(https:\/\/|#)/.test(target));
    expect(relative, 'relative links are dead on the registry page: use https://github.com/hookguard/hookguard/blob/main/…').toEqual([]);
    // ESM only, and since when require() loads it (require(esm) is on by default from 20.19 and 22.12).
    const prose = readme.replace(/\s+/g, ' ');
    expect(prose).toMatch(/ESM only/);
    expect(prose).toMatch(/`require\(\)` works as well on Node 20\.19\+ \(20\.x\) and 22\.12\+/);
  });
});

describe('the repository', () => {
  it('has the MIT LICENSE at its root', () => {
    expect(readdirSync(root)).toContain('LICENSE');
    expect(readFileSync(join(root, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} hookguard contributors\n/);
  });
});
