/**
 * Normalisation of the factors after the loop (docs/algorithms.md §8): each learned component r whose column of W
 * has a norm s > 0 gets W[:, r] / s and H[r, :] · s, so W·H is unchanged up to rounding.
 *
 *  - 'max': s = the largest entry of the column (the seed's normalisation; the kernels' `finish('max')`);
 *  - 'l1':  s = Σ_i W_ir (the entries are ≥ 0), summed i = 0 … K−1;
 *  - 'l2':  s = √(Σ_i W_ir²), summed i = 0 … K−1.
 *
 * A component is learned when its column of W is (updateW ≠ false and r ∉ fixedColumnsW) and H is
 * (updateH ≠ false): factors the caller fixed come back bit-identical.
 */

export type NormalizeMode = 'none' | 'max' | 'l1' | 'l2';

export interface Learned {
  readonly updateW?: boolean;
  readonly updateH?: boolean;
  readonly fixedColumnsW?: readonly number[];
}

/** The norm of column r of W (K×R, row-major) for a mode. */
export function columnNorm(W: Float64Array, K: number, R: number, r: number, mode: Exclude<NormalizeMode, 'none'>): number {
  let s = 0;
  for (let i = 0; i < K; i++) {
    const w = W[i * R + r]!;
    if (mode === 'max') s = Math.max(s, w);
    else if (mode === 'l1') s += w;
    else s += w * w;
  }
  return mode === 'l2' ? Math.sqrt(s) : s;
}

/**
 * Normalises W (K×R) and H (R×N) in place. Returns the factor s applied to each component (1 where none was).
 */
export function normalizeFactors(
  W: Float64Array,
  H: Float64Array,
  K: number,
  N: number,
  R: number,
  mode: NormalizeMode,
  learned: Learned = {},
): Float64Array {
  const scales = new Float64Array(R).fill(1);
  if (mode === 'none' || learned.updateW === false || learned.updateH === false) return scales;
  const fixed = new Set(learned.fixedColumnsW ?? []);
  for (let r = 0; r < R; r++) {
    if (fixed.has(r)) continue;
    const s = columnNorm(W, K, R, r, mode);
    if (!(s > 0)) continue;
    for (let i = 0; i < K; i++) W[i * R + r] = W[i * R + r]! / s;
    for (let j = 0; j < N; j++) H[r * N + j] = H[r * N + j]! * s;
    scales[r] = s;
  }
  return scales;
}
