import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30000,
    hookTimeout: 60000,
    // Integration suites share one PostgreSQL and one Redis; each uses its own schema and key
    // prefix, so files can run in parallel.
    pool: 'forks',
  },
});
