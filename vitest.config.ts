import { defineConfig } from 'vitest/config';

// Integration and e2e tests start real processes (the built service, sshd, Chromium), so they
// get generous timeouts; speed is measured in bench/, never here.
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
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup/unhandled.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: process.env.CI ? ['default', ['json', { outputFile: '.vitest-results.json' }]] : ['default'],
  },
});
