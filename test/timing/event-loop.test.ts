/**
 * The event loop stays free during async fits. Timing-sensitive, so it runs on its own after the other suites
 * (vitest.timing.config.ts), not beside them competing for the cores.
 */
import { describe, expect, it } from 'vitest';
import { nmf } from '../../src/index.js';
import { BACKENDS, backendAvailable, randomMatrix } from '../support/helpers.js';

describe.each(BACKENDS)('the event loop during an async fit on %s', (backend) => {
  const run = it.skipIf(!backendAvailable(backend));

  run('a 10 ms timer never lags more than 50 ms during a fit of over a second', async () => {
    const V = randomMatrix(300, 400, 1);
    // Start-up (loading the addon, starting the worker thread) is a one-time cost, not part of a fit.
    await nmf(randomMatrix(3, 3, 1), { rank: 1, maxIter: 1, backend });
    const started = performance.now();
    let last = started;
    let worstLag = 0;
    let worstAt = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      if (now - last - 10 > worstLag) [worstLag, worstAt] = [now - last - 10, now - started];
      last = now;
    }, 10);
    const result = await nmf(V, { rank: 16, seed: 1, tol: 0, maxIter: 1_000_000, maxTime: 1200, backend });
    const elapsed = performance.now() - started;
    clearInterval(timer);
    expect(elapsed).toBeGreaterThanOrEqual(1000);
    expect(result.stopReason).toBe('maxTime');
    expect(result.converged).toBe(false);
    expect(worstLag, `worst lag ${worstLag.toFixed(1)} ms at ${worstAt.toFixed(0)} ms into the fit`).toBeLessThan(50);
  });
});
