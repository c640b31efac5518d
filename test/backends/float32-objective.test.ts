/**
 * The objective rule in float32 (docs/algorithms.md §7): the Euclidean objective from float32 products is off by
 * about 2^-24·‖V‖², which does not shrink with the objective; where that could reach tol·F the checkpoint takes D
 * explicitly from W·H, so a float32 fit does not stop on rounding. Checked against float64 fits of the same problems
 * on both backends: equal stops on a noisy problem, and a stop only near float32's own floor on one that V fits
 * exactly (rank = columns of V), where products alone had stopped float32 HALS at F ≈ 1e-5·‖V‖².
 */
import { describe, expect, it } from 'vitest';
import { nmfSync } from '../../src/index.js';
import { BACKENDS, backendAvailable, randomMatrix } from '../support/helpers.js';

const halfNorm = (data: ArrayLike<number>): number => Array.from(data).reduce((s, x) => s + x * x, 0) / 2;

describe.each(BACKENDS)('%s backend', (backend) => {
  it.skipIf(!backendAvailable(backend))('a noisy 150×120 problem: float32 stops within 1% of float64’s iteration', () => {
    const V = randomMatrix(150, 120, 9);
    const W = randomMatrix(150, 10, 3);
    const H = randomMatrix(10, 120, 4);
    for (const solver of ['hals', 'mu'] as const) {
      for (const tol of [1e-5, 1e-6]) {
        const options = { rank: 10, W, H, solver, tol, stop: 'objective', maxIter: 20000, backend } as const;
        const f64 = nmfSync(V, options);
        const f32 = nmfSync(V, { ...options, dtype: 'float32' });
        expect(f64.stopReason).toBe('tol');
        expect(
          Math.abs(f32.iterations - f64.iterations),
          `${solver} tol ${tol}: ${f32.iterations} vs ${f64.iterations}`,
        ).toBeLessThanOrEqual(0.01 * f64.iterations);
      }
    }
  });

  it.skipIf(!backendAvailable(backend))('an exactly fitting 50×7 problem: float32 HALS stops only near float32’s floor', () => {
    const V = randomMatrix(50, 7, 11);
    const floor = 2 ** -24 * 2 * halfNorm(V.data);
    const options = { rank: 7, init: 'nndsvda', tol: 1e-3, stop: 'objective', maxIter: 5000, solver: 'hals', backend } as const;
    const f32 = nmfSync(V, { ...options, dtype: 'float32' });
    expect(f32.stopReason).toBe('tol');
    expect(f32.objective, `objective ${f32.objective}, 2^-24·‖V‖² = ${floor}`).toBeLessThan(1e-3 * floor);
  });
});
