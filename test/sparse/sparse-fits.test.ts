/**
 * A CSR V (docs/sparse.md) on both backends at one and two threads: every solver and loss it takes gives the
 * factors, change norms and objectives of the dense V with the same entries (float64, 1e-9); with
 * observed: 'stored', those of the dense fit whose mask is the sparsity pattern. The two backends agree, and the
 * initialisations computed from V (random-scaled, NNDSVD) see the same V either way.
 */
import { describe, expect, it } from 'vitest';
import { nmf, nmfBatch, nmfSync, type NmfOptions, type NmfResult } from '../../src/index.js';
import { Random } from '../../src/random.js';
import { BACKENDS, backendAvailable, relativeError } from '../support/helpers.js';

const K = 23;
const N = 17;
const R = 4;

/** A K×N V with about a third of its entries stored, an empty row and an empty column; dense and CSR. */
function sparseV(seed: number) {
  const random = new Random(seed);
  const dense = new Float64Array(K * N);
  const indptr = [0];
  const indices: number[] = [];
  const data: number[] = [];
  for (let i = 0; i < K; i++) {
    for (let j = 0; j < N; j++) {
      if (i === 5 || j === 3 || random.nextDouble() > 0.35) continue;
      const x = 0.1 + 2 * random.nextDouble();
      dense[i * N + j] = x;
      indices.push(j);
      data.push(x);
    }
    indptr.push(indices.length);
  }
  return {
    dense: { rows: K, cols: N, data: dense },
    csr: {
      format: 'csr' as const,
      rows: K,
      cols: N,
      indptr: Int32Array.from(indptr),
      indices: Int32Array.from(indices),
      data: Float64Array.from(data),
    },
    pattern: dense.map((x) => (x > 0 ? 1 : 0)),
  };
}

const V = sparseV(5);
const random = new Random(6);
const W0 = { rows: K, cols: R, data: Float64Array.from({ length: K * R }, () => 0.1 + random.nextDouble()) };
const H0 = { rows: R, cols: N, data: Float64Array.from({ length: R * N }, () => 0.1 + random.nextDouble()) };

const CASES: [string, Partial<NmfOptions>][] = [
  ['MU euclidean', {}],
  ['MU euclidean, l1 and l2 on both factors', { l1W: 0.05, l2W: 0.1, l1H: 0.02, l2H: 0.2 }],
  ['MU euclidean, fixedColumnsW [1]', { fixedColumnsW: [1] }],
  ['MU euclidean, updateW: false', { updateW: false }],
  ['MU euclidean, updateH: false, normalize l2', { updateH: false, normalize: 'l2' }],
  ['MU euclidean, stop objective', { stop: 'objective', tol: 1e-6 }],
  ['kl', { loss: 'kl' }],
  ['kl, l1', { loss: 'kl', l1W: 0.05, l1H: 0.1 }],
  ['kl, l2 (the exact MM step)', { loss: 'kl', l2W: 0.3, l2H: 0.1 }],
  ['kl, fixedColumnsW [0], normalize l1', { loss: 'kl', fixedColumnsW: [0], normalize: 'l1' }],
  ['hals', { solver: 'hals' }],
  ['hals, l1 and l2', { solver: 'hals', l1W: 0.05, l2W: 0.1, l1H: 0.02, l2H: 0.2 }],
  ['hals, three sweeps', { solver: 'hals', halsSweeps: 3 }],
  ['hals, updateH: false', { solver: 'hals', updateH: false }],
  ['hals, normalize max, fixedColumnsW [2]', { solver: 'hals', normalize: 'max', fixedColumnsW: [2] }],
];

const OBSERVED: [string, Partial<NmfOptions>][] = [
  ['euclidean', {}],
  ['kl', { loss: 'kl' }],
  ['euclidean, l2 and fixedColumnsW [3]', { l2W: 0.1, l2H: 0.1, fixedColumnsW: [3] }],
  ['is', { loss: 'is' }],
  ['β 0.5', { loss: 0.5 }],
  ['β 1.5, l1 on H', { loss: 1.5, l1H: 0.05 }],
  ['β 3, l2 on W', { loss: 3, l2W: 0.1 }],
];

function options(backend: string, threads: number, extra: Partial<NmfOptions>): NmfOptions {
  return {
    rank: R,
    W: W0,
    H: H0,
    maxIter: 25,
    tol: 0,
    backend: backend as NmfOptions['backend'],
    threads,
    spectralError: false,
    ...extra,
  } as NmfOptions;
}

