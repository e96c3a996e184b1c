import { defineConfig } from 'vitest/config';
import { TEST_TIMEOUT_MS, WAIT_MS } from './test/helpers/wait.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Deadlines come from one place and scale with CW_TEST_SLOWDOWN: tests wait on conditions, never on the clock.
    testTimeout: TEST_TIMEOUT_MS,
    hookTimeout: TEST_TIMEOUT_MS,
    expect: { poll: { timeout: WAIT_MS } },
    // Integration tests share one Redis and two cores; files run in parallel, each on its own key prefix.
    pool: 'forks',
    maxWorkers: 2,
  },
});
