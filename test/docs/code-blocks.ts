import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

/** A ```ts block of a Markdown file, with what it needs declared before it. */
export type CodeBlock = {
  /** Repository-relative path of the Markdown file. */
  file: string;
  /** 1-based line of the block's first code line in that file. */
  line: number;
  code: string;
  /** Declarations the block takes for granted, from a `<!-- ts-preamble … -->` comment before it. */
  preamble: string;
};

const fence = /^(\s*)```(ts|typescript)\s*$/;
const preambleComment = /^<!--\s*ts-preamble\b([\s\S]*?)-->\s*$/;

/**
 * The TypeScript blocks of one Markdown text. A block may be preceded (directly, or with blank lines
 * between) by a comment that declares what it takes for granted, hidden on the rendered page:
 *
 *     <!-- ts-preamble
 *     declare function sendReply(payload: unknown): Promise<void>;
 *     -->
 *     ```ts
 *     …
 */
export function codeBlocks(file: string, markdown: string): CodeBlock[] {
  const lines = markdown.split('\n');
  const blocks: CodeBlock[] = [];
  for (let index = 0; index < lines.length; index++) {
    const open = fence.exec(lines[index] ?? '');
    if (!open) continue;
    const indent = open[1] ?? '';
    const start = index + 1;
    let end = start;
    while (end < lines.length && (lines[end] ?? '').trim() !== '```') end++;
    const code = lines
      .slice(start, end)
      .map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line))
      .join('\n');
    const before = lines.slice(0, index).join('\n');
    const preamble = preambleComment.exec(before.slice(before.lastIndexOf('<!--')))?.[1]?.trim() ?? '';
    blocks.push({ file, line: start + 1, code, preamble });
    index = end;
  }
  return blocks;
}

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? markdownFiles(join(dir, entry.name)) : entry.name.endsWith('.md') ? [join(dir, entry.name)] : [],
  );
}

/** README.md, docs/**\/*.md, packages/*\/README.md and examples/*\/README.md, repository-relative. */
export function documentedFiles(root: string): string[] {
  const readmes = (parent: string): string[] =>
    readdirSync(join(root, parent), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => join(root, parent, entry.name, 'README.md'))
      .filter((path) => existsSync(path));
  return [join(root, 'README.md'), ...markdownFiles(join(root, 'docs')), ...readmes('packages'), ...readmes('examples')]
    .map((path) => relative(root, path))
    .sort();
}
