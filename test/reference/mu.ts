/**
 * Reference multiplicative updates (docs/algorithms.md §2–§4), float64, no tricks: libfmp-compatible Euclidean MU, the
 * β-divergence MU of Févotte & Idier (2011) for every β (KL = 1, IS = 0), masks, L1/L2 regularization and fixed
 * factors.
 *
 * One function updates X in V ≈ A·X; the W update is the same function on the transposed problem
 * Vᵀ ≈ Hᵀ·Wᵀ (every sum is then taken over the same terms in the same order as in the direct form).
 */
import { mat, mul, mulTN, transpose, type Mat } from './linalg.js';
import { betaOf, DEFAULT_EPS, guard, mmExponent, type Loss } from './objective.js';

export interface UpdateOptions {
  loss?: Loss;
  /** Added to every denominator; the floor of WH where a negative power of it is taken (β < 2). */
  eps?: number;
  l1W?: number;
  l2W?: number;
  l1H?: number;
  l2H?: number;
  /** K×N weights in [0, 1]; 0 = missing. */
  mask?: Mat;
  updateW?: boolean;
  updateH?: boolean;
  /** Columns of W that keep their initial values. */
  fixedColumnsW?: readonly number[];
  /** HALS: the most sweeps of each half-step (accelerated HALS); default 1. */
  halsSweeps?: number;
  /** HALS: a further sweep only while the last changed the factor by ≥ this fraction of the first; default 0.01. */
  halsSweepTol?: number;
  /** HALS: which factor each iteration updates first (default 'w-first'). */
  halsOrder?: 'w-first' | 'h-first';
}

export interface HalfStep {
  beta: number;
  eps: number;
  l1: number;
  l2: number;
  mask?: Mat;
  /** Rows of X left unchanged. */
  frozen?: ReadonlySet<number>;
}

/**
 * One multiplicative update of X (R×N) in V ≈ A·X, A (K×R) fixed, in place:
 *
 *   X ← X ⊙ ( num ⊘ (den + l1 + l2·X + eps) )^γ(β)
 *
 * except for β < 2 with l2 > 0, where the exact MM step of the penalised β is taken: for β = 1
 * X ← X ⊙ 2·num ⊘ (b + √(b² + 4·l2·X ⊙ num)), b = den + l1 + eps, for other β X ← X ⊙ t with t the root of
 * b·t^(1/γ) + l2·x·t^(3−β) = num ({@link penalisedRoot}).
 *
 * β = 2 without a mask (libfmp-compatible MU): num = AᵀV, den = (AᵀA)·X.
 * Otherwise, with Λ = AX, Λ̂ = max(Λ, eps) when β < 2 (Λ̂ = Λ when β ≥ 2) and M the mask (1 without one):
 *   num = Aᵀ(M ⊙ V ⊙ Λ̂^(β−2)),  den = Aᵀ(M ⊙ Λ̂^(β−1)).
 */
export function muUpdate(V: Mat, A: Mat, X: Mat, o: HalfStep): void {
  const { beta, eps, l1, l2, mask, frozen } = o;
  const gamma = mmExponent(beta);
  let num: Mat;
  let den: Mat;
  if (beta === 2 && !mask) {
    num = mulTN(A, V);
    den = mul(mulTN(A, A), X);
  } else {
    const lambda = mul(A, X);
    const P = mat(V.rows, V.cols);
    const Q = mat(V.rows, V.cols);
    for (let k = 0; k < V.data.length; k++) {
      const m = mask ? mask.data[k]! : 1;
      const v = m * V.data[k]!;
      const l = guard(lambda.data[k]!, beta, eps);
      if (beta === 2) {
        P.data[k] = v;
        Q.data[k] = m * l;
      } else if (beta === 1) {
        P.data[k] = v / l;
        Q.data[k] = m;
      } else if (beta === 0) {
        P.data[k] = v / (l * l);
        Q.data[k] = m * (1 / l);
      } else {
        P.data[k] = v * l ** (beta - 2);
        Q.data[k] = m * l ** (beta - 1);
      }
    }
    num = mulTN(A, P);
    den = mulTN(A, Q);
  }
  for (let r = 0; r < X.rows; r++) {
    if (frozen?.has(r)) continue;
    for (let j = 0; j < X.cols; j++) {
      const k = r * X.cols + j;
      const x = X.data[k]!;
      let q: number;
      if (beta === 1 && l2 > 0) {
        // KL with an L2 penalty: the exact MM step, the positive root of l2·x'² + b·x' − num·x = 0.
        const b = den.data[k]! + l1 + eps;
        q = (2 * num.data[k]!) / (b + Math.sqrt(b * b + 4 * l2 * x * num.data[k]!));
      } else if (beta < 2 && l2 > 0) {
        q = penalisedRoot(num.data[k]!, den.data[k]! + l1 + eps, l2 * x, 1 / gamma, 3 - beta);
      } else {
        q = num.data[k]! / (den.data[k]! + l1 + l2 * x + eps);
        if (gamma !== 1) q = q ** gamma;
      }
      X.data[k] = x * q;
    }
  }
}

/**
 * The positive root t of b·t^a + s·t^c = num (a, c ≥ 1, b, s > 0), by bisection: the left side increases in t,
 * and the smaller of the one-term roots (num/b)^(1/a) and (num/s)^(1/c) bounds the root from above.
 */
export function penalisedRoot(num: number, b: number, s: number, a: number, c: number): number {
  if (num === 0 || s === 0) return (num / b) ** (1 / a);
  let lo = 0;
  let hi = Math.min((num / b) ** (1 / a), (num / s) ** (1 / c));
  for (let i = 0; i < 2000; i++) {
    const mid = (lo + hi) / 2;
    if (mid <= lo || mid >= hi) break;
    if (b * mid ** a + s * mid ** c > num) hi = mid;
    else lo = mid;
  }
  return (lo + hi) / 2;
}

/** The transposed problem of a fit, built once: Vᵀ and Mᵀ for the W updates. */
export interface Transposed {
  Vt: Mat;
  maskT?: Mat;
}

export function transposed(V: Mat, mask?: Mat): Transposed {
  return mask ? { Vt: transpose(V), maskT: transpose(mask) } : { Vt: transpose(V) };
}

/** One MU iteration in libfmp's order: H first, then W with the new H. W and H are replaced in place. */
export function muIteration(V: Mat, W: Mat, H: Mat, o: UpdateOptions, t: Transposed = transposed(V, o.mask)): void {
  const beta = betaOf(o.loss ?? 'euclidean');
  const eps = o.eps ?? DEFAULT_EPS;
  if (o.updateH !== false) {
    muUpdate(V, W, H, { beta, eps, l1: o.l1H ?? 0, l2: o.l2H ?? 0, mask: o.mask });
  }
  if (o.updateW !== false) {
    const Wt = transpose(W);
    muUpdate(t.Vt, transpose(H), Wt, {
      beta,
      eps,
      l1: o.l1W ?? 0,
      l2: o.l2W ?? 0,
      mask: t.maskT,
      frozen: new Set(o.fixedColumnsW ?? []),
    });
    W.data.set(transpose(Wt).data);
  }
}
