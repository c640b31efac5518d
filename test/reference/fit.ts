/**
 * The reference fit loop (docs/algorithms.md §6–§8): iterations of MU or HALS, the change norms of libfmp, the
 * objective history every `errorEvery` iterations, the four stop rules and the final normalisation.
 */
import { halsIteration } from './hals.js';
import { copy, frobeniusNorm, spectralNorm, sub, type Mat } from './linalg.js';
import { muIteration, transposed, type UpdateOptions } from './mu.js';
import { objective } from './objective.js';

export interface FitOptions extends UpdateOptions {
  solver?: 'mu' | 'hals';
  maxIter: number;
  tol?: number;
  stop?: 'change' | 'objective' | 'none' | 'relativeChange';
  errorEvery?: number;
  normalize?: 'none' | 'max' | 'l1' | 'l2';
}

export interface FitResult {
  W: Mat;
  H: Mat;
  iterations: number;
  stopReason: 'tol' | 'maxIter';
  hChange: number[];
  wChange: number[];
  /**
   * Objective at iteration 0 and every errorEvery iterations (of the iterate then), and after the last iteration
   * when that was no checkpoint (then of the returned factors, = `objective`).
   */
  history: { iteration: number; value: number }[];
  /** F of the returned (normalised) factors. */
  objective: number;
}

/** Default errorEvery: 1 for the Euclidean loss without a mask, 10 otherwise (docs/algorithms.md §7). */
export function defaultErrorEvery(o: UpdateOptions): number {
  return (o.loss === undefined || o.loss === 'euclidean' || o.loss === 2) && !o.mask ? 1 : 10;
}

export function fit(V: Mat, W0: Mat, H0: Mat, o: FitOptions): FitResult {
  const W = copy(W0);
  const H = copy(H0);
  const t = transposed(V, o.mask);
  const tol = o.tol ?? 1e-3;
  const stop = o.stop ?? 'change';
  const every = o.errorEvery ?? defaultErrorEvery(o);
  const step = o.solver === 'hals' ? halsIteration : muIteration;
  const hChange: number[] = [];
  const wChange: number[] = [];
  const history = [{ iteration: 0, value: objective(V, W, H, o) }];
  let stopReason: 'tol' | 'maxIter' = 'maxIter';
  let iterations = 0;
  while (iterations < o.maxIter) {
    const Hold = copy(H);
    const Wold = copy(W);
    step(V, W, H, o, t);
    iterations++;
    hChange.push(spectralNorm(sub(H, Hold)));
    wChange.push(spectralNorm(sub(W, Wold)));
    if (iterations % every === 0) {
      const previous = history[history.length - 1]!.value;
      const value = objective(V, W, H, o);
      history.push({ iteration: iterations, value });
      if (stop === 'objective' && (previous === 0 || (previous - value) / previous < tol)) {
        stopReason = 'tol';
        break;
      }
    }
    if (stop === 'change' && hChange[iterations - 1]! < tol && wChange[iterations - 1]! < tol) {
      stopReason = 'tol';
      break;
    }
    // Every updated factor's ‖ΔX‖_F / ‖X‖_F ≤ tol, as a quotient (0/0 never stops), and never with tol 0.
    const within = (X: Mat, Xold: Mat): boolean => frobeniusNorm(sub(X, Xold)) / frobeniusNorm(X) <= tol;
    const updatesW = o.updateW !== false;
    const updatesH = o.updateH !== false;
    if (stop === 'relativeChange' && tol > 0 && (!updatesH || within(H, Hold)) && (!updatesW || within(W, Wold))) {
      stopReason = 'tol';
      break;
    }
  }
  normalizeReference(W, H, o);
  const final = objective(V, W, H, o);
  // The closing entry, when the last iteration was no checkpoint, is the objective of the returned factors.
  if (history[history.length - 1]!.iteration !== iterations) history.push({ iteration: iterations, value: final });
  return { W, H, iterations, stopReason, hChange, wChange, history, objective: final };
}

/**
 * Normalisation after the loop: each learned component r whose column of W has a norm s > 0 ('max': largest
 * entry, 'l1': sum, 'l2': Euclidean norm) gets W[:, r] / s and H[r, :] · s. A component is learned when its column
 * of W is (updateW ≠ false, r ∉ fixedColumnsW) and H is (updateH ≠ false).
 */
export function normalizeReference(W: Mat, H: Mat, o: FitOptions): void {
  const mode = o.normalize ?? 'none';
  if (mode === 'none' || o.updateW === false || o.updateH === false) return;
  const fixed = new Set(o.fixedColumnsW ?? []);
  const K = W.rows;
  const R = W.cols;
  const N = H.cols;
  for (let r = 0; r < R; r++) {
    if (fixed.has(r)) continue;
    let s = 0;
    for (let i = 0; i < K; i++) {
      const w = W.data[i * R + r]!;
      if (mode === 'max') s = Math.max(s, w);
      else if (mode === 'l1') s += w;
      else s += w * w;
    }
    if (mode === 'l2') s = Math.sqrt(s);
    if (!(s > 0)) continue;
    for (let i = 0; i < K; i++) W.data[i * R + r] = W.data[i * R + r]! / s;
    for (let j = 0; j < N; j++) H.data[r * N + j] = H.data[r * N + j]! * s;
  }
}
