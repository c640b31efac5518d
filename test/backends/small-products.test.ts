/**
 * The native backend computes a product of at most 2^16 or 2^18 multiply–adds with its own kernels
 * (native/small-products.cc) where the BLAS has no small-matrix kernels of its own, and the rest with the BLAS
 * (native/products.h). Both ways are forced here in turn (the addon's setSmallProducts), so the kernels are checked
 * on every machine whatever products.h would choose on it. Fits whose products fall on either side of those bounds,
 * and shapes with every remainder of the kernels' tiles (odd rows, columns short of a vector), against the plain
 * reference loop (test/reference/fit.ts) and against the WebAssembly backend: MU and HALS, teams of 1 and 2, to
 * 1e-9; in float32 (whose kernels hold 8 lanes, and 4 for the last columns of a row), to float32's rounding.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { nmfSync, type BackendName } from '../../src/index.js';
import { fit } from '../reference/fit.js';
import { mat } from '../reference/linalg.js';
import { BACKENDS, backendAvailable, randomMatrix, relativeError } from '../support/helpers.js';

type SmallProducts = 'auto' | 'on' | 'off';
const addon = backendAvailable('native')
  ? (createRequire(import.meta.url)('node-gyp-build')(fileURLToPath(new URL('../..', import.meta.url))) as {
      setSmallProducts(mode: SmallProducts): void;
    })
  : undefined;
afterAll(() => addon?.setSmallProducts('auto'));

// Each backend's runs: native with the small kernels forced on and then off; wasm as it is.
const RUNS: { backend: BackendName; small?: SmallProducts }[] = [
  { backend: 'native', small: 'on' },
  { backend: 'native', small: 'off' },
  { backend: 'wasm' },
];

// [K, N, R]: every product small; odd sizes (two-row tiles with one row left, columns short of a vector); WᵀV
// small and V·Hᵀ on the BLAS; every product on the BLAS.
const SHAPES: [number, number, number][] = [
  [64, 64, 4],
  [37, 53, 3],
  [70, 45, 5],
  [128, 128, 8],
  [256, 300, 8],
];
const ITERATIONS = 12;

it.skipIf(!addon)('setSmallProducts refuses a mode it does not know', () => {
  expect(() => addon!.setSmallProducts('always' as SmallProducts)).toThrow(TypeError);
  expect(() => addon!.setSmallProducts(undefined as unknown as SmallProducts)).toThrow(/mode must be 'auto', 'on' or 'off'/);
});

describe.each(SHAPES)('%i×%i, rank %i', (K, N, R) => {
  const V = randomMatrix(K, N, K + N);
  const W0 = randomMatrix(K, R, 3 * R);
  const H0 = randomMatrix(R, N, 5 * R);

  // A float32 sum of n products is within ~n·2^-24 of the exact one; twelve iterations compound it.
  const TOLERANCE = {
    float64: { reference: 1e-9, between: 1e-12 },
    float32: { reference: 2e-5, between: 2e-5 },
  };
  it.each([
    ['mu', 'float64'],
    ['hals', 'float64'],
    ['mu', 'float32'],
    ['hals', 'float32'],
  ] as const)('%s, %s: both backends, teams of 1 and 2, equal the reference loop', (solver, dtype) => {
    const reference = fit(mat(K, N, V.data), mat(K, R, W0.data), mat(R, N, H0.data), {
      solver,
      maxIter: ITERATIONS,
      stop: 'none',
      eps: 1e-10,
    });
    const tolerance = TOLERANCE[dtype];
    const results: { run: string; W: ArrayLike<number> }[] = [];
    for (const { backend, small } of RUNS.filter((run) => BACKENDS.includes(run.backend) && backendAvailable(run.backend))) {
      if (small) addon!.setSmallProducts(small);
      for (const threads of [1, 2]) {
        const result = nmfSync(V, {
          rank: R,
          solver,
          W: W0,
          H: H0,
          maxIter: ITERATIONS,
          stop: 'none',
          eps: 1e-10,
          normalize: 'none',
          backend,
          threads,
          spectralError: false,
          dtype,
        });
        const where = `${backend}${small ? ` (small products ${small})` : ''}, ${threads} thread(s)`;
        expect(relativeError(result.W.data, reference.W.data), where).toBeLessThan(tolerance.reference);
        expect(relativeError(result.H.data, reference.H.data), where).toBeLessThan(tolerance.reference);
        expect(relativeError(result.hChange, reference.hChange), where).toBeLessThan(tolerance.reference);
        expect(relativeError(result.wChange, reference.wChange), where).toBeLessThan(tolerance.reference);
        results.push({ run: where, W: result.W.data });
      }
      addon?.setSmallProducts('auto');
    }
    const [first, ...rest] = results;
    for (const other of rest) {
      expect(relativeError(other.W, first!.W), `${other.run} against ${first!.run}`).toBeLessThan(tolerance.between);
    }
  });
});
