// Builds the dist/ of @hookguard/core and @hookguard/web (what a Worker gets from the registry) when
// a source file is newer than the build. `npm run build:packages`; the wrangler.jsonc test runs it too.
import { buildWorkspacePackages } from '../../../test/support/build-workspace-packages.js';

buildWorkspacePackages(['core', 'web']);
