import { defineConfig } from 'vitest/config';

// The soak tests (npm run test:soak, in CI), each in a process of its own: about two minutes of mixed load, and
// nmfStream over 2 GiB of columns on each backend (about a minute each).
export default defineConfig({
  test: {
    include: ['test/soak/**/*.test.ts'],
    testTimeout: 600_000,
  },
});
