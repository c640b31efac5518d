/** Builds the public result of a fit from the driver's outcome, and reconstructs W·H from a result. */
import type { DriverOutcome } from './driver.js';
import { rangeError, typeError } from './errors.js';
import type { FitPlan } from './options.js';
import type { BackendName, FactorArray, Matrix, MatrixInput, NmfResult } from './types.js';
import { describe, isArray, readList, readOwnProperty, toMatrix } from './validate.js';

/**
 * C = A·B for row-major A (m×k) and B (k×n), in float64; the i-k-j order streams rows of B and C. With `use`, only
 * the inner indices p with use[p] = 1 count (the reconstruction from some components).
 */
export function multiply(a: Matrix<FactorArray>, b: Matrix<FactorArray>, use?: Uint8Array): Matrix {
  const { rows: m, cols: k } = a;
  const n = b.cols;
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    const ci = i * n;
    for (let p = 0; p < k; p++) {
      if (use && use[p] === 0) continue;
      const aip = a.data[i * k + p]!;
      if (aip === 0) continue;
      const bp = p * n;
      for (let j = 0; j < n; j++) c[ci + j]! += aip * b.data[bp + j]!;
    }
  }
  return { rows: m, cols: n, data: c };
}

/** The components a reconstruction uses: an index, or distinct indices, in [0, rank); undefined for all of them. */
export function componentFlags(components: unknown, rank: number): Uint8Array | undefined {
  if (components === undefined) return undefined;
  const use = new Uint8Array(rank);
  const one = (name: string, c: unknown): void => {
    if (typeof c !== 'number') throw typeError('NMFKIT_INVALID_TYPE', `${name} must be a number, got ${describe(c)}`);
    if (!Number.isInteger(c) || c < 0 || c >= rank) {
      throw rangeError(
        'NMFKIT_INVALID_VALUE',
        `${name} must be a component index, an integer in [0, rank − 1 = ${rank - 1}], got ${describe(c)}`,
      );
    }
    if (use[c]) throw rangeError('NMFKIT_INVALID_VALUE', `${name} = ${c} is listed twice`);
    use[c] = 1;
  };
  if (!isArray(components)) {
    if (typeof components !== 'number') {
      throw typeError('NMFKIT_INVALID_TYPE', `components must be a component index or an array of them, got ${describe(components)}`);
    }
    one('components', components);
    return use;
  }
  const list = readList(
    'components',
    components,
    'a component index or an array of them',
    rank,
    (length) => `components has ${length} entries, more than the rank ${rank}: each component may be listed once`,
  );
  list.forEach((c, i) => one(`components[${i}]`, c));
  return use;
}

/**
 * W·H of a result (of nmfSync, nmf or nmfBatch, or a structured clone of one: any object with matrices W, K×R, and
 * H, R×N, entries finite and ≥ 0) as a fresh K×N float64 matrix; with `components` (an index, or distinct indices
 * in [0, R)), the reconstruction from those components only, Σ_r W[:, r]·H[r, :] — NMF Toolbox's per-component
 * spectrograms. Validated like every argument: a TypeError or RangeError naming `result.W`, `components[i]`, ….
 */
export function reconstruct(result: { readonly W: MatrixInput; readonly H: MatrixInput }, components?: number | readonly number[]): Matrix {
  if (result === null || typeof result !== 'object') {
    throw typeError('NMFKIT_INVALID_TYPE', `result must be a result of nmfkit ({ W, H, … }), got ${describe(result)}`);
  }
  const W = toMatrix('result.W', readOwnProperty('result.W', result, 'W'));
  const H = toMatrix('result.H', readOwnProperty('result.H', result, 'H'));
  if (H.rows !== W.cols) {
    throw rangeError(
      'NMFKIT_INVALID_VALUE',
      `result.H must have as many rows as result.W has columns (the rank, ${W.cols}), got ${H.rows}×${H.cols}`,
    );
  }
  return multiply(W, H, componentFlags(components, W.cols));
}

