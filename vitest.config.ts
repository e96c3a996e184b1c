import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests share one Redis and two cores; files run in parallel, each on its own key prefix.
    pool: 'forks',
    maxWorkers: 2,
  },
});
