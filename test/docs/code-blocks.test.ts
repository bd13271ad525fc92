import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeBlocks, documentedFiles, type CodeBlock } from './code-blocks.js';

// Every ```ts block of the READMEs and docs/ is type-checked as its own module under the strict
// workspace config, in one tsc program (fast). The files are written inside the workspace (under
// test/node_modules, which git ignores) so @hookguard/* resolve to the sources through the
// @hookguard/source condition, and the frameworks and clients the test package installs resolve too.
// A block that takes names for granted declares them in a `<!-- ts-preamble … -->` comment before it.

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
let scratch = '';

beforeAll(() => {
  const cache = join(root, 'test', 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  scratch = mkdtempSync(join(cache, 'hookguard-doc-blocks-'));
  const names = blocks.map((block, index) => {
    const name = `block-${index}.mts`;
    writeFileSync(join(scratch, name), `${block.preamble ? `${block.preamble}\n` : ''}${block.code}\nexport {};\n`);
    return name;
  });
  writeFileSync(
    join(scratch, 'tsconfig.json'),
    JSON.stringify({
      extends: join(root, 'tsconfig.base.json'),
      compilerOptions: { noEmit: true, declaration: false, declarationMap: false, sourceMap: false, incremental: false },
      files: names,
    }),
  );
  const tsc = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', scratch, '--pretty', 'false'], { encoding: 'utf8' });
  expect(tsc.error).toBeUndefined();
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
  if (scratch) rmSync(scratch, { recursive: true, force: true });
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
