import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** The repository root. */
export const root = new URL('../..', import.meta.url).pathname;

/** A publishable package of the workspace, as its package.json says. */
export type WorkspacePackage = {
  /** Its folder under packages/, e.g. `core`. */
  dir: string;
  manifest: {
    name: string;
    private?: boolean;
    peerDependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
    [field: string]: unknown;
  };
};

/** Every package under packages/ that would be published. */
export function workspacePackages(): WorkspacePackage[] {
  return readdirSync(join(root, 'packages'))
    .filter((dir) => existsSync(join(root, 'packages', dir, 'package.json')))
    .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')) as WorkspacePackage['manifest'] }))
    .filter((pkg) => pkg.manifest.private !== true);
}
