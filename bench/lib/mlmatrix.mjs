// Peer (a): the MU loop a JavaScript user would write with ml-matrix — Matrix.mmul, transpose and the
// elementwise mul/div/add, idiomatic and not hand-optimised. Same update order and eps as libfmp's nmf (H first, then
// W with the new H). It computes no change norms (with the tolerance off it has no stop test), unlike nmfkit.
import { Matrix } from 'ml-matrix';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { EPS, frobeniusResidual } from './problems.mjs';
import { measure } from './timing.mjs';

/** ml-matrix's version (its package.json is not in its exports map: found by walking up from its entry file). */
export const ML_MATRIX_VERSION = (() => {
  let dir = dirname(createRequire(import.meta.url).resolve('ml-matrix'));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  try {
    return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version;
  } catch {
    return '?';
  }
})();

/** n iterations of libfmp-compatible MU on ml-matrix matrices. */
export function mlMatrixMU(V, W, H, n, eps) {
  for (let it = 0; it < n; it++) {
    const Wt = W.transpose();
    H = Matrix.mul(H, Wt.mmul(V)).div(Wt.mmul(W).mmul(H).add(eps));
    const Ht = H.transpose();
    W = Matrix.mul(W, V.mmul(Ht)).div(W.mmul(H.mmul(Ht)).add(eps));
  }
  return { W, H };
}

export async function runMlMatrixRow(problem, data, n, policy) {
  const { K, N, R } = problem;
  const V = Matrix.from1DArray(K, N, data.V);
  const W0 = Matrix.from1DArray(K, R, data.W0);
  const H0 = Matrix.from1DArray(R, N, data.H0);
  let check;
  const runOnce = (iterations) => {
    const W = W0.clone();
    const H = H0.clone();
    const t0 = performance.now();
    const out = mlMatrixMU(V, W, H, iterations, EPS);
    const seconds = (performance.now() - t0) / 1000;
    if (iterations === n && !check) {
      check = { frobenius: frobeniusResidual(data.V, Float64Array.from(out.W.to1DArray()), Float64Array.from(out.H.to1DArray()), K, N, R) };
    }
    return seconds;
  };
  const timing = await measure(runOnce, n, policy);
  return {
    id: 'ml-matrix',
    label: `ml-matrix ${ML_MATRIX_VERSION} (JS)`,
    kind: 'peer',
    dtype: 'float64',
    threads: 1,
    vPasses: 2,
    status: 'ok',
    ...timing,
    check,
  };
}
