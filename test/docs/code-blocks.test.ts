import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeBlocks, documentedFiles, importedPackages, workspaceSourcePaths, type CodeBlock } from './code-blocks.js';

// Every ```ts block of the READMEs and docs/ is type-checked as its own module under the strict
// workspace config, all in one tsc program (fast). @hookguard/* resolve to the sources their export
// maps name under the @hookguard/source condition. Each block's file is written where the packages it
// imports are installed (a package README's own node_modules first, then the test package's, then
// any workspace package's), under node_modules/.cache, which git ignores. A block that takes names
// for granted declares them in a `<!-- ts-preamble … -->` comment before it.

const root = new URL('../..', import.meta.url).pathname;

// A block that must fail, at a known line, so the check is shown to report what it should.
const probe = codeBlocks(
  'test/docs/(probe).md',
  ['# probe', '', '<!-- ts-preamble', 'declare function greet(name: string): string;', '-->', '```ts', "greet('a');", "const wrong: number = greet('b');", '```', ''].join('\n'),
);

type Failure = { file: string; line: number; message: string };

const files = documentedFiles(root);
const blocks: CodeBlock[] = [...files.flatMap((file) => codeBlocks(file, readFileSync(join(root, file), 'utf8'))), ...probe];
let failures: Failure[] = [];
const scratchDirs = new Map<string, string>();

/** Where a block's file goes: the first folder whose node_modules has every package it imports. */
function homeOf(block: CodeBlock): string {
  const own = /^((?:packages|examples)\/[^/]+)\/README\.md$/.exec(block.file)?.[1];
  const workspace = ['packages', 'examples'].flatMap((parent) => readdirSync(join(root, parent)).map((dir) => `${parent}/${dir}`));
  const candidates = [...(own ? [own] : []), 'test', ...workspace];
  const needed = importedPackages(`${block.preamble}\n${block.code}`);
  return candidates.find((home) => needed.every((name) => existsSync(join(root, home, 'node_modules', name)))) ?? candidates[0]!;
}

function scratchIn(home: string): string {
  let dir = scratchDirs.get(home);
  if (!dir) {
    const cache = join(root, home, 'node_modules', '.cache');
    mkdirSync(cache, { recursive: true });
    dir = mkdtempSync(join(cache, 'hookguard-doc-blocks-'));
    scratchDirs.set(home, dir);
  }
  return dir;
}

beforeAll(() => {
  const config = scratchIn('test');
  const paths = blocks.map((block, index) => {
    const path = join(scratchIn(homeOf(block)), `block-${index}.mts`);
    writeFileSync(path, `${block.preamble ? `${block.preamble}\n` : ''}${block.code}\nexport {};\n`);
    return path;
  });
  writeFileSync(
    join(config, 'tsconfig.json'),
    JSON.stringify({
      extends: join(root, 'tsconfig.base.json'),
      compilerOptions: { noEmit: true, declaration: false, declarationMap: false, sourceMap: false, incremental: false, paths: workspaceSourcePaths(root) },
      files: paths,
    }),
  );
  const tsc = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', config, '--pretty', 'false'], { encoding: 'utf8' });
  expect(tsc.error).toBeUndefined();
  const names = paths.map((path) => path.slice(path.lastIndexOf('/') + 1));
  const byName = new Map(names.map((name, index) => [name, blocks[index]!]));
  const reported: Failure[] = [];
  // Errors inside the workspace's own sources are the type check's to report (`npm run typecheck`).
  let elsewhere = false;
  for (const line of tsc.stdout.split('\n')) {
    const error = /^(?:.*[\\/])?(block-\d+\.mts)\((\d+),(\d+)\): error (TS\d+: .*)$/.exec(line);
    if (!error && /^\S.*\(\d+,\d+\): error TS\d+/.test(line)) {
      elsewhere = true;
    } else if (error) {
      elsewhere = false;
      const block = byName.get(error[1]!)!;
      const preambleLines = block.preamble ? block.preamble.split('\n').length : 0;
      const inBlock = Number(error[2]) - 1 - preambleLines;
      reported.push({ file: block.file, line: inBlock < 0 ? block.line - 1 : block.line + inBlock, message: `${inBlock < 0 ? '(in its ts-preamble) ' : ''}${error[4]}` });
    } else if (/^\s/.test(line) && elsewhere) {
      continue;
    } else if (/^\s/.test(line) && reported.length > 0) {
      reported[reported.length - 1]!.message += `\n${line}`;
    } else if (line.trim() !== '') {
      reported.push({ file: '(tsc)', line: 0, message: line });
    }
  }
  failures = reported;
}, 120_000);

afterAll(() => {
  for (const dir of scratchDirs.values()) rmSync(dir, { recursive: true, force: true });
});

function describeFailures(list: Failure[]): string[] {
  return list.map((failure) => `${failure.file}:${failure.line}: ${failure.message}`);
}

describe('TypeScript blocks in the READMEs and docs/', () => {
  it('finds the blocks', () => {
    expect(files).toContain('README.md');
    expect(files).toContain('docs/once.md');
    expect(blocks.filter((block) => block.file === 'README.md').length).toBeGreaterThan(0);
  });

  it('reports a failing block by file and line, and honours its ts-preamble', () => {
    expect(describeFailures(failures.filter((failure) => failure.file === 'test/docs/(probe).md'))).toEqual([
      "test/docs/(probe).md:8: TS2322: Type 'string' is not assignable to type 'number'.",
    ]);
  });

  it('leaves nothing unattributed', () => {
    expect(describeFailures(failures.filter((failure) => failure.file === '(tsc)'))).toEqual([]);
  });

  it.each(files.filter((file) => blocks.some((block) => block.file === file)))('%s type-checks', (file) => {
    expect(describeFailures(failures.filter((failure) => failure.file === file))).toEqual([]);
  });
});
