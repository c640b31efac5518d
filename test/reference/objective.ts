/**
 * The objective of docs/algorithms.md, written out entry by entry:
 *
 *   F(W, H) = D_β(V | WH; M) + l1W‖W‖₁ + ½·l2W‖W‖²_F + l1H‖H‖₁ + ½·l2H‖H‖²_F
 *
 * with D_β the (mask-weighted) β-divergence: ½·Σ M(V − Λ)² for β = 2 (Euclidean), the generalized
 * Kullback–Leibler divergence for β = 1, Itakura–Saito for β = 0, and the general β-divergence otherwise. Where
 * a negative power of Λ = WH appears (β < 2), Λ is floored at eps, exactly as in the updates.
 */
import { mul, type Mat } from './linalg.js';

/** 'euclidean' | 'kl' | 'is' | β. */
export type Loss = 'euclidean' | 'kl' | 'is' | number;

/** β of a loss: euclidean 2, kl 1, is 0, a number itself. */
export function betaOf(loss: Loss): number {
  if (loss === 'euclidean') return 2;
  if (loss === 'kl') return 1;
  if (loss === 'is') return 0;
  return loss;
}

/** The MM exponent γ(β) of Févotte & Idier (2011): 1/(2 − β) for β < 1, 1 on [1, 2], 1/(β − 1) for β > 2. */
export function mmExponent(beta: number): number {
  if (beta < 1) return 1 / (2 - beta);
  if (beta > 2) return 1 / (beta - 1);
  return 1;
}

/** Λ̂ = Λ for β ≥ 2, max(Λ, eps) for β < 2. */
export function guard(lambda: number, beta: number, eps: number): number {
  return beta < 2 ? Math.max(lambda, eps) : lambda;
}

/** d_β(v | λ) for one entry, λ already guarded. */
export function entryDivergence(v: number, lambda: number, beta: number): number {
  if (beta === 2) return 0.5 * (v - lambda) * (v - lambda);
  if (beta === 1) return (v > 0 ? v * (Math.log(v) - Math.log(lambda)) : 0) - v + lambda;
  if (beta === 0) return v / lambda - Math.log(v / lambda) - 1;
  return (v ** beta + (beta - 1) * lambda ** beta - beta * v * lambda ** (beta - 1)) / (beta * (beta - 1));
}

/** D_β(V | Λ; M): Σ M_ij · d_β(V_ij | Λ̂_ij), summed in row-major order (KL at v = 0: Λ_ij unfloored). */
export function divergence(V: Mat, lambda: Mat, beta: number, eps: number, mask?: Mat): number {
  let sum = 0;
  for (let k = 0; k < V.data.length; k++) {
    const m = mask ? mask.data[k]! : 1;
    if (m === 0) continue;
    const v = V.data[k]!;
    // KL at v = 0 is λ itself, unfloored (nothing divides by λ there).
    sum += m * (beta === 1 && v === 0 ? lambda.data[k]! : entryDivergence(v, guard(lambda.data[k]!, beta, eps), beta));
  }
  return sum;
}

export interface Penalties {
  l1W?: number;
  l2W?: number;
  l1H?: number;
  l2H?: number;
}

/** l1W‖W‖₁ + ½·l2W‖W‖²_F + l1H‖H‖₁ + ½·l2H‖H‖²_F (W, H ≥ 0, so ‖·‖₁ is the plain sum). */
export function penalty(W: Mat, H: Mat, p: Penalties): number {
  const part = (X: Mat, l1 = 0, l2 = 0): number => {
    let s1 = 0;
    let s2 = 0;
    for (const x of X.data) {
      s1 += x;
      s2 += x * x;
    }
    return l1 * s1 + 0.5 * l2 * s2;
  };
  return part(W, p.l1W, p.l2W) + part(H, p.l1H, p.l2H);
}

export interface ObjectiveOptions extends Penalties {
  loss?: Loss;
  eps?: number;
  mask?: Mat;
}

export const DEFAULT_EPS = 2 ** -23;

/** F(W, H), computed from Λ = WH formed explicitly. */
export function objective(V: Mat, W: Mat, H: Mat, o: ObjectiveOptions = {}): number {
  const beta = betaOf(o.loss ?? 'euclidean');
  return divergence(V, mul(W, H), beta, o.eps ?? DEFAULT_EPS, o.mask) + penalty(W, H, o);
}

/**
 * The cheap Euclidean data term of docs/algorithms.md (no mask): ½(‖V‖²_F − 2⟨C, X⟩ + ⟨WᵀW, HHᵀ⟩) with either
 * (C, X) = (VHᵀ, W) — the products a W update has at hand — or (C, X) = (WᵀV, H) — those of an H update. Loses
 * relative accuracy when the fit is nearly exact (cancellation).
 */
export function euclideanFromProducts(normV2: number, C: Mat, X: Mat, WtW: Mat, HHt: Mat): number {
  let cross = 0;
  for (let k = 0; k < C.data.length; k++) cross += C.data[k]! * X.data[k]!;
  let quad = 0;
  for (let k = 0; k < WtW.data.length; k++) quad += WtW.data[k]! * HHt.data[k]!;
  return 0.5 * (normV2 - 2 * cross + quad);
}
