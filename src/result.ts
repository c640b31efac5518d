/** Builds the public result of a fit from the driver's outcome. */
import type { DriverOutcome } from './driver.js';
import type { FitPlan } from './options.js';
import type { BackendName, Matrix, NmfResult } from './types.js';

/** C = A·B for row-major A (m×k) and B (k×n); the i-k-j order streams rows of B and C. */
export function multiply(a: Matrix, b: Matrix): Matrix {
  const { rows: m, cols: k } = a;
  const n = b.cols;
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    const ci = i * n;
    for (let p = 0; p < k; p++) {
      const aip = a.data[i * k + p]!;
      if (aip === 0) continue;
      const bp = p * n;
      for (let j = 0; j < n; j++) c[ci + j]! += aip * b.data[bp + j]!;
    }
  }
  return { rows: m, cols: n, data: c };
}

export function buildResult(plan: FitPlan, outcome: DriverOutcome, backend: BackendName): NmfResult {
  const { rows, cols, rank } = plan.problem;
  const W: Matrix = { rows, cols: rank, data: outcome.kernel.W };
  const H: Matrix = { rows: rank, cols, data: outcome.kernel.H };
  return {
    W,
    H,
    iterations: outcome.iterations,
    converged: outcome.stopReason === 'tol',
    stopReason: outcome.stopReason,
    hChange: outcome.hChange,
    wChange: outcome.wChange,
    spectralError: outcome.kernel.spectralError,
    frobeniusError: outcome.kernel.frobeniusError,
    backend,
    seed: plan.seed,
    reconstruct: () => multiply(W, H),
  };
}
