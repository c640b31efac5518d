/** The `init` option: every method on both backends, its validation, and that explicit factors win. */
import { describe, expect, it } from 'vitest';
import { nmfSync } from '../../src/index.js';
import { initialize, type InitMethod } from '../../src/init/index.js';
import { BACKENDS, backendAvailable, randomMatrix, relativeError } from '../support/helpers.js';

const V = randomMatrix(12, 9, 31);

describe.each(BACKENDS)('options.init on %s', (backend) => {
  const run = it.skipIf(!backendAvailable(backend));
  const methods: InitMethod[] = ['random-scaled', 'nndsvd', 'nndsvda', 'nndsvdar'];

  run.each(methods)('%s gives the factors of src/init and a fit that improves on them', (init) => {
    const start = nmfSync(V, { rank: 3, seed: 7, init, maxIter: 0, backend });
    const expected = initialize(init, V.data, 12, 9, 3, 7);
    // The NNDSVD variants take their products with V from the fit (src/init/from-fit.ts): on WebAssembly they sum
    // in the order of src/init's plain products, on native the BLAS sums in its own (1e-12 covers that rounding).
    expect(relativeError(start.W.data, expected.W)).toBeLessThanOrEqual(backend === 'wasm' ? 0 : 1e-12);
    expect(relativeError(start.H.data, expected.H)).toBeLessThanOrEqual(backend === 'wasm' ? 0 : 1e-12);
    expect(start.seed).toBe(init === 'nndsvd' || init === 'nndsvda' ? null : 7);
    const fitted = nmfSync(V, { rank: 3, seed: 7, init, maxIter: 50, tol: 0, backend });
    expect(fitted.frobeniusError).toBeLessThanOrEqual(start.frobeniusError);
  });

  run("'random' is the default, the U[0,1) initialisation", () => {
    const a = nmfSync(V, { rank: 3, seed: 5, maxIter: 0, backend });
    const b = nmfSync(V, { rank: 3, seed: 5, init: 'random', maxIter: 0, backend });
    expect(b.W.data).toEqual(a.W.data);
    expect(b.H.data).toEqual(a.H.data);
  });

  run('an explicit W or H wins over the method', () => {
    const W = randomMatrix(12, 3, 8);
    const result = nmfSync(V, { rank: 3, W, init: 'nndsvd', maxIter: 0, backend });
    expect(result.W.data).toEqual(W.data);
    expect(relativeError(result.H.data, initialize('nndsvd', V.data, 12, 9, 3, 0).H)).toBeLessThanOrEqual(backend === 'wasm' ? 0 : 1e-12);
  });

  run('nndsvd starts much closer to a low-rank V than random', () => {
    const A = randomMatrix(20, 3, 1);
    const B = randomMatrix(3, 15, 2);
    const lowRank = { rows: 20, cols: 15, data: new Float64Array(300) };
    for (let i = 0; i < 20; i++) {
      for (let j = 0; j < 15; j++) {
        let s = 0;
        for (let r = 0; r < 3; r++) s += A.data[i * 3 + r]! * B.data[r * 15 + j]!;
        lowRank.data[i * 15 + j] = s;
      }
    }
    const svd = nmfSync(lowRank, { rank: 3, init: 'nndsvd', maxIter: 0, backend });
    const random = nmfSync(lowRank, { rank: 3, seed: 1, maxIter: 0, backend });
    expect(svd.frobeniusError).toBeLessThan(0.5 * random.frobeniusError);
  });
});

describe('options.init validation', () => {
  it('rejects an unknown method, naming the choices', () => {
    expect(() => nmfSync(V, { rank: 2, init: 'svd' as never })).toThrow(RangeError);
    expect(() => nmfSync(V, { rank: 2, init: 'svd' as never })).toThrow(
      /options\.init must be one of 'random', 'random-scaled', 'nndsvd', 'nndsvda', 'nndsvdar', got "svd"/,
    );
    expect(() => nmfSync(V, { rank: 2, init: 3 as never })).toThrow(TypeError);
  });

  it('rejects NNDSVD with a rank above min(K, N)', () => {
    expect(() => nmfSync(V, { rank: 10, init: 'nndsvda' })).toThrow(
      /options\.init 'nndsvda' needs rank ≤ min\(rows, cols\) of V = 9, got rank 10/,
    );
    expect(nmfSync(V, { rank: 10, init: 'random-scaled', seed: 1, maxIter: 1 }).W.cols).toBe(10);
  });
});
