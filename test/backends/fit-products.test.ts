/**
 * The products with V a fit computes for an initialisation (KernelFit.multiplyV, setFactors; src/init/from-fit.ts),
 * on every backend, fit kind (sync, async in a worker or inline) and dtype: V·X and Vᵀ·X against a plain product,
 * the new factors used from the first iteration on, bad arguments refused, and nothing once the fit has started.
 */
import { describe, expect, it } from 'vitest';
import type { AsyncKernelFit, Dtype, FitProblem, KernelFit } from '../../src/contract.js';
import { chooseBackend } from '../../src/entry/node.js';
import { inlineAsyncFit } from '../../src/backends/wasm-inline.js';
import { testSpec } from '../support/fit-spec.js';
import { BACKENDS, backendAvailable, randomMatrix, relativeError } from '../support/helpers.js';
import { mat, mul, mulTN } from '../reference/linalg.js';

const K = 37;
const N = 53;
const R = 4;
const V = randomMatrix(K, N, 5);

function problem(dtype: Dtype, threads = 1): FitProblem {
  return {
    spec: testSpec(K, N, R, { dtype, threads, tol: 0, stop: 'none' }),
    V: V.data.slice(),
    W: randomMatrix(K, R, 6).data,
    H: randomMatrix(R, N, 7).data,
    mask: null,
    fixedColumnsW: new Uint8Array(R),
  };
}

describe.each(BACKENDS)('products with V on %s', (backend) => {
  const run = it.runIf(backendAvailable(backend));
  const tolerance = (dtype: Dtype): number => (dtype === 'float32' ? 1e-6 : 1e-13);

  run.each(['float64', 'float32'] as const)('%s: V·X and Vᵀ·X, sync and async, on teams of 1 and 2', async (dtype) => {
    const X = randomMatrix(N, 3, 8);
    const Y = randomMatrix(K, 3, 9);
    const VX = mul(mat(K, N, V.data), mat(N, 3, X.data)).data;
    const VtY = mulTN(mat(K, N, V.data), mat(K, 3, Y.data)).data;
    for (const threads of [1, 2]) {
      const sync = chooseBackend(backend).createFit(problem(dtype, threads));
      expect(relativeError(sync.multiplyV(X.data, 3, false), VX)).toBeLessThan(tolerance(dtype));
      expect(relativeError(sync.multiplyV(Y.data, 3, true), VtY)).toBeLessThan(tolerance(dtype));
      sync.dispose();
      const kinds: [string, () => AsyncKernelFit][] = [
        ['async', () => chooseBackend(backend).createAsyncFit(problem(dtype, threads))],
        ['inline', () => inlineAsyncFit(chooseBackend(backend).createFit(problem(dtype, threads)))],
      ];
      for (const [kind, make] of kinds) {
        const fit = make();
        expect(relativeError(await fit.multiplyVAsync(X.data, 3, false), VX), kind).toBeLessThan(tolerance(dtype));
        expect(relativeError(await fit.multiplyVAsync(Y.data, 3, true), VtY), kind).toBeLessThan(tolerance(dtype));
        expect(X.data.length, 'X is not transferred').toBe(N * 3);
        fit.dispose();
      }
    }
  });

  run('setFactors: the fit starts from the new factors, as one created with them (sync and async)', async () => {
    const W = randomMatrix(K, R, 16).data;
    const H = randomMatrix(R, N, 17).data;
    const steps = 5;
    const ranFrom = (fit: KernelFit): { h: Float64Array; W: Float64Array | Float32Array } => {
      const h = new Float64Array(steps);
      fit.run(steps, h, new Float64Array(steps), 0);
      const result = fit.finish();
      fit.dispose();
      return { h, W: result.W };
    };
    const direct = ranFrom(chooseBackend(backend).createFit({ ...problem('float64'), W: W.slice(), H: H.slice() }));
    const replacing = chooseBackend(backend).createFit(problem('float64'));
    replacing.setFactors(W.slice(), H.slice());
    const replaced = ranFrom(replacing);
    expect(replaced.h).toEqual(direct.h);
    expect(replaced.W).toEqual(direct.W);
    const async = chooseBackend(backend).createAsyncFit(problem('float64'));
    await async.setFactorsAsync(W.slice(), H.slice());
    const h = new Float64Array(steps);
    expect(await async.runAsync(steps, h, new Float64Array(steps), 0)).toBe(steps);
    expect(h).toEqual(direct.h);
    expect((await async.finishAsync()).W).toEqual(direct.W);
    async.dispose();
  });

  run('bad arguments are refused, and both calls once the fit has started', () => {
    const fit = chooseBackend(backend).createFit(problem('float64'));
    expect(() => fit.multiplyV(new Float64Array(N * 2), 3, false)).toThrow(RangeError);
    expect(() => fit.multiplyV(new Float64Array(0), 0, false)).toThrow(RangeError);
    expect(() => fit.multiplyV(new Float64Array(K * (N + 1)), N + 1, true)).toThrow(RangeError);
    expect(() => fit.setFactors(new Float64Array(K * R - 1), new Float64Array(R * N))).toThrow(RangeError);
    fit.run(1, new Float64Array(1), new Float64Array(1), 0);
    expect(() => fit.multiplyV(new Float64Array(N), 1, false)).toThrow(/started/);
    expect(() => fit.setFactors(new Float64Array(K * R), new Float64Array(R * N))).toThrow(/started/);
    fit.dispose();
  });
});
