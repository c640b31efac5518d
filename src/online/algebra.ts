/**
 * The small algebra of the online solver, in scikit-learn's formulas (sklearn/decomposition/_nmf.py,
 * `_multiplicative_update_h` with its accumulators A, B and `_beta_divergence`) written in nmfkit's orientation:
 * V_b is a chunk (K×b, samples are columns), W the dictionary (K×R), H_b the chunk's activations (R×b). All
 * matrices are row-major Float64Arrays. A chunk read from CSR input stays CSR: its products cost nnz·R, not K·b·R,
 * except where a formula needs W·H_b at every entry (β other than 1 and 2), which scikit-learn computes densely too.
 */

import { denseEntries, type CsrMatrix } from '../csr.js';
import { multiply } from '../init/svd.js';
import type { CsrMatrixInput, Matrix } from '../types.js';

/** float32 machine epsilon: scikit-learn's EPSILON, the value it puts for a zero of W·H or of a denominator. */
const EPSILON32 = 2 ** -23;
/** float64 machine epsilon: below it, scikit-learn zeroes dictionary entries for β ≤ 1. */
const EPSILON64 = 2 ** -52;

/** A chunk of samples held densely: K×b. */
export interface DenseChunk {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

/** A chunk of samples, K×b: dense, or CSR when it was given as CSR (absent entries are zeros). */
export type Chunk = DenseChunk | CsrMatrix;

export function isSparse(V: Chunk): V is CsrMatrix {
  return 'indptr' in V;
}

/** The chunk in the form nmf takes. */
export function chunkInput(V: Chunk): Matrix | CsrMatrixInput {
  if (!isSparse(V)) return V;
  const { rows, cols, indptr, indices, data } = V;
  return { format: 'csr', rows, cols, indptr, indices, data };
}

/** The chunk's K·b entries, densely. */
function denseOf(V: Chunk): DenseChunk {
  return isSparse(V) ? { rows: V.rows, cols: V.cols, data: denseEntries(V, 'chunk') } : V;
}

/** H_b (R×b) transposed, b×R: each sample's activations side by side. */
function transposed(H: Float64Array, R: number, b: number): Float64Array {
  const out = new Float64Array(b * R);
  for (let r = 0; r < R; r++) for (let j = 0; j < b; j++) out[j * R + r] = H[r * b + j]!;
  return out;
}

/** (W·H_b) at the stored entries of a CSR chunk, in its order; Ht is H_b transposed (b×R). */
function storedProducts(V: CsrMatrix, W: Float64Array, Ht: Float64Array, R: number): Float64Array {
  const out = new Float64Array(V.nnz);
  for (let i = 0; i < V.rows; i++) {
    for (let p = V.indptr[i]!; p < V.indptr[i + 1]!; p++) {
      const j = V.indices[p]!;
      let s = 0;
      for (let r = 0; r < R; r++) s += W[i * R + r]! * Ht[j * R + r]!;
      out[p] = s;
    }
  }
  return out;
}

/**
 * Λ = W·H_b where the loss reads it: at the stored entries of a CSR chunk (in its order) for β = 1 and 2, at every
 * entry (K×b) otherwise. A minibatch step forms it once for its divergence and its dictionary update.
 */
export function modelAt(V: Chunk, W: Float64Array, H: Float64Array, R: number, beta: number): Float64Array {
  if (isSparse(V) && (beta === 1 || beta === 2)) return storedProducts(V, W, transposed(H, R, V.cols), R);
  return multiply(W, H, V.rows, R, V.cols);
}

/**
 * X·H_bᵀ (K×R) where X has the chunk's pattern and `values` at its stored entries; Ht is H_b transposed. Two stored
 * entries at a time: each pass over a row of the result then does twice the work for its loads and stores.
 */
function sparseTimesTransposed(V: CsrMatrix, values: Float64Array, Ht: Float64Array, R: number): Float64Array {
  const out = new Float64Array(V.rows * R);
  const { indptr, indices } = V;
  for (let i = 0; i < V.rows; i++) {
    const o = i * R;
    const end = indptr[i + 1]!;
    let p = indptr[i]!;
    for (; p + 1 < end; p += 2) {
      const v1 = values[p]!;
      const v2 = values[p + 1]!;
      const h1 = indices[p]! * R;
      const h2 = indices[p + 1]! * R;
      for (let r = 0; r < R; r++) out[o + r] = out[o + r]! + v1 * Ht[h1 + r]! + v2 * Ht[h2 + r]!;
    }
    if (p < end) {
      const v = values[p]!;
      const h = indices[p]! * R;
      for (let r = 0; r < R; r++) out[o + r] = out[o + r]! + v * Ht[h + r]!;
    }
  }
  return out;
}

/**
 * X·H_bᵀ (K×R) of a K×b matrix X: dot products of rows, two rows of X against two of H_b at a time (each entry
 * still sums over the samples in order, so the blocks change the speed, not the bits).
 */
function timesTransposed(X: Float64Array, H: Float64Array, K: number, R: number, b: number): Float64Array {
  const out = new Float64Array(K * R);
  for (let k = 0; k < K; k += 2) {
    const x1 = k * b;
    // The last row of an odd K is paired with itself.
    const x2 = k + 1 < K ? x1 + b : x1;
    for (let r = 0; r < R; r += 2) {
      const h1 = r * b;
      const h2 = r + 1 < R ? h1 + b : h1;
      let s11 = 0;
      let s12 = 0;
      let s21 = 0;
      let s22 = 0;
      for (let j = 0; j < b; j++) {
        const a1 = X[x1 + j]!;
        const a2 = X[x2 + j]!;
        const c1 = H[h1 + j]!;
        const c2 = H[h2 + j]!;
        s11 += a1 * c1;
        s12 += a1 * c2;
        s21 += a2 * c1;
        s22 += a2 * c2;
      }
      out[k * R + r] = s11;
      if (r + 1 < R) out[k * R + r + 1] = s12;
      if (k + 1 < K) {
        out[(k + 1) * R + r] = s21;
        if (r + 1 < R) out[(k + 1) * R + r + 1] = s22;
      }
    }
  }
  return out;
}

/** H_b·H_bᵀ (R×R). */
function rowGram(H: Float64Array, R: number, b: number): Float64Array {
  return timesTransposed(H, H, R, R, b);
}

/** Wᵀ·W (R×R). */
function columnGram(W: Float64Array, K: number, R: number): Float64Array {
  const out = new Float64Array(R * R);
  for (let k = 0; k < K; k++) {
    for (let r = 0; r < R; r++) {
      const w = W[k * R + r]!;
      for (let s = 0; s < R; s++) out[r * R + s] = out[r * R + s]! + w * W[k * R + s]!;
    }
  }
  return out;
}

/** Σ of the entries of W·H_b, from the column sums of W and the row sums of H, as scikit-learn computes it. */
function sumOfProduct(W: Float64Array, H: Float64Array, K: number, R: number, b: number): number {
  let sumWH = 0;
  for (let r = 0; r < R; r++) {
    let w = 0;
    for (let k = 0; k < K; k++) w += W[k * R + r]!;
    let h = 0;
    for (let j = 0; j < b; j++) h += H[r * b + j]!;
    sumWH += w * h;
  }
  return sumWH;
}

/** The dictionary's statistics: A and B (K×R) of scikit-learn's online update, and the dictionary W = A / B. */
export interface Dictionary {
  readonly W: Float64Array;
  readonly A: Float64Array;
  readonly B: Float64Array;
}

/**
 * The MU numerator and denominator of the dictionary (K×R each) for a chunk and its activations; `WH`: Λ from
 * {@link modelAt}, formed here when not given.
 */
function dictionaryRatio(
  V: Chunk,
  W: Float64Array,
  H: Float64Array,
  R: number,
  beta: number,
  WH: Float64Array | undefined,
): [Float64Array, Float64Array] {
  const { rows: K, cols: b } = V;
  if (beta === 2) {
    // N = V_b·H_bᵀ, D = W·(H_b·H_bᵀ)
    const numerator = isSparse(V) ? sparseTimesTransposed(V, V.data, transposed(H, R, b), R) : timesTransposed(V.data, H, K, R, b);
    return [numerator, multiply(W, rowGram(H, R, b), K, R, R)];
  }
  let numerator: Float64Array;
  if (beta === 1 && isSparse(V)) {
    // V_b / Λ is zero where V_b is, so only its stored entries need Λ.
    const Ht = transposed(H, R, b);
    const lambda = WH ?? storedProducts(V, W, Ht, R);
    const ratio = new Float64Array(lambda.length);
    for (let p = 0; p < lambda.length; p++) ratio[p] = V.data[p]! / (lambda[p] === 0 ? EPSILON32 : lambda[p]!);
    numerator = sparseTimesTransposed(V, ratio, Ht, R);
  } else {
    const v = denseOf(V).data;
    const model = WH ?? multiply(W, H, K, R, b); // Λ = W·H_b (K×b)
    const ratio = new Float64Array(K * b);
    for (let i = 0; i < ratio.length; i++) {
      const lambda = model[i] === 0 ? EPSILON32 : model[i]!;
      ratio[i] = beta === 1 ? v[i]! / lambda : lambda ** (beta - 2) * v[i]!;
    }
    numerator = timesTransposed(ratio, H, K, R, b);
    if (beta !== 1) {
      // Λ^(β−1) into the ratio's array, which the numerator is done with (Λ may be the caller's).
      for (let i = 0; i < model.length; i++) ratio[i] = model[i]! ** (beta - 1);
      return [numerator, timesTransposed(ratio, H, K, R, b)];
    }
  }
  // β = 1: D is the row sums of H_b, the same in every row.
  const denominator = new Float64Array(K * R);
  for (let r = 0; r < R; r++) {
    let sum = 0;
    for (let j = 0; j < b; j++) sum += H[r * b + j]!;
    if (sum === 0) sum = 1;
    for (let k = 0; k < K; k++) denominator[k * R + r] = sum;
  }
  return [numerator, denominator];
}

/**
 * One online update of the dictionary from a chunk and its activations (scikit-learn's
 * `_multiplicative_update_h` with A, B, rho; γ = 1 for β in [1, 2]): the MU numerator N and denominator D of W,
 * then A ← ρ·A + N ⊙ W, B ← ρ·B + D, W ← A / B. Returns fresh arrays; the old ones are untouched. `WH`: Λ of
 * the dictionary and these activations from {@link modelAt}, formed here when not given.
 */
export function updateDictionary(
  dictionary: Dictionary,
  V: Chunk,
  H: Float64Array,
  R: number,
  beta: number,
  rho: number,
  WH?: Float64Array,
): Dictionary {
  const W = dictionary.W;
  const [numerator, denominator] = dictionaryRatio(V, W, H, R, beta, WH);
  const A = new Float64Array(W.length);
  const B = new Float64Array(W.length);
  const next = new Float64Array(W.length);
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
 * entries of V above float32 eps only, zeros of Λ replaced by that eps. `WH`: Λ from {@link modelAt}.
 */
export function divergence(V: Chunk, W: Float64Array, H: Float64Array, R: number, beta: number, WH = modelAt(V, W, H, R, beta)): number {
  if (isSparse(V) && beta === 2) return sparseSquaredError(V, W, H, R, WH);
  if (isSparse(V) && beta === 1) return sparseKullbackLeibler(V, W, H, R, WH);
  const { rows: K, cols: b } = V;
  const v = denseOf(V).data;
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
  if (beta === 1) return cross + sumOfProduct(W, H, K, R, b) - sumX;
  return (sumXbeta - beta * cross + sumWHbeta * (beta - 1)) / (beta * (beta - 1));
}

/**
 * ½‖V − Λ‖²_F of a CSR chunk: the stored entries' (v − λ)², plus Σλ² over the absent ones, which is
 * ⟨WᵀW, H_b·H_bᵀ⟩ (Σλ² over all entries) less Σλ² over the stored ones.
 */
function sparseSquaredError(V: CsrMatrix, W: Float64Array, H: Float64Array, R: number, lambda: Float64Array): number {
  let stored = 0;
  for (let p = 0; p < lambda.length; p++) stored += (V.data[p]! - lambda[p]!) ** 2 - lambda[p]! ** 2;
  const WtW = columnGram(W, V.rows, R);
  const HHt = rowGram(H, R, V.cols);
  let all = 0;
  for (let i = 0; i < R * R; i++) all += WtW[i]! * HHt[i]!;
  return Math.max(0, stored + all) / 2;
}

/** The Kullback-Leibler divergence of a CSR chunk: its terms at the stored entries above float32 eps, as the dense one. */
function sparseKullbackLeibler(V: CsrMatrix, W: Float64Array, H: Float64Array, R: number, lambda: Float64Array): number {
  let sumX = 0;
  let cross = 0;
  for (let p = 0; p < lambda.length; p++) {
    const x = V.data[p]!;
    if (!(x > EPSILON32)) continue;
    cross += x * Math.log(x / (lambda[p] === 0 ? EPSILON32 : lambda[p]!));
    sumX += x;
  }
  return cross + sumOfProduct(W, H, V.rows, R, V.cols) - sumX;
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

/** The mean of a chunk's K·b entries (absent entries of a CSR chunk count as zeros). */
export function mean(V: Chunk): number {
  let s = 0;
  for (let i = 0; i < V.data.length; i++) s += V.data[i]!;
  return s / (V.rows * V.cols);
}