function expectSameFit(got: NmfResult, want: NmfResult): void {
  expect(got.iterations).toBe(want.iterations);
  expect(got.stopReason).toBe(want.stopReason);
  expect(relativeError(got.W.data, want.W.data)).toBeLessThan(1e-9);
  expect(relativeError(got.H.data, want.H.data)).toBeLessThan(1e-9);
  expect(relativeError(got.hChange, want.hChange)).toBeLessThan(1e-9);
  expect(relativeError(got.wChange, want.wChange)).toBeLessThan(1e-9);
  expect(Array.from(got.objectiveHistory.iterations)).toEqual(Array.from(want.objectiveHistory.iterations));
  const f0 = want.objectiveHistory.values[0]!;
  for (let i = 0; i < want.objectiveHistory.values.length; i++) {
    expect(Math.abs(got.objectiveHistory.values[i]! - want.objectiveHistory.values[i]!) / f0).toBeLessThan(1e-9);
  }
  expect(Math.abs(got.objective - want.objective) / f0).toBeLessThan(1e-9);
  expect(Math.abs(got.frobeniusError - want.frobeniusError) / Math.sqrt(f0)).toBeLessThan(1e-8);
  expect(got.spectralError).toBeNaN();
}

describe.each(BACKENDS)('%s backend', (backend) => {
  describe.runIf(backendAvailable(backend)).each([1, 2])('%i thread(s)', (threads) => {
    it.each(CASES)('%s: a CSR V fits as the dense V with the same entries', (_, extra) => {
      const dense = nmfSync(V.dense, options(backend, threads, extra));
      const sparse = nmfSync(V.csr, options(backend, threads, extra));
      expectSameFit(sparse, dense);
    });

    it.each([
      ['β 1.5', { loss: 1.5 }],
      ['β 3, l1 on H', { loss: 3, l1H: 0.05 }],
      ['euclidean with its spectral error', { spectralError: true }],
      ['kl with its spectral error', { loss: 'kl', spectralError: true }],
    ] as [string, Partial<NmfOptions>][])('%s: a CSR V, expanded densely, fits as the dense V', (_, extra) => {
      const dense = nmfSync(V.dense, options(backend, threads, extra));
      const sparse = nmfSync(V.csr, options(backend, threads, extra));
      if (extra.spectralError) {
        expect(sparse.spectralError).toBeGreaterThan(0);
        expect(Math.abs(sparse.spectralError / dense.spectralError - 1)).toBeLessThan(1e-9);
      }
      expectSameFit({ ...sparse, spectralError: NaN }, dense);
    });

    it.each(OBSERVED)("%s, observed 'stored': the dense fit whose mask is the pattern", (_, extra) => {
      const masked = nmfSync(V.dense, { ...options(backend, threads, extra), mask: { rows: K, cols: N, data: V.pattern } });
      const sparse = nmfSync(V.csr, { ...options(backend, threads, extra), observed: 'stored' });
      expectSameFit(sparse, masked);
    });

    it.each([CASES[0]!, CASES[6]!, CASES[10]!, ['β 1.5', { loss: 1.5 }] as [string, Partial<NmfOptions>]])(
      '%s: the async nmf() (worker or thread pool) fits as nmfSync',
      async (_, extra) => {
        expectSameFit(await nmf(V.csr, options(backend, threads, extra)), nmfSync(V.csr, options(backend, threads, extra)));
      },
    );

    it('nmfBatch takes CSR matrices beside dense ones', async () => {
      const { W, H, ...shared } = options(backend, threads, {});
      const [sparse, dense] = await nmfBatch([V.csr, V.dense], { ...shared, W, H });
      expectSameFit(sparse!, nmfSync(V.csr, options(backend, threads, {})));
      expectSameFit(dense!, nmfSync(V.dense, options(backend, threads, {})));
    });

    it.each(['random-scaled', 'nndsvd', 'nndsvda'] as const)('init %s from a CSR V as from the dense V', (init) => {
      const extra = { W: undefined, H: undefined, init, seed: 3 };
      expectSameFit(nmfSync(V.csr, options(backend, threads, extra)), nmfSync(V.dense, options(backend, threads, extra)));
    });
  });
});

describe.runIf(BACKENDS.every(backendAvailable))('native ≡ wasm on a CSR V', () => {
  it.each([
    ...CASES,
    ...OBSERVED.map(([n, o]): [string, Partial<NmfOptions>] => [`observed 'stored', ${n}`, { ...o, observed: 'stored' }]),
  ])('%s', (_, extra) => {
    expectSameFit(nmfSync(V.csr, options('native', 2, extra)), nmfSync(V.csr, options('wasm', 1, extra)));
  });

  it('float32: a CSR V fits as the dense V to float32 rounding', () => {
    for (const backend of BACKENDS) {
      const dense = nmfSync(V.dense, options(backend, 1, { dtype: 'float32' }));
      const sparse = nmfSync(V.csr, options(backend, 1, { dtype: 'float32' }));
      expect(relativeError(sparse.W.data, dense.W.data)).toBeLessThan(1e-4);
      expect(relativeError(sparse.H.data, dense.H.data)).toBeLessThan(1e-4);
    }
  });
});
