/**
 * The small algebra of the online solver, in scikit-learn's formulas (sklearn/decomposition/_nmf.py,
 * `_multiplicative_update_h` with its accumulators A, B and `_beta_divergence`) written in nmfkit's orientation:
 * V_b is a chunk (K×b, samples are columns), W the dictionary (K×R), H_b the chunk's activations (R×b). All
 * matrices are row-major Float64Arrays.
 */

import { multiply } from '../init/svd.js';

/** float32 machine epsilon: scikit-learn's EPSILON, the value it puts for a zero of W·H or of a denominator. */
const EPSILON32 = 2 ** -23;
/** float64 machine epsilon: below it, scikit-learn zeroes dictionary entries for β ≤ 1. */
const EPSILON64 = 2 ** -52;

/** A chunk of samples held densely: K×b. */
export interface Chunk {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

/** X·H_bᵀ (K×R) of a K×b matrix X. */
function timesTransposed(X: Float64Array, H: Float64Array, K: number, R: number, b: number): Float64Array {
  const out = new Float64Array(K * R);
  for (let k = 0; k < K; k++) {
    for (let r = 0; r < R; r++) {
      let s = 0;
      for (let j = 0; j < b; j++) s += X[k * b + j]! * H[r * b + j]!;
      out[k * R + r] = s;
    }
  }
  return out;
}

/** The dictionary's statistics: A and B (K×R) of scikit-learn's online update, and the dictionary W = A / B. */
export interface Dictionary {
  readonly W: Float64Array;
  readonly A: Float64Array;
  readonly B: Float64Array;
}

/**
 * One online update of the dictionary from a chunk and its activations (scikit-learn's
 * `_multiplicative_update_h` with A, B, rho; γ = 1 for β in [1, 2]): the MU numerator N and denominator D of W,
 * then A ← ρ·A + N ⊙ W, B ← ρ·B + D, W ← A / B. Returns fresh arrays; the old ones are untouched.
 */
export function updateDictionary(dictionary: Dictionary, V: Chunk, H: Float64Array, R: number, beta: number, rho: number): Dictionary {
  const { rows: K, cols: b } = V;
  const W = dictionary.W;
  let numerator: Float64Array;
  let denominator: Float64Array;
  if (beta === 2) {
    numerator = timesTransposed(V.data, H, K, R, b);
    // D = W·(H_b·H_bᵀ)
    const HHt = new Float64Array(R * R);
    for (let r = 0; r < R; r++) {
      for (let s = 0; s < R; s++) {
        let sum = 0;
        for (let j = 0; j < b; j++) sum += H[r * b + j]! * H[s * b + j]!;
        HHt[r * R + s] = sum;
      }
    }
    denominator = new Float64Array(K * R);
    for (let k = 0; k < K; k++) {
      for (let s = 0; s < R; s++) {
        let sum = 0;
        for (let r = 0; r < R; r++) sum += W[k * R + r]! * HHt[r * R + s]!;
        denominator[k * R + s] = sum;
      }
    }
  } else {
    const WH = multiply(W, H, K, R, b); // Λ = W·H_b (K×b)
    const ratio = new Float64Array(K * b);
    for (let i = 0; i < ratio.length; i++) {
      const lambda = WH[i] === 0 ? EPSILON32 : WH[i]!;
      ratio[i] = beta === 1 ? V.data[i]! / lambda : lambda ** (beta - 2) * V.data[i]!;
    }
    numerator = timesTransposed(ratio, H, K, R, b);
    if (beta === 1) {
      denominator = new Float64Array(K * R);
      for (let r = 0; r < R; r++) {
        let sum = 0;
        for (let j = 0; j < b; j++) sum += H[r * b + j]!;
        if (sum === 0) sum = 1;
        for (let k = 0; k < K; k++) denominator[k * R + r] = sum;
      }
    } else {
      for (let i = 0; i < WH.length; i++) WH[i] = WH[i]! ** (beta - 1);
      denominator = timesTransposed(WH, H, K, R, b);
    }
  }
  const A = new Float64Array(K * R);
  const B = new Float64Array(K * R);
  const next = new Float64Array(K * R);
  for (let i = 0; i < next.length; i++) {
    const d = denominator[i] === 0 ? EPSILON32 : denominator[i]!;
    A[i] = dictionary.A[i]! * rho + numerator[i]! * W[i]!;
    B[i] = dictionary.B[i]! * rho + d;
    const w = A[i]! / B[i]!;
    // scikit-learn's guard for stability with β ≤ 1.
    next[i] = beta <= 1 && w < EPSILON64 ? 0 : w;
  }
  return { W: next, A, B };
}

/**
 * D_β(V_b | W·H_b) as scikit-learn's `_beta_divergence` computes it: ½‖V − Λ‖²_F for β = 2; otherwise over the
 * entries of V above float32 eps only, zeros of Λ replaced by that eps.
 */
export function divergence(V: Chunk, W: Float64Array, H: Float64Array, R: number, beta: number): number {
  const { rows: K, cols: b } = V;
  const WH = multiply(W, H, K, R, b); // Λ = W·H_b (K×b)
  const v = V.data;
  if (beta === 2) {
    let s = 0;
    for (let i = 0; i < v.length; i++) s += (v[i]! - WH[i]!) ** 2;
    return s / 2;
  }
  let sumX = 0;
  let cross = 0;
  let sumWHbeta = 0;
  let sumXbeta = 0;
  for (let i = 0; i < v.length; i++) {
    if (beta !== 1) sumWHbeta += WH[i]! ** beta;
    const x = v[i]!;
    if (!(x > EPSILON32)) continue;
    const lambda = WH[i] === 0 ? EPSILON32 : WH[i]!;
    if (beta === 1) {
      cross += x * Math.log(x / lambda);
      sumX += x;
    } else {
      cross += x * lambda ** (beta - 1);
      sumXbeta += x ** beta;
    }
  }
  if (beta === 1) {
    // Σ W·H from the column sums of W and the row sums of H, as scikit-learn does.
    let sumWH = 0;
    for (let r = 0; r < R; r++) {
      let w = 0;
      for (let k = 0; k < K; k++) w += W[k * R + r]!;
      let h = 0;
      for (let j = 0; j < b; j++) h += H[r * b + j]!;
      sumWH += w * h;
    }
    return cross + sumWH - sumX;
  }
  return (sumXbeta - beta * cross + sumWHbeta * (beta - 1)) / (beta * (beta - 1));
}

/** Σ x and Σ x² of an array. */
export function sums(data: Float64Array): [number, number] {
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < data.length; i++) {
    s += data[i]!;
    s2 += data[i]! * data[i]!;
  }
  return [s, s2];
}

/**
 * scikit-learn's `batch_cost` of a minibatch: (D_β + l1·ΣH_b + l2·ΣH_b²) / b, with the penalties on the activations
 * (its l2 term has no ½, unlike the objective of docs/algorithms.md §1).
 */
export function batchCost(V: Chunk, W: Float64Array, H: Float64Array, R: number, beta: number, l1H: number, l2H: number): number {
  const [s, s2] = sums(H);
  return (divergence(V, W, H, R, beta) + l1H * s + l2H * s2) / V.cols;
}

/** ‖X − Y‖_F / ‖X‖_F: the relative change scikit-learn's solver and stop rule test (NaN for X = 0). */
export function relativeChange(X: Float64Array, Y: Float64Array): number {
  let d = 0;
  let n = 0;
  for (let i = 0; i < X.length; i++) {
    d += (X[i]! - Y[i]!) ** 2;
    n += X[i]! * X[i]!;
  }
  return Math.sqrt(d) / Math.sqrt(n);
}

/** The mean of a chunk's K·b entries. */
export function mean(V: Chunk): number {
  let s = 0;
  for (let i = 0; i < V.data.length; i++) s += V.data[i]!;
  return s / V.data.length;
}
