// Builds the dist/ of @hookguard/core and @hookguard/web (what an app gets from the registry) when
// a source file is newer than the build, so `npm start` serves the packages as they are now.
import { buildWorkspacePackages } from '../../../test/support/build-workspace-packages.js';

buildWorkspacePackages(['core', 'web']);
