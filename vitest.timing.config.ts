import { defineConfig } from 'vitest/config';

// Timing-sensitive suites: one file at a time, after the main run, so no other test competes for the cores.
export default defineConfig({
  test: {
    include: ['test/timing/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
  },
});
