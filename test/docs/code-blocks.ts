import { existsSync, readFileSync, readdirSync } from 'node:fs';
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

/** The packages a block imports by bare name, other than `node:*` and `@hookguard/*`: `koa`, `@hono/node-server`. */
export function importedPackages(code: string): string[] {
  const specifiers = [...code.matchAll(/(?:\bfrom\s+|\bimport\s*\(?\s*)['"]([^'"]+)['"]/g)].map((match) => match[1] ?? '');
  const names = specifiers
    .filter((specifier) => !specifier.startsWith('.') && !specifier.startsWith('node:') && !specifier.startsWith('@hookguard/'))
    .map((specifier) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/'));
  return [...new Set(names)];
}

/**
 * `@hookguard/<package>[/<subpath>]` to the source file its export map names under the
 * `@hookguard/source` condition, for the compiler's `paths`: so a block resolves every workspace
 * package, wherever its file sits.
 */
export function workspaceSourcePaths(root: string): Record<string, string[]> {
  const paths: Record<string, string[]> = {};
  for (const dir of readdirSync(join(root, 'packages'))) {
    const manifestPath = join(root, 'packages', dir, 'package.json');
    if (!existsSync(manifestPath)) continue;
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { name: string; exports?: Record<string, unknown> };
    for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
      const source = typeof target === 'object' && target !== null ? (target as Record<string, unknown>)['@hookguard/source'] : undefined;
      if (typeof source === 'string') paths[manifest.name + subpath.slice(1)] = [join(root, 'packages', dir, source)];
    }
  }
  return paths;
}
