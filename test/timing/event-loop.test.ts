/**
 * The event loop stays free during async fits. Timing-sensitive, so it runs on its own after the other suites
 * (vitest.timing.config.ts), not beside them competing for the cores.
 */
import { describe, expect, it } from 'vitest';
import { nmf, nmfd } from '../../src/index.js';
import { BACKENDS, backendAvailable, randomMatrix } from '../support/helpers.js';

/** Runs `work` with a 10 ms interval timer beside it; returns the worst lag of the timer (ms) and the result. */
async function worstLagDuring<T>(work: () => Promise<T>): Promise<{ worstLag: number; worstAt: number; result: T; elapsed: number }> {
  const started = performance.now();
  let last = started;
  let worstLag = 0;
  let worstAt = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    if (now - last - 10 > worstLag) [worstLag, worstAt] = [now - last - 10, now - started];
    last = now;
  }, 10);
  try {
    const result = await work();
    return { worstLag, worstAt, result, elapsed: performance.now() - started };
  } finally {
    clearInterval(timer);
  }
}

describe.each(BACKENDS)('the event loop during an async fit on %s', (backend) => {
  const run = it.skipIf(!backendAvailable(backend));

  // 400×600 with rank 24: the NNDSVD variants take 16 products of V with 34 columns (130 million multiply-adds),
  // which on the calling thread would hold the loop for over 100 ms; the fit computes them, and the TypeScript in
  // between pauses for the loop. Each method first runs once on a small V: what is measured is the work that grows
  // with V, not the first compilation of the code.
  run.each(['random', 'random-scaled', 'nndsvd', 'nndsvda', 'nndsvdar'] as const)(
    "init '%s': a 10 ms timer never lags more than 50 ms, initialisation included",
    async (init) => {
      await nmf(randomMatrix(40, 60, 1), { rank: 4, seed: 1, init, maxIter: 2, backend });
      const V = randomMatrix(400, 600, 2);
      const { worstLag, worstAt, result } = await worstLagDuring(() =>
        nmf(V, { rank: 24, seed: 1, init, tol: 0, maxIter: 20, spectralError: false, backend }),
      );
      expect(result.iterations).toBe(20);
      expect(worstLag, `worst lag ${worstLag.toFixed(1)} ms at ${worstAt.toFixed(0)} ms into the fit`).toBeLessThan(50);
    },
  );

  run('a 10 ms timer never lags more than 50 ms during a fit of over a second', async () => {
    const V = randomMatrix(300, 400, 1);
    // Start-up (loading the addon, starting the worker thread) is a one-time cost, not part of a fit.
    await nmf(randomMatrix(3, 3, 1), { rank: 1, maxIter: 1, backend });
    const { worstLag, worstAt, result, elapsed } = await worstLagDuring(() =>
      nmf(V, { rank: 16, seed: 1, tol: 0, maxIter: 1_000_000, maxTime: 1200, backend }),
    );
    expect(elapsed).toBeGreaterThanOrEqual(1000);
    expect(result.stopReason).toBe('maxTime');
    expect(result.converged).toBe(false);
    expect(worstLag, `worst lag ${worstLag.toFixed(1)} ms at ${worstAt.toFixed(0)} ms into the fit`).toBeLessThan(50);
  });

  run('a 10 ms timer never lags more than 50 ms during an NMFD fit of over a second', async () => {
    const V = randomMatrix(300, 400, 1);
    await nmfd(randomMatrix(3, 3, 1), { rank: 1, templateFrames: 2, maxIter: 1, backend });
    const { worstLag, worstAt, result, elapsed } = await worstLagDuring(() =>
      nmfd(V, { rank: 8, templateFrames: 8, seed: 1, maxIter: 1_000_000, maxTime: 1200, backend }),
    );
    expect(elapsed).toBeGreaterThanOrEqual(1000);
    expect(result.stopReason).toBe('maxTime');
    expect(worstLag, `worst lag ${worstLag.toFixed(1)} ms at ${worstAt.toFixed(0)} ms into the fit`).toBeLessThan(50);
  });
});
