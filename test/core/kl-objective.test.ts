/**
 * The Kullback–Leibler objective at the edges of V (docs/algorithms.md §1), on both backends and in float32:
 * a zero of V costs exactly W·H there (not the floor eps, which nothing divides by at v = 0), so an exact
 * factorization with zeros has objective 0; and a subnormal entry of V gives a finite objective (v·log(v/λ)
 * underflowed to log 0 = −∞ for v = 1e-323).
 */
import { describe, expect, it } from 'vitest';
import { nmfSync } from '../../src/index.js';
import { BACKENDS, backendAvailable } from '../support/helpers.js';

// W has a zero row, so V = W·H has a zero row where W·H is exactly 0.
const W = { rows: 3, cols: 2, data: [1, 0, 0, 1, 0, 0] };
const H = { rows: 2, cols: 2, data: [1, 2, 3, 4] };
const V = { rows: 3, cols: 2, data: [1, 2, 3, 4, 0, 0] };

describe.each(BACKENDS)('%s: KL objective at the edges of V', (backend) => {
  it.runIf(backendAvailable(backend)).each(['float64', 'float32'] as const)(
    'an exact factorization with zeros has objective 0 (%s)',
    (dtype) => {
      const result = nmfSync(V, { rank: 2, W, H, loss: 'kl', maxIter: 0, backend, dtype });
      // Charged eps = 2^-23 per zero before: 2.4e-7.
      expect(result.objective).toBeLessThan(1e-12);
      expect(result.objectiveHistory.values[0]).toBeLessThan(1e-12);
    },
  );

  it.runIf(backendAvailable(backend))('a subnormal entry of V gives a finite objective', () => {
    // W·H = 200 everywhere: 1e-323 / 200 underflows to 0.
    const data = [1e-323, 2, 3, 4, 5, 6];
    const ten = (rows: number, cols: number) => ({ rows, cols, data: new Array<number>(rows * cols).fill(10) });
    const start = nmfSync({ rows: 3, cols: 2, data }, { rank: 2, W: ten(3, 2), H: ten(2, 2), loss: 'kl', maxIter: 0, backend });
    expect(Number.isFinite(start.objective)).toBe(true);
    expect(start.objective).toBeGreaterThan(0);
    const result = nmfSync({ rows: 3, cols: 2, data }, { rank: 2, W: ten(3, 2), H: ten(2, 2), loss: 'kl', maxIter: 5, backend });
    for (const value of result.objectiveHistory.values) expect(Number.isFinite(value)).toBe(true);
  });
});