/**
 * The rule for numbers that cannot be computed. The multiplicative updates square the scale of the data (WᵀW,
 * HHᵀ, the Grams of the changes, the residual's norms), so entries of V beyond about 1e150 (float64; about 1e19
 * in float32) overflow to Infinity and then NaN; with eps = 0, an all-zero row or column of V (or an underflow
 * to 0) divides 0 by 0. A result holding NaN or Infinity would be garbage, so instead a fit whose change norms,
 * factors or errors are not all finite fails with this RangeError: the driver checks every iteration's change
 * norms as it records them, before any callback sees them (a non-finite entry of W or H makes the change norms
 * non-finite, so a fit stops at the first such iteration the driver sees), and {@link buildResult} checks W, H
 * and both errors before returning. Underflow alone is not an error: with eps > 0 tiny data drives W and H
 * towards 0, products below the smallest subnormal (4.9e-324) become 0, and the results stay finite and ≥ 0,
 * exact to an absolute ~1e-150 (README, Guarantees).
 */
export function notComputable(plan: FitPlan, what: string, value: number): RangeError {
  const dtype = plan.spec.dtype;
  const beta = plan.spec.beta;
  const cause =
    beta !== 2 && beta !== 1
      ? `With options.loss β = ${beta}, the updates raise W·H (and the objective V) to powers of β − 2, β − 1 and β, ` +
        `which overflowed or underflowed ${dtype}: scale V towards 1 (divide it by its largest entry) or use a β nearer to [0, 2].`
      : plan.spec.eps === 0
        ? 'With eps = 0, an all-zero row or column of V (or a product that underflowed to 0) divides 0 by 0: use eps > 0 (the default is 2^-23).'
        : `A product of the updates overflowed: entries of V above about ${dtype === 'float32' ? '1e19' : '1e150'} square to more ` +
          `than the largest ${dtype} (${dtype === 'float32' ? '3.4e38' : '1.8e308'}). Scale V down (divide it by its largest entry, ` +
          'fit, and multiply W by the same factor).';
  return rangeError('NMFKIT_NOT_COMPUTABLE', `nmfkit: the fit cannot be computed in ${dtype}: ${what} is ${value}. ${cause}`);
}

/** Throws {@link notComputable} unless every entry of a result matrix is finite. */
function checkFinite(plan: FitPlan, name: 'W' | 'H', m: Matrix<FactorArray>): void {
  const { data, cols } = m;
  for (let k = 0; k < data.length; k++) {
    const x = data[k]!;
    if (x - x !== 0) throw notComputable(plan, `${name}.data[${k}] (row ${Math.floor(k / cols)}, column ${k % cols})`, x);
  }
}

/**
 * The public result of the kept run. `seed`: that run's seed; `restartObjectives`: every run's objective (just
 * the kept one's without restarts).
 */
export function buildResult(
  plan: FitPlan,
  outcome: DriverOutcome,
  backend: BackendName,
  seed: number | null = plan.seed,
  restartObjectives: Float64Array = Float64Array.of(outcome.kernel.objective),
): NmfResult {
  const { rows, cols, rank } = plan.spec;
  const W: Matrix<FactorArray> = { rows, cols: rank, data: outcome.kernel.W };
  const H: Matrix<FactorArray> = { rows: rank, cols, data: outcome.kernel.H };
  // The spectral error is NaN, not computed, when the specification says so.
  for (const name of plan.spec.spectralError ? (['spectralError', 'frobeniusError'] as const) : (['frobeniusError'] as const)) {
    if (!Number.isFinite(outcome.kernel[name])) throw notComputable(plan, name, outcome.kernel[name]);
  }
  checkFinite(plan, 'W', W);
  checkFinite(plan, 'H', H);
  const result = {
    W,
    H,
    iterations: outcome.iterations,
    converged: outcome.stopReason === 'tol',
    stopReason: outcome.stopReason,
    hChange: outcome.hChange,
    wChange: outcome.wChange,
    spectralError: outcome.kernel.spectralError,
    frobeniusError: outcome.kernel.frobeniusError,
    objective: outcome.kernel.objective,
    objectiveHistory: outcome.objectiveHistory,
    restartObjectives,
    backend,
    seed,
  };
  // Plain data, and a method beside it that structured clone leaves behind: not enumerable, so neither a clone
  // nor a spread nor JSON sees it.
  return Object.defineProperty(result, 'reconstruct', {
    value: (components?: number | readonly number[]): Matrix => multiply(W, H, componentFlags(components, rank)),
    enumerable: false,
    writable: true,
    configurable: true,
  }) as typeof result & Pick<NmfResult, 'reconstruct'>;
}
