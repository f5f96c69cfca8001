import { defineConfig } from 'vitest/config';

// Integration and e2e tests start real processes (the built service, sshd, Chromium), so they
// get generous timeouts; speed is measured in bench/, never here.
const ALONE = ['test/e2e/flow-control.test.ts'];

export default defineConfig({
  plugins: [
    {
      name: 'sql-as-text',
      transform(code: string, id: string) {
        return id.endsWith('.sql') ? `export default ${JSON.stringify(code)};` : undefined;
      },
    },
  ],
  test: {
    setupFiles: ['test/setup/unhandled.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: process.env.CI ? ['default', ['json', { outputFile: '.vitest-results.json' }]] : ['default'],
    projects: [
      {
        extends: true,
        test: { name: 'suite', include: ['test/**/*.test.ts'], exclude: ALONE, maxWorkers: 2, sequence: { groupOrder: 0 } },
      },
      {
        // Files that measure the service's memory run last and one at a time: under a
        // neighbour's load V8 collects later, and the figure would measure the neighbour.
        extends: true,
        test: { name: 'alone', include: ALONE, maxWorkers: 1, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
