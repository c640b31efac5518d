/**
 * Reference fast HALS (docs/algorithms.md §5): cyclic coordinate descent on the Euclidean objective, one component
 * (row of H, column of W) at a time, as scikit-learn's solver='cd' (Cichocki & Phan 2009), in its order: all of
 * W, then all of H with the new W.
 */
import { mulTN, transpose, type Mat } from './linalg.js';
import type { UpdateOptions, Transposed } from './mu.js';
import { transposed } from './mu.js';

/**
 * One sweep over the rows of X (R×N) in V ≈ A·X, in place. With G = AᵀA + l2·I and B = AᵀV − l1, for
 * k = 0 … R−1 (rows in `frozen` skipped, and rows with G_kk ≤ ε·max_r G_rr, ε = 2^-52):
 *   for every j:  g = −B_kj + Σ_r G_kr·X_rj  (current X, r ascending);  X_kj ← max(0, X_kj − g / G_kk),
 *   0 where that is within its own rounding error, (g + c + |c|)·(R + 2)·ε/G_kk with c = B_kj.
 */
export function halsUpdate(V: Mat, A: Mat, X: Mat, l1: number, l2: number, frozen?: ReadonlySet<number>): void {
  const R = X.rows;
  const N = X.cols;
  const G = mulTN(A, A);
  const B = mulTN(A, V);
  for (let k = 0; k < R; k++) G.data[k * R + k]! += l2;
  for (let k = 0; k < B.data.length; k++) B.data[k] = B.data[k]! - l1;
  // Diagonal entries at rounding level of the largest count as zero (docs/algorithms.md §5).
  let largest = 0;
  for (let k = 0; k < R; k++) largest = Math.max(largest, G.data[k * R + k]!);
  const floor = largest * Number.EPSILON;
  for (let k = 0; k < R; k++) {
    if (frozen?.has(k)) continue;
    const a = G.data[k * R + k]!;
    if (!(a > floor)) continue;
    // A result within the rounding error of x − g/a counts as 0: (g + c) + |c| sums the magnitudes of the terms
    // (every G·X term is ≥ 0), and (R + 2)·ε/a turns that into a bound on the error (docs/algorithms.md §5).
    const f = ((R + 2) * Number.EPSILON) / a;
    for (let j = 0; j < N; j++) {
      const c = B.data[k * N + j]!;
      let g = -c;
      for (let r = 0; r < R; r++) g += G.data[k * R + r]! * X.data[r * N + j]!;
      const next = X.data[k * N + j]! - g / a;
      X.data[k * N + j] = next > (g + c + Math.abs(c)) * f ? next : 0;
    }
  }
}

/** Σ (a − b)² over two arrays of the same length. */
function squaredDistance(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += (a[k]! - b[k]!) ** 2;
  return s;
}

/**
 * One half-step of accelerated HALS (Gillis & Glineur 2012): up to `sweeps` sweeps of X with the same A; a further
 * sweep only while the last one changed X by more than `tol` times the first one's change (Frobenius norms).
 */
function halsHalfStep(V: Mat, A: Mat, X: Mat, l1: number, l2: number, sweeps: number, tol: number, frozen?: ReadonlySet<number>): void {
  let before = X.data.slice();
  halsUpdate(V, A, X, l1, l2, frozen);
  const first = squaredDistance(X.data, before);
  for (let sweep = 1; sweep < sweeps; sweep++) {
    before = X.data.slice();
    halsUpdate(V, A, X, l1, l2, frozen);
    if (!(squaredDistance(X.data, before) > tol * tol * first)) break;
  }
}

/**
 * One HALS iteration (scikit-learn's solver='cd'): W's half-step (as the transposed problem Vᵀ ≈ Hᵀ·Wᵀ), then H's
 * with the new W — or, with `halsOrder: 'h-first'`, H's first; each one sweep, or up to `halsSweeps` (accelerated
 * HALS).
 */
export function halsIteration(V: Mat, W: Mat, H: Mat, o: UpdateOptions, t: Transposed = transposed(V)): void {
  if (o.mask) throw new Error('HALS does not take a mask');
  if (o.loss !== undefined && o.loss !== 'euclidean' && o.loss !== 2) throw new Error('HALS is for the Euclidean loss');
  const sweeps = o.halsSweeps ?? 1;
  const tol = o.halsSweepTol ?? 0.01;
  const updateW = (): void => {
    if (o.updateW === false) return;
    const Wt = transpose(W);
    halsHalfStep(t.Vt, transpose(H), Wt, o.l1W ?? 0, o.l2W ?? 0, sweeps, tol, new Set(o.fixedColumnsW ?? []));
    W.data.set(transpose(Wt).data);
  };
  const updateH = (): void => {
    if (o.updateH !== false) halsHalfStep(V, W, H, o.l1H ?? 0, o.l2H ?? 0, sweeps, tol);
  };
  if (o.halsOrder === 'h-first') {
    updateH();
    updateW();
  } else {
    updateW();
    updateH();
  }
}
