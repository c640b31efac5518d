/**
 * A truncated SVD for the NNDSVD initialisations, in plain TypeScript (no Node built-ins), deterministic for a
 * given matrix: randomized subspace iteration (Halko, Martinsson & Tropp 2011, Alg. 4.4) followed by an exact
 * small SVD of the projected matrix by one-sided Jacobi (Hestenes).
 *
 * Method, for V (K×N) and r wanted triplets:
 *  1. ℓ = min(r + 10, K, N) probe vectors; Ω (N×ℓ) has entries 2u − 1, u the U[0,1) draws of `Random(seed)`
 *     in row-major order (seed 0 unless given).
 *  2. Q = orth(V·Ω); then q times: Z = orth(Vᵀ·Q), Q = orth(V·Z) — q = 7 when r < 0.1·min(K, N), else 4
 *     (scikit-learn's rule for `randomized_svd`). orth is classical Gram–Schmidt applied twice; a column that
 *     loses all but 1e-13 of its norm (or was zero) becomes a zero column.
 *  3. B = Qᵀ·V (ℓ×N); Bᵀ = P·R with P = orth(Bᵀ) (N×ℓ) and R = Pᵀ·Bᵀ (ℓ×ℓ); one-sided Jacobi on R rotates
 *     its columns until every pair is orthogonal to 1e-15 relative (at most 60 sweeps), accumulating the
 *     rotations in J (ℓ×ℓ), which makes the columns of Bᵀ·J = P·R·J orthogonal too. Then σ_k = ‖(BᵀJ)_k‖,
 *     v_k = (BᵀJ)_k / σ_k and u_k = Q·J_k.
 *  4. The triplets are sorted by σ descending (stable) and the first r kept; each pair (u_k, v_k) is flipped so
 *     that the entry of u_k largest in magnitude (the first of equals) is positive.
 *
 * The products with V (V·Ω, Vᵀ·Q, V·Z, Vᵀ·Q) are not computed here: {@link truncatedSvdSteps} yields each as a
 * {@link VProduct} request and is resumed with its result, so that a fit computes them from its own copy of V on
 * its backend's GEMMs (and, for an async fit, off the calling thread: src/init/from-fit.ts). {@link truncatedSvd}
 * runs the same steps with products in plain TypeScript.
 *
 * Accuracy: when ℓ = min(K, N) (small matrices, or r + 10 ≥ min(K, N)) Q spans the whole range of V and the result
 * is the exact SVD to rounding (~1e-14 relative). Otherwise the error of σ_k and of the subspaces decays like
 * (σ_{ℓ+1}/σ_k)^(2q+1); for NNDSVD, whose output is an initial guess, that is far more than enough.
 */
import { Random } from '../random.js';
import { internalError, rangeError } from '../errors.js';

export interface TruncatedSvd {
  /** Number of triplets. */
  readonly rank: number;
  /** Left singular vectors, K×rank row-major (column k is u_k). */
  readonly U: Float64Array;
  /** Singular values, descending. */
  readonly S: Float64Array;
  /** Right singular vectors, rank×N row-major (row k is v_k). */
  readonly Vt: Float64Array;
}

export interface SvdOptions {
  /** Extra probe vectors beyond r. Default 10. */
  readonly oversamples?: number;
  /** Power iterations. Default 7 when r < 0.1·min(K, N), else 4. */
  readonly powerIterations?: number;
  /** Seed of the probe matrix. Default 0. */
  readonly seed?: number;
}

/**
 * A product with V (K×N) that the SVD's steps ask for: V·X (X N×cols, result K×cols) or, with `transpose`, Vᵀ·X
 * (X K×cols, result N×cols), row-major.
 */
export interface VProduct {
  readonly X: Float64Array;
  readonly cols: number;
  readonly transpose: boolean;
}

/**
 * A point between two parts of the work done here, where an async caller lets its event loop run (their products
 * with V already run off its thread; this keeps the TypeScript in between in short pieces too).
 */
export interface Pause {
  readonly pause: true;
}

export const PAUSE: Pause = { pause: true };

/** Steps that ask for products with V, pause now and then, and end with a value. */
export type VProductSteps<T> = Generator<VProduct | Pause, T, Float64Array | undefined>;

/** Runs `steps` to their end, answering each product request with `answer` (pauses are passed over). */
export function runSteps<T>(steps: VProductSteps<T>, answer: (request: VProduct) => Float64Array): T {
  let next = steps.next();
  while (!next.done) next = steps.next('pause' in next.value ? undefined : answer(next.value));
  return next.value;
}

/** The answer to a product request (a pause is answered with nothing). */
function product(answer: Float64Array | undefined): Float64Array {
  if (!answer) throw internalError('nmfkit internal error: a product request was answered with nothing');
  return answer;
}

