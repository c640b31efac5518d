/**
 * The `spectralError` option: false skips the Lanczos run of finish and nothing else — the result's spectralError
 * is NaN, and the factors, the Frobenius error, the objective and its history are those of the default run, on
 * both backends, in nmfSync and nmf, float64 and float32.
 */
import { describe, expect, it } from 'vitest';
import { nmf, nmfSync, type NmfOptions } from '../../src/index.js';
import { BACKENDS, backendAvailable, randomMatrix } from '../support/helpers.js';
import { mat, mul, spectralNorm, sub } from '../reference/linalg.js';

const V = randomMatrix(40, 70, 3);

describe.each(BACKENDS)('spectralError: false on %s', (backend) => {
  it.runIf(backendAvailable(backend)).each(['float64', 'float32'] as const)('%s: only spectralError differs (NaN)', async (dtype) => {
    for (const extra of [{}, { loss: 'kl' as const }, { solver: 'hals' as const }]) {
      const options: NmfOptions = { rank: 5, maxIter: 30, seed: 4, backend, dtype, ...extra };
      const full = nmfSync(V, options);
      for (const lean of [nmfSync(V, { ...options, spectralError: false }), await nmf(V, { ...options, spectralError: false })]) {
        expect(full.spectralError).toBeGreaterThan(0);
        expect(lean.spectralError).toBeNaN();
        expect(lean.frobeniusError).toBe(full.frobeniusError);
        expect(lean.objective).toBe(full.objective);
        expect(lean.W.data).toEqual(full.W.data);
        expect(lean.H.data).toEqual(full.H.data);
        expect(lean.objectiveHistory.values).toEqual(full.objectiveHistory.values);
      }
    }
  });
});

describe.each(BACKENDS)('spectralError on %s: the residual of a fit, whose top singular values crowd together', (backend) => {
  // V of uniform noise: past its first components, V − W·H is noise too, and its largest singular values lie within
  // a fraction of a percent of each other, where Lanczos stops on its gap bound (native/spectral.cc,
  // lanczosConverged) rather than on the residual of its Ritz pair. The reference is the largest eigenvalue of the
  // explicitly formed Gram by cyclic Jacobi, an independent route.
  // The tall one is applied as EᵀE by rows of E, the wide one (more than 4 times wider than tall) as E·Eᵀ by columns.
  const tall = randomMatrix(150, 260, 11);
  const wide = randomMatrix(40, 420, 12);
  it.runIf(backendAvailable(backend)).each([1, 2])('threads %i: within 1e-11 of the Gram route', (threads) => {
    for (const [V, rank] of [
      [tall, 3],
      [tall, 12],
      [wide, 4],
    ] as const) {
      const result = nmfSync(V, { rank, maxIter: 40, seed: 2, backend, threads });
      const E = sub(mat(V.rows, V.cols, V.data), mul(mat(V.rows, rank, result.W.data), mat(rank, V.cols, result.H.data)));
      const expected = spectralNorm(E);
      expect(Math.abs(result.spectralError - expected) / expected, `${V.rows}×${V.cols} rank ${rank}`).toBeLessThanOrEqual(1e-11);
      // A float32 fit rounds E to float32 (each entry within 2^-24 of itself), and reads it widened to float64.
      const single = nmfSync(V, { rank, maxIter: 40, seed: 2, backend, threads, dtype: 'float32' });
      const E32 = sub(mat(V.rows, V.cols, V.data), mul(mat(V.rows, rank, single.W.data), mat(rank, V.cols, single.H.data)));
      const expected32 = spectralNorm(E32);
      expect(Math.abs(single.spectralError - expected32) / expected32, `float32 ${V.rows}×${V.cols}`).toBeLessThanOrEqual(1e-6);
    }
  });
});

describe.each(BACKENDS)('spectralError on %s: residuals whose Ritz residual falls fast', (backend) => {
  // E = V − W·H with W and H given and no iteration (maxIter 0): a dominant direction s·u·vᵀ over uniform noise,
  // with s from a gap of a few percent to one of 100, and a residual of rank 2, whose Krylov space ends at step 3.
  // A check that finds the Ritz residual large leaves the next step unchecked (native/spectral.cc,
  // kLanczosSkipAbove): the norm must be as accurate wherever the run stops.
  const K = 48;
  const N = 36;
  const W = randomMatrix(K, 2, 21);
  const H = randomMatrix(2, N, 22);
  const WH = mul(mat(K, 2, W.data), mat(2, N, H.data));
  const u = Array.from({ length: K }, (_, i) => 1 + Math.sin(i));
  const v = Array.from({ length: N }, (_, j) => 1 + Math.cos(3 * j));
  const noise = randomMatrix(K, N, 23);
  const residuals: [string, (i: number, j: number) => number][] = [
    ...[0.2, 2, 20, 200].map((scale): [string, (i: number, j: number) => number] => [
      `dominant ×${scale}`,
      (i, j) => scale * u[i]! * v[j]! + noise.data[i * N + j]!,
    ]),
    ['rank 2', (i, j) => u[i]! * v[j]! + (i % 3) * (j % 5)],
  ];
  it.runIf(backendAvailable(backend)).each([1, 2])('threads %i: within 1e-11 of the Gram route', (threads) => {
    for (const [name, entry] of residuals) {
      const data = new Float64Array(K * N);
      for (let i = 0; i < K; i++) for (let j = 0; j < N; j++) data[i * N + j] = WH.data[i * N + j]! + entry(i, j);
      const result = nmfSync({ rows: K, cols: N, data }, { rank: 2, W, H, maxIter: 0, backend, threads });
      const expected = spectralNorm(sub(mat(K, N, data), WH));
      expect(Math.abs(result.spectralError - expected) / expected, name).toBeLessThanOrEqual(1e-11);
    }
  });
  // Gram dimensions 2 to 4: the run's last possible step comes right after its first checks, which find the Ritz
  // residual large; the last step is checked all the same.
  it.runIf(backendAvailable(backend))('small residuals: within 1e-11 of the Gram route', () => {
    for (const [rows, cols] of [
      [2, 2],
      [2, 3],
      [3, 2],
      [3, 4],
      [4, 4],
      [5, 3],
    ] as const) {
      const V = randomMatrix(rows, cols, rows * 10 + cols);
      const W0 = randomMatrix(rows, 1, 1);
      const H0 = randomMatrix(1, cols, 2);
      const result = nmfSync(V, { rank: 1, W: W0, H: H0, maxIter: 0, backend });
      const expected = spectralNorm(sub(mat(rows, cols, V.data), mul(mat(rows, 1, W0.data), mat(1, cols, H0.data))));
      expect(Math.abs(result.spectralError - expected) / expected, `${rows}×${cols}`).toBeLessThanOrEqual(1e-11);
    }
  });
});

describe('spectralError validation', () => {
  it('is a boolean', () => {
    expect(() => nmfSync(V, { rank: 2, spectralError: 'no' as unknown as boolean })).toThrow(TypeError);
    expect(() => nmfSync(V, { rank: 2, spectralError: 1 as unknown as boolean })).toThrow(
      /options\.spectralError must be a boolean, got 1/,
    );
  });
});
