/**
 * NNDSVD initialisations (Boutsidis & Gallopoulos 2008) with scikit-learn's three variants:
 *
 *  - 'nndsvd':   the nonnegative double SVD; entries below the truncation threshold are 0 (sparse start);
 *  - 'nndsvda':  the zeros filled with mean(V);
 *  - 'nndsvdar': the zeros filled with |mean(V)·z| / 100, z standard normal (small random values).
 *
 * With (σ_j, u_j, v_j) the r leading singular triplets of V (src/init/svd.ts, probe seed 0, so 'nndsvd' and
 * 'nndsvda' depend on V alone):
 *   W[:, 0] = √σ_0·|u_0|,  H[0, :] = √σ_0·|v_0|;
 *   for j ≥ 1, with x = u_j, y = v_j, their positive parts x₊, y₊ and negative parts x₋ = max(−x, 0), y₋:
 *     m₊ = ‖x₊‖‖y₊‖, m₋ = ‖x₋‖‖y₋‖; if m₊ > m₋ take (a, b, m) = (x₊/‖x₊‖, y₊/‖y₊‖, m₊), else (x₋/‖x₋‖, y₋/‖y₋‖, m₋);
 *     W[:, j] = √(σ_j·m)·a,  H[j, :] = √(σ_j·m)·b   (both 0 when m = 0).
 * Then every entry of W below 1e-6·max(W) is set to 0, and every entry of H below 1e-6·max(H). (scikit-learn
 * truncates below an absolute 1e-6; nmfkit's threshold is relative so that NNDSVD of c·V is √c times NNDSVD of V;
 * the two agree for data whose factors peak around 1.)
 * mean(V) is taken from its column sums (the sum of the column sums, ÷ K·N).
 * 'nndsvdar' draws z by Box–Muller from `Random(seed)`: z = √(−2·ln(1 − u₁))·cos(2π·u₂), two draws per zero,
 * zeros of W first (row-major), then those of H.
 *
 * Preconditions (the facade validates): V is K×N row-major, finite, ≥ 0; 1 ≤ r ≤ min(K, N).
 */
import { Random } from '../random.js';
import { internalError } from '../errors.js';
import { plainProducts, runSteps, truncatedSvdSteps, type TruncatedSvd, type VProductSteps } from './svd.js';

export type NndsvdVariant = 'nndsvd' | 'nndsvda' | 'nndsvdar';

export interface Factors {
  /** K×R, row-major. */
  readonly W: Float64Array;
  /** R×N, row-major. */
  readonly H: Float64Array;
}

/** Relative truncation threshold of NNDSVD. */
export const NNDSVD_TRUNCATION = 1e-6;

/** mean(V), summed in row-major order. */
export function meanOf(V: ArrayLike<number>): number {
  let sum = 0;
  for (let k = 0; k < V.length; k++) sum += V[k]!;
  return V.length === 0 ? 0 : sum / V.length;
}

/** mean(V) from the column sums of V (K rows): their sum, in column order, ÷ K·N. */
export function columnSumsMean(columnSums: ArrayLike<number>, K: number): number {
  let sum = 0;
  for (let j = 0; j < columnSums.length; j++) sum += columnSums[j]!;
  return columnSums.length === 0 ? 0 : sum / (K * columnSums.length);
}

/** A standard normal draw by Box–Muller (cosine branch), two uniform draws. */
export function standardNormal(random: Random): number {
  const u1 = random.nextDouble();
  const u2 = random.nextDouble();
  return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
}

/** Euclidean norm of the positive (sign 1) or negative (sign −1) part of v. */
function partNorm(v: ArrayLike<number>, sign: 1 | -1): number {
  let s = 0;
  for (let k = 0; k < v.length; k++) {
    const x = sign * v[k]!;
    if (x > 0) s += x * x;
  }
  return Math.sqrt(s);
}

/**
 * The NNDSVD factors from given singular triplets (exposed so tests can feed an exact SVD). `scale`: the triplets
 * are those of scale·V (a power of two, {@link svdScale}); the factors are V's all the same.
 */