/** The products with V in plain TypeScript (the reference, and the tests'). */
export function plainProducts(V: Float64Array, K: number, N: number): (request: VProduct) => Float64Array {
  return ({ X, cols, transpose }) => (transpose ? multiplyTN(V, X, K, N, cols) : multiply(V, X, K, N, cols));
}

/** C = A·B for row-major A (m×n), B (n×p). */
export function multiply(A: Float64Array, B: Float64Array, m: number, n: number, p: number): Float64Array {
  const C = new Float64Array(m * p);
  // Two rows of C at a time share each row of B they read; each entry still sums over k in order, skipping the
  // zeros of A, so the pairing changes the speed, not the bits.
  let i = 0;
  for (; i + 1 < m; i += 2) {
    const out1 = i * p;
    const out2 = out1 + p;
    for (let k = 0; k < n; k++) {
      const a1 = A[i * n + k]!;
      const a2 = A[(i + 1) * n + k]!;
      const row = k * p;
      if (a1 !== 0 && a2 !== 0) {
        for (let j = 0; j < p; j++) {
          const b = B[row + j]!;
          C[out1 + j] = C[out1 + j]! + a1 * b;
          C[out2 + j] = C[out2 + j]! + a2 * b;
        }
      } else if (a1 !== 0) {
        for (let j = 0; j < p; j++) C[out1 + j] = C[out1 + j]! + a1 * B[row + j]!;
      } else if (a2 !== 0) {
        for (let j = 0; j < p; j++) C[out2 + j] = C[out2 + j]! + a2 * B[row + j]!;
      }
    }
  }
  for (; i < m; i++) {
    for (let k = 0; k < n; k++) {
      const a = A[i * n + k]!;
      if (a === 0) continue;
      const row = k * p;
      const out = i * p;
      for (let j = 0; j < p; j++) C[out + j] = C[out + j]! + a * B[row + j]!;
    }
  }
  return C;
}

/** C = Aᵀ·B for row-major A (n×m), B (n×p): C is m×p. */
function multiplyTN(A: Float64Array, B: Float64Array, n: number, m: number, p: number): Float64Array {
  const C = new Float64Array(m * p);
  for (let k = 0; k < n; k++) {
    for (let i = 0; i < m; i++) {
      const a = A[k * m + i]!;
      if (a === 0) continue;
      const row = k * p;
      const out = i * p;
      for (let j = 0; j < p; j++) C[out + j] = C[out + j]! + a * B[row + j]!;
    }
  }
  return C;
}

/**
 * Orthonormalises the columns of Y (rows×cols, row-major) in place, column by column: classical Gram–Schmidt
 * against the columns before, twice (as accurate as modified Gram–Schmidt twice, and it reads Y row by row: the
 * coefficients of a column in one pass over the rows, its update in another).
 */
function orthonormalize(Y: Float64Array, rows: number, cols: number): Float64Array {
  const coef = new Float64Array(cols);
  for (let j = 0; j < cols; j++) {
    let before = 0;
    for (let i = 0; i < rows; i++) before += Y[i * cols + j]! ** 2;
    for (let pass = 0; pass < 2 && j > 0; pass++) {
      coef.fill(0, 0, j);
      for (let i = 0; i < rows; i++) {
        const row = i * cols;
        const y = Y[row + j]!;
        if (y === 0) continue;
        for (let c = 0; c < j; c++) coef[c] = coef[c]! + Y[row + c]! * y;
      }
      for (let i = 0; i < rows; i++) {
        const row = i * cols;
        let projection = 0;
        for (let c = 0; c < j; c++) projection += coef[c]! * Y[row + c]!;
        Y[row + j] = Y[row + j]! - projection;
      }
    }
    let after = 0;
    for (let i = 0; i < rows; i++) after += Y[i * cols + j]! ** 2;
    const keep = before > 0 && after > 1e-26 * before;
    const scale = keep ? 1 / Math.sqrt(after) : 0;
    for (let i = 0; i < rows; i++) Y[i * cols + j] = Y[i * cols + j]! * scale;
  }
  return Y;
}

/**
 * One-sided Jacobi on X (rows×cols, row-major), in place: rotates pairs of columns until they are orthogonal.
 * Returns the accumulated rotation J (cols×cols, row-major), X_final = X_initial·J.
 */
