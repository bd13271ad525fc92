import { defineConfig } from 'vitest/config';

// '@hookguard/source' makes workspace packages resolve to their TypeScript sources (see each
// package.json "exports"), so tests never run stale builds.
const conditions = ['@hookguard/source'];

export default defineConfig({
  resolve: { conditions: [...conditions, 'node', 'development|production'] },
  ssr: { resolve: { conditions: [...conditions, 'node', 'development|production'] } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts', 'examples/*/src/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
  },
});
