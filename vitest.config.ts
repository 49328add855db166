import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';

// Workspace packages export their TypeScript sources under the "source" condition,
// so tests run against src/ while programs started as child processes run the built dist/.
const wholeChain = 'hil/src/chain/chain.test.ts';

export default defineConfig({
  resolve: { conditions: ['source', 'import', 'node', 'default'] },
  // no "import" under ssr: vitest passes these to the test workers as node --conditions, and an
  // explicit "import" makes require() pick ESM builds (pg requiring pg-pool then fails to load)
  ssr: { resolve: { conditions: ['source', 'node', 'default'], externalConditions: ['source'] } },
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          include: ['**/src/**/*.test.ts'],
          exclude: ['**/node_modules/**', '**/dist/**', 'twin/**', wholeChain],
        },
      },
      // the whole chain compares the S7 machines' availability with the simulator's record to 0.05 pp,
      // which rests on the pods polling on time (100 ms of plant time): it runs last, alone, so that
      // other test files do not starve the pods' polls and shift the state times they see
      {
        extends: true,
        test: { name: 'whole-chain', include: [wholeChain], maxWorkers: 1, sequence: { groupOrder: 1 } },
      },
      // the twin's node-side tests: the real browser (playwright-core) against real programs
      {
        extends: true,
        test: { name: 'twin-node', include: ['twin/src/e2e/**/*.test.ts', 'twin/src/bench/**/*.test.ts', 'twin/src/browser/**/*.test.ts'] },
      },
      // the twin (Svelte 5 in the browser): components and stores in happy-dom, compiled by the svelte plugin
      {
        plugins: [svelte(), svelteTesting()],
        resolve: { conditions: ['browser', 'source', 'import', 'default'] },
        test: {
          name: 'twin',
          root: 'twin',
          include: ['src/**/*.test.ts'],
          exclude: ['**/node_modules/**', '**/dist/**', 'src/e2e/**', 'src/bench/**', 'src/browser/**'],
          environment: 'happy-dom',
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
