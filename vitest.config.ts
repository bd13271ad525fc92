import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    conditions: ['@hookguard/source', 'node', 'import', 'module', 'default'],
  },
  ssr: {
    resolve: {
      conditions: ['@hookguard/source', 'node', 'import', 'module', 'default'],
      externalConditions: ['@hookguard/source', 'node'],
    },
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts', 'examples/*/src/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
  },
});
