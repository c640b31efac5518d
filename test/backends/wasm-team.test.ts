/**
 * WebAssembly fits on a team of pool workers over shared memory (assembly/team.ts, src/backends/wasm-team.ts):
 * every solver, on a dense V and on a CSR one, agrees with the native backend at the same team size (T = 1 and T = 2)
 * to 1e-9, a fit on a team of 2 gives the same bits twice, and an aborted team fit leaves a pool whose next team fit gives those bits again.
 */
import { describe, expect, it } from 'vitest';
import type { FitProblem, FitSpec, KernelResult } from '../../src/contract.js';
import { chooseBackend } from '../../src/entry/node.js';
import { nmf } from '../../src/index.js';
import { testSpec } from '../support/fit-spec.js';
import { backendAvailable, randomMatrix, relativeError } from '../support/helpers.js';

const K = 70;
const N = 90;
const R = 5;
const ITERATIONS = 25;
const V = randomMatrix(K, N, 11);
const MASK = Float64Array.from({ length: K * N }, (_, i) => (i % 7 === 3 ? 0 : i % 5 === 1 ? 0.5 : 1));

/** V as CSR: the entries of V whose index is not 2 mod 3 (one row in nine left empty), with their pattern. */
const CSR = (() => {
  const indptr = new Int32Array(K + 1);
  const indices: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < K; i++) {
    for (let j = 0; j < N && i % 9 !== 4; j++) {
      if ((i * N + j) % 3 === 2) continue;
      indices.push(j);
      values.push(V.data[i * N + j]!);
    }
    indptr[i + 1] = indices.length;
  }
  return { indptr, indices: Int32Array.from(indices), values: Float64Array.from(values) };
})();

const SOLVERS: [string, Partial<FitSpec>][] = [
  ['MU Euclidean', { solver: 'mu-euclidean', blockRows: 0 }],
  ['MU Euclidean, fused sweep', { solver: 'mu-euclidean', blockRows: 16 }],
  ['MU KL', { solver: 'mu-beta', beta: 1 }],
  ['MU β = 0.5', { solver: 'mu-beta', beta: 0.5 }],
  ['MU KL with L2', { solver: 'mu-beta', beta: 1, l2W: 0.1, l2H: 0.2 }],
  ['masked MU', { solver: 'mu-beta', beta: 2, masked: true }],
  ['HALS', { solver: 'hals' }],
  ['HALS, 3 sweeps', { solver: 'hals', halsSweeps: 3, halsSweepTol: 0.01 }],
  ['HALS, H first', { solver: 'hals', halsOrder: 'h-first' }],
  ['CSR MU Euclidean', { solver: 'mu-euclidean', blockRows: 0, storage: 'csr', nnz: CSR.values.length }],
  ['CSR MU KL', { solver: 'mu-beta', beta: 1, storage: 'csr', nnz: CSR.values.length }],
  ['CSR observed stored, β = 1.5', { solver: 'mu-beta', beta: 1.5, storage: 'csr', nnz: CSR.values.length, masked: true }],
  ['CSR HALS', { solver: 'hals', storage: 'csr', nnz: CSR.values.length }],
];

function problem(changes: Partial<FitSpec>, threads: number): FitProblem {
  const spec = testSpec(K, N, R, { tol: 0, stop: 'none', ...changes, threads });
  const csr = spec.storage === 'csr';
  return {
    spec,
    V: csr ? CSR.values.slice() : V.data.slice(),
    W: randomMatrix(K, R, 12).data,
    H: randomMatrix(R, N, 13).data,
    mask: spec.masked && !csr ? MASK.slice() : null,
    pattern: csr ? { indptr: CSR.indptr.slice(), indices: CSR.indices.slice() } : null,
    fixedColumnsW: new Uint8Array(R),
  };
}

/** The fit on the native backend, synchronously (its own team of threads). */
function nativeFit(changes: Partial<FitSpec>, threads: number): KernelResult {
  const fit = chooseBackend('native').createFit(problem(changes, threads));
  fit.run(ITERATIONS, new Float64Array(ITERATIONS), new Float64Array(ITERATIONS), 0);
  const result = fit.finish();
  fit.dispose();
  return result;
}

/** The fit on the wasm backend in the worker pool: with threads > 1, on a team of workers. */
async function wasmFit(changes: Partial<FitSpec>, threads: number): Promise<KernelResult & { h: Float64Array }> {
  const fit = chooseBackend('wasm').createAsyncFit(problem(changes, threads));
  const h = new Float64Array(ITERATIONS);
  await fit.runAsync(ITERATIONS, h, new Float64Array(ITERATIONS), 0);
  const result = await fit.finishAsync();
  fit.dispose();
  return { ...result, h };
}

describe.runIf(backendAvailable('wasm'))('wasm fits on a team of workers', () => {
  it.runIf(backendAvailable('native')).each(SOLVERS)('%s: native ≡ wasm at T = 1 and T = 2', async (_, changes) => {
    for (const threads of [1, 2]) {
      const native = nativeFit(changes, threads);
      const wasm = await wasmFit(changes, threads);
      expect(relativeError(wasm.W, native.W), `W, T = ${threads}`).toBeLessThan(1e-9);
      expect(relativeError(wasm.H, native.H), `H, T = ${threads}`).toBeLessThan(1e-9);
      expect(Math.abs(wasm.objective - native.objective) / native.objective, `F, T = ${threads}`).toBeLessThan(1e-9);
    }
  });

  it.each(SOLVERS)('%s: T = 2 gives the same bits twice, and T = 1 to 1e-12', async (_, changes) => {
    const first = await wasmFit(changes, 2);
    const second = await wasmFit(changes, 2);
    expect(second.W).toEqual(first.W);
    expect(second.H).toEqual(first.H);
    expect(second.h).toEqual(first.h);
    const alone = await wasmFit(changes, 1);
    expect(relativeError(first.W, alone.W)).toBeLessThan(1e-12);
    expect(relativeError(first.H, alone.H)).toBeLessThan(1e-12);
  });

  it.each([
    ['MU Euclidean', { solver: 'mu-euclidean', blockRows: 0 }],
    ['MU KL', { solver: 'mu-beta', beta: 1 }],
    ['HALS', { solver: 'hals' }],
  ] as [string, Partial<FitSpec>][])('float32 %s: T = 2 gives the same bits twice, and T = 1 to 1e-5', async (_, changes) => {
    const f32 = { ...changes, dtype: 'float32' as const };
    const first = await wasmFit(f32, 2);
    const second = await wasmFit(f32, 2);
    expect(second.W).toEqual(first.W);
    expect(second.H).toEqual(first.H);
    const alone = await wasmFit(f32, 1);
    expect(relativeError(first.W, alone.W)).toBeLessThan(1e-5);
    expect(relativeError(first.H, alone.H)).toBeLessThan(1e-5);
  });

  it('a team fit aborted mid-fit rejects with an AbortError; the next team fit gives the same bits as before', async () => {
    const big = randomMatrix(300, 400, 21);
    const options = { rank: 8, seed: 4, maxIter: 30, tol: 0, backend: 'wasm', threads: 2 } as const;
    const before = await nmf(big, options);
    const controller = new AbortController();
    const aborted = nmf(big, {
      ...options,
      maxIter: 1_000_000,
      signal: controller.signal,
      onIteration: ({ iteration }) => void (iteration === 3 && controller.abort('enough')),
    });
    await expect(aborted).rejects.toMatchObject({ name: 'AbortError' });
    const after = await nmf(big, options);
    expect(after.W.data).toEqual(before.W.data);
    expect(after.H.data).toEqual(before.H.data);
  });
});