export function nndsvdFromSvd(svd: TruncatedSvd, K: number, N: number, scale = 1): Factors {
  const unscale = Math.sqrt(scale);
  const R = svd.rank;
  const W = new Float64Array(K * R);
  const H = new Float64Array(R * N);
  const u = new Float64Array(K);
  const v = new Float64Array(N);
  for (let j = 0; j < R; j++) {
    for (let i = 0; i < K; i++) u[i] = svd.U[i * R + j]!;
    for (let c = 0; c < N; c++) v[c] = svd.Vt[j * N + c]!;
    const sigma = svd.S[j]!;
    if (j === 0) {
      const root = Math.sqrt(sigma) / unscale;
      for (let i = 0; i < K; i++) W[i * R] = root * Math.abs(u[i]!);
      for (let c = 0; c < N; c++) H[c] = root * Math.abs(v[c]!);
      continue;
    }
    const xp = partNorm(u, 1);
    const yp = partNorm(v, 1);
    const xn = partNorm(u, -1);
    const yn = partNorm(v, -1);
    const mp = xp * yp;
    const mn = xn * yn;
    const sign = mp > mn ? 1 : -1;
    const m = mp > mn ? mp : mn;
    if (!(m > 0)) continue;
    const lambda = Math.sqrt(sigma * m) / unscale;
    const xNorm = sign === 1 ? xp : xn;
    const yNorm = sign === 1 ? yp : yn;
    for (let i = 0; i < K; i++) W[i * R + j] = lambda * (Math.max(sign * u[i]!, 0) / xNorm);
    for (let c = 0; c < N; c++) H[j * N + c] = lambda * (Math.max(sign * v[c]!, 0) / yNorm);
  }
  truncate(W);
  truncate(H);
  return { W, H };
}

/**
 * The power of two the SVD of a V this small is computed on (its products' operands scaled by it): 1 unless V's
 * largest entry is below 2^-400, where the squares the SVD sums (norms, Gram–Schmidt) underflow and a nonzero V
 * would come out with σ = 0 and all-zero factors; then the largest entry is brought to about 1 (at most 2^1000, so
 * the probe vectors stay finite). Scaling by a power of two is exact, so every V the SVD handled before gives the
 * same factors.
 */
export function svdScale(V: ArrayLike<number>): number {
  let max = 0;
  for (let k = 0; k < V.length; k++) if (V[k]! > max) max = V[k]!;
  if (!(max > 0) || max >= 2 ** -400) return 1;
  return 2 ** Math.min(-Math.floor(Math.log2(max)), 1000);
}

/** The steps of an SVD of scale·V: every product's operand X multiplied by `scale`. */
function* scaledSteps<T>(steps: VProductSteps<T>, scale: number): VProductSteps<T> {
  if (scale === 1) return yield* steps;
  let next = steps.next();
  while (!next.done) {
    const request = next.value;
    if ('pause' in request) {
      next = steps.next(yield request);
      continue;
    }
    const { X, cols, transpose } = request;
    next = steps.next(yield { X: X.map((x) => x * scale), cols, transpose });
  }
  return next.value;
}

function truncate(X: Float64Array): void {
  let max = 0;
  for (const x of X) if (x > max) max = x;
  const threshold = NNDSVD_TRUNCATION * max;
  for (let k = 0; k < X.length; k++) if (X[k]! < threshold) X[k] = 0;
}

/**
 * NNDSVD, NNDSVDa or NNDSVDar initial factors of V (K×N) for rank R ≤ min(K, N), with products in plain
 * TypeScript. `seed` is used by 'nndsvdar' only.
 */
export function nndsvd(V: Float64Array, K: number, N: number, R: number, variant: NndsvdVariant = 'nndsvd', seed = 0): Factors {
  return runSteps(nndsvdSteps(K, N, R, variant, seed, svdScale(V)), plainProducts(V, K, N));
}

/**
 * The same, asking for every product with V (src/init/svd.ts, VProduct). mean(V) comes from one of them, Vᵀ·1:
 * the column sums, added in column order.
 */
export function* nndsvdSteps(K: number, N: number, R: number, variant: NndsvdVariant, seed: number, scale = 1): VProductSteps<Factors> {
  const { W, H } = nndsvdFromSvd(yield* scaledSteps(truncatedSvdSteps(K, N, R), scale), K, N, scale);
  if (variant === 'nndsvd') return { W, H };
  const columnSums = yield { X: new Float64Array(K).fill(1), cols: 1, transpose: true };
  if (!columnSums) throw internalError('nmfkit internal error: the column sums of V were answered with nothing');
  const mean = columnSumsMean(columnSums, K);
  if (variant === 'nndsvda') {
    for (const X of [W, H]) for (let k = 0; k < X.length; k++) if (X[k] === 0) X[k] = mean;
    return { W, H };
  }
  const random = new Random(seed);
  for (const X of [W, H]) for (let k = 0; k < X.length; k++) if (X[k] === 0) X[k] = Math.abs(mean * standardNormal(random)) / 100;
  return { W, H };
}
