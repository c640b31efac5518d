import { defineConfig } from 'vitest/config';

export default defineConfig({
  // 'nmfkit' (imported by packages/nmfkit-audio) resolves as Node resolves it, to the Node entry: under the
  // 'node-addons' condition Node sets and Vite does not know (then Vite's own server conditions).
  ssr: { resolve: { conditions: ['node-addons', 'module', 'node', 'development|production'] } },
  test: {
    // The core's suites and those of the workspace packages (packages/nmfkit-audio/test).
    include: ['test/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
    // Timing-sensitive suites run on their own afterwards (vitest.timing.config.ts), the soak test on its own
    // (vitest.soak.config.ts, npm run test:soak).
    exclude: ['test/timing/**', 'test/soak/**', '**/node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
