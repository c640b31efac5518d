import { defineConfig } from 'vitest/config';

// The soak test (npm run test:soak, in CI): about two minutes of mixed load in a process of its own.
export default defineConfig({
  test: {
    include: ['test/soak/**/*.test.ts'],
    testTimeout: 600_000,
  },
});