function oneSidedJacobi(X: Float64Array, rows: number, cols: number): Float64Array {
  const J = new Float64Array(cols * cols);
  for (let k = 0; k < cols; k++) J[k * cols + k] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let rotated = false;
    for (let p = 0; p < cols - 1; p++) {
      for (let q = p + 1; q < cols; q++) {
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let i = 0; i < rows; i++) {
          const xp = X[i * cols + p]!;
          const xq = X[i * cols + q]!;
          alpha += xp * xp;
          beta += xq * xq;
          gamma += xp * xq;
        }
        if (gamma === 0 || Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let i = 0; i < rows; i++) {
          const xp = X[i * cols + p]!;
          const xq = X[i * cols + q]!;
          X[i * cols + p] = c * xp - s * xq;
          X[i * cols + q] = s * xp + c * xq;
        }
        for (let i = 0; i < cols; i++) {
          const jp = J[i * cols + p]!;
          const jq = J[i * cols + q]!;
          J[i * cols + p] = c * jp - s * jq;
          J[i * cols + q] = s * jp + c * jq;
        }
      }
    }
    if (!rotated) break;
  }
  return J;
}

/** The r leading singular triplets of V (K×N, row-major), r ≤ min(K, N), with products in plain TypeScript. */
export function truncatedSvd(V: Float64Array, K: number, N: number, r: number, options: SvdOptions = {}): TruncatedSvd {
  return runSteps(truncatedSvdSteps(K, N, r, options), plainProducts(V, K, N));
}

/**
 * The r leading singular triplets of the K×N matrix V, r ≤ min(K, N), asking for every product with V (see the
 * file comment for the method).
 */
export function* truncatedSvdSteps(K: number, N: number, r: number, options: SvdOptions = {}): VProductSteps<TruncatedSvd> {
  if (!(Number.isInteger(r) && r >= 1 && r <= Math.min(K, N))) {
    throw rangeError('NMFKIT_INVALID_VALUE', `truncatedSvd: rank must be an integer in [1, min(K, N) = ${Math.min(K, N)}], got ${r}`);
  }
  const ell = Math.min(r + (options.oversamples ?? 10), K, N);
  const q = options.powerIterations ?? (r < 0.1 * Math.min(K, N) ? 7 : 4);
  const random = new Random(options.seed ?? 0);
  const omega = new Float64Array(N * ell);
  for (let k = 0; k < omega.length; k++) omega[k] = 2 * random.nextDouble() - 1;

  let Q = orthonormalize(product(yield { X: omega, cols: ell, transpose: false }), K, ell);
  for (let t = 0; t < q; t++) {
    const Z = orthonormalize(product(yield { X: Q, cols: ell, transpose: true }), N, ell);
    Q = orthonormalize(product(yield { X: Z, cols: ell, transpose: false }), K, ell);
  }
  // Bᵀ = Vᵀ·Q (N×ℓ) = P·R with P = orth(Bᵀ) and R = Pᵀ·Bᵀ (ℓ×ℓ); one-sided Jacobi makes R's columns orthogonal,
  // R·J, and then those of Bᵀ·J = P·R·J too: Bᵀ·J = [σ_k v_k]. (Jacobi on the small R instead of the N×ℓ Bᵀ.)
  const BtInput = product(yield { X: Q, cols: ell, transpose: true });
  const P = orthonormalize(BtInput.slice(), N, ell);
  yield PAUSE;
  const R = multiplyTN(P, BtInput, N, ell, ell);
  const J = oneSidedJacobi(R, ell, ell);
  yield PAUSE;
  const Bt = multiply(BtInput, J, N, ell, ell);
  yield PAUSE;
  const sigma = new Float64Array(ell);
  for (let k = 0; k < ell; k++) {
    let s = 0;
    for (let i = 0; i < N; i++) s += Bt[i * ell + k]! ** 2;
    sigma[k] = Math.sqrt(s);
  }
  const order = Array.from({ length: ell }, (_, k) => k).sort((a, b) => sigma[b]! - sigma[a]! || a - b);
  const QJ = multiply(Q, J, K, ell, ell);
  yield PAUSE;

  const U = new Float64Array(K * r);
  const S = new Float64Array(r);
  const Vt = new Float64Array(r * N);
  for (let out = 0; out < r; out++) {
    const k = order[out]!;
    S[out] = sigma[k]!;
    let big = 0;
    let sign = 1;
    for (let i = 0; i < K; i++) {
      const u = QJ[i * ell + k]!;
      if (Math.abs(u) > big) {
        big = Math.abs(u);
        sign = u < 0 ? -1 : 1;
      }
    }
    for (let i = 0; i < K; i++) U[i * r + out] = sign * QJ[i * ell + k]!;
    const inv = sigma[k]! > 0 ? sign / sigma[k]! : 0;
    for (let j = 0; j < N; j++) Vt[out * N + j] = inv * Bt[j * ell + k]!;
  }
  return { rank: r, U, S, Vt };
}
