import { defineConfig } from 'vitest/config';

// Workspace packages export their TypeScript sources under the "source" condition,
// so tests run against src/ while programs started as child processes run the built dist/.
export default defineConfig({
  resolve: { conditions: ['source', 'import', 'node', 'default'] },
  // no "import" under ssr: vitest passes these to the test workers as node --conditions, and an
  // explicit "import" makes require() pick ESM builds (pg requiring pg-pool then fails to load)
  ssr: { resolve: { conditions: ['source', 'node', 'default'], externalConditions: ['source'] } },
  test: {
    include: ['**/src/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
});
