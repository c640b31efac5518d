// The per-entry and sweep kernels of the algorithms beyond libfmp-compatible MU (docs/algorithms.md §1–§5, §7, §8): the MU
// step with penalties and the MM exponent, the ratio matrices P and Q of the β-divergence, the KL denominators,
// the two HALS sweeps, the objective's parts and the normalisation. Parallel to native/updates.h (same names,
// same order).
//
// Generic in the element type T (f64 or f32) like products.ts. Where docs/algorithms.md fixes the order of an
// entry's operations, the code below follows it literally (no FMA exists in wasm SIMD, so a·b + c rounds twice as
// in the reference); sums (HALS's inner sums, the objective) are taken in the order noted at each function.
// Powers and logarithms are exp-log.ts's, as in native/updates.h.

import { polyExp, polyLog, polyPow, vpolyExp, vpolyLog, vpolyPow } from './exp-log';
import { vadd, vdiv, vload, vmul, vsplatValue, vsub, vzero } from './products';
import { NORMALIZE_L1, NORMALIZE_L2, NORMALIZE_MAX, NORMALIZE_NONE } from './spec';

/** γ(β), the MM exponent of Févotte & Idier (2011) (§2), in float64: 1/(2 − β) below 1, 1/(β − 1) above 2, else 1. */
export function mmExponent(beta: f64): f64 {
  if (beta < 1) return 1 / (2 - beta);
  if (beta > 2) return 1 / (beta - 1);
  return 1;
}

// How x^a is taken for an exponent a of the ratio form or the objective (§2, "Powers"): √x for a = ½, √(1/x) for
// a = −½ (correctly rounded division and square root), polyPow otherwise.
const POWER_SQRT = 0;
const POWER_RECIP_SQRT = 1;
const POWER_POLY = 2;

function powerKind(a: f64): i32 {
  if (a == 0.5) return POWER_SQRT;
  if (a == -0.5) return POWER_RECIP_SQRT;
  return POWER_POLY;
}

// @ts-ignore: decorator
@inline
function power<T>(x: T, a: T, kind: i32): T {
  if (kind == POWER_SQRT) return sqrt<T>(x);
  if (kind == POWER_RECIP_SQRT) return sqrt<T>(<T>1 / x);
  return polyPow<T>(x, a);
}

// @ts-ignore: decorator
@inline
function vpower<T>(x: v128, a: T, kind: i32): v128 {
  if (kind == POWER_SQRT) return v128.sqrt<T>(x);
  if (kind == POWER_RECIP_SQRT) return v128.sqrt<T>(vdiv<T>(vsplatValue<T>(<T>1), x));
  return vpolyPow<T>(x, vsplatValue<T>(a));
}

/** The loop bound of the vector part of `count` entries of T: bytes rounded down to whole vectors. */
// @ts-ignore: decorator
@inline
function vectorBytes<T>(count: usize): usize {
  return (count * sizeof<T>()) & ~(<usize>15);
}

/** One MU step of an entry (§2): q = num / (((den + l1) + l2·x) + eps), q^γ unless γ = 1 (polyPow), then x·q. */
// @ts-ignore: decorator
@inline
function muStep<T>(x: T, num: T, den: T, eps: T, l1: T, l2: T, gamma: T): T {
  let q: T = num / (((den + l1) + l2 * x) + eps);
  if (gamma != 1) q = polyPow<T>(q, gamma);
  return x * q;
}

/**
 * The MU update of X (rows×cols, row-major) in place (§2), writing change = X_new − X_old. `fixed` (0: none)
 * points at `cols` bytes; a column c with fixed[c] ≠ 0 is left as it is (change 0): the fixed columns of W (§4).
 * Without penalties (l1 = l2 = 0) and γ = 1 this is libfmp's x · (num / (den + eps)), written so, bit for bit.
 */
export function updateMu<T>(
  X: usize, num: usize, den: usize, change: usize, rows: i32, cols: i32, eps: T, l1: T, l2: T, gamma: T, fixed: usize,
): void {
  const e = sizeof<T>();
  if (fixed == 0) {
    const count = <usize>rows * <usize>cols;
    const bytes = count * e;
    const vec = vectorBytes<T>(count);
    const ve = vsplatValue<T>(eps);
    let o: usize = 0;
    if (l1 == 0 && l2 == 0 && gamma == 1) {
      // libfmp's expression (also what the general one gives with zero penalties: den + 0 = den, 0·x = 0).
      for (; o < vec; o += 16) {
        const x = v128.load(X + o);
        const xn = v128.mul<T>(x, v128.div<T>(v128.load(num + o), v128.add<T>(v128.load(den + o), ve)));
        v128.store(X + o, xn);
        v128.store(change + o, v128.sub<T>(xn, x));
      }
      for (; o < bytes; o += e) {
        const x = load<T>(X + o);
        const xn: T = x * (load<T>(num + o) / (load<T>(den + o) + eps));
        store<T>(X + o, xn);
        store<T>(change + o, xn - x);
      }
      return;
    }
    const v1 = vsplatValue<T>(l1), v2 = vsplatValue<T>(l2), vg = vsplatValue<T>(gamma);
    for (; o < vec; o += 16) {
      const x = v128.load(X + o);
      const d = v128.add<T>(v128.add<T>(v128.add<T>(v128.load(den + o), v1), v128.mul<T>(v2, x)), ve);
      let q = v128.div<T>(v128.load(num + o), d);
      if (gamma != 1) q = vpolyPow<T>(q, vg);
      const xn = v128.mul<T>(x, q);
      v128.store(X + o, xn);
      v128.store(change + o, v128.sub<T>(xn, x));
    }
    for (; o < bytes; o += e) {
      const x = load<T>(X + o);
      const xn = muStep<T>(x, load<T>(num + o), load<T>(den + o), eps, l1, l2, gamma);
      store<T>(X + o, xn);
      store<T>(change + o, xn - x);
    }
    return;
  }
  // Fixed columns: scalar.
  let o: usize = 0;
  for (let i = 0; i < rows; i++) {
    for (let c = 0; c < cols; c++, o += e) {
      if (load<u8>(fixed + <usize>c) != 0) {
        store<T>(change + o, <T>0);
        continue;
      }
      const x = load<T>(X + o);
      const xn = muStep<T>(x, load<T>(num + o), load<T>(den + o), eps, l1, l2, gamma);
      store<T>(X + o, xn);
      store<T>(change + o, xn - x);
    }
  }
}

/** The exact MM step of KL with an L2 penalty for one entry (§2), 4·l2·x·num evaluated left to right. */
// @ts-ignore: decorator
@inline
function klL2Step<T>(x: T, num: T, den: T, eps: T, l1: T, l2: T): T {
  const b: T = (den + l1) + eps;
  const q: T = (<T>2 * num) / (b + sqrt<T>(b * b + <T>4 * l2 * x * num));
  return x * q;
}

/** updateMu for β = 1 with l2 > 0: the closed-form MM step (§2) instead of num / (den + l2·x). */
export function updateMuKlL2<T>(
  X: usize, num: usize, den: usize, change: usize, rows: i32, cols: i32, eps: T, l1: T, l2: T, fixed: usize,
): void {
  const e = sizeof<T>();
  let o: usize = 0;
  if (fixed == 0) {
    const count = <usize>rows * <usize>cols;
    const bytes = count * e;
    const vec = vectorBytes<T>(count);
    const ve = vsplatValue<T>(eps), v1 = vsplatValue<T>(l1), v4l2 = vsplatValue<T>(<T>4 * l2);
    const two = vsplatValue<T>(<T>2);
    for (; o < vec; o += 16) {
      const x = v128.load(X + o);
      const n = v128.load(num + o);
      const b = v128.add<T>(v128.add<T>(v128.load(den + o), v1), ve);
      const root = v128.sqrt<T>(v128.add<T>(v128.mul<T>(b, b), v128.mul<T>(v128.mul<T>(v4l2, x), n)));
      const xn = v128.mul<T>(x, v128.div<T>(v128.mul<T>(two, n), v128.add<T>(b, root)));
      v128.store(X + o, xn);
      v128.store(change + o, v128.sub<T>(xn, x));
    }
    for (; o < bytes; o += e) {
      const x = load<T>(X + o);
      const xn = klL2Step<T>(x, load<T>(num + o), load<T>(den + o), eps, l1, l2);
      store<T>(X + o, xn);
      store<T>(change + o, xn - x);
    }
    return;
  }
  for (let i = 0; i < rows; i++) {
    for (let c = 0; c < cols; c++, o += e) {
      if (load<u8>(fixed + <usize>c) != 0) {
        store<T>(change + o, <T>0);
        continue;
      }
      const x = load<T>(X + o);
      const xn = klL2Step<T>(x, load<T>(num + o), load<T>(den + o), eps, l1, l2);
      store<T>(X + o, xn);
      store<T>(change + o, xn - x);
    }
  }
}

/** Newton steps at most of mmL2Step (native/updates.h, kMmNewtonSteps). */
const MM_NEWTON_STEPS = 40;

/**
 * The MM step with an L2 penalty for β < 2 other than 1 (§2, "L2 for β < 2"): x' = x·t with t the positive root
 * of b·t^a + s·t^c = num (b = (den + l1) + eps, s = l2·x, a = 1/γ(β), c = 3 − β), by Newton's method from the
 * smaller of the one-term roots (num/b)^γ and (num/s)^(1/c) until a step no longer decreases t (native/updates.h).
 */
function mmL2Step<T>(x: T, num: T, den: T, eps: T, l1: T, l2: T, gamma: T, a: T, c: T): T {
  const b: T = (den + l1) + eps;
  const s: T = l2 * x;
  let t: T = a == <T>1 ? num / b : polyPow<T>(num / b, gamma);
  if (!(s > <T>0) || !(num > <T>0)) return x * t;
  const u = polyPow<T>(num / s, <T>1 / c);
  if (u < t) t = u;
  for (let step = 0; step < MM_NEWTON_STEPS; step++) {
    const p: T = a == <T>1 ? b * t : b * polyPow<T>(t, a);
    const r: T = s * polyPow<T>(t, c);
    const f: T = (p + r) - num;
    const next: T = t - (t * f) / ((a * p) + (c * r));
    if (!(next < t)) break;
    t = next;
  }
  return x * t;
}

/** updateMu for β < 2, β ≠ 1, with l2 > 0: mmL2Step for every entry. Fixed columns and change as in updateMu. */
export function updateMuL2<T>(
  X: usize, num: usize, den: usize, change: usize, rows: i32, cols: i32, eps: T, l1: T, l2: T, beta: f64, fixed: usize,
): void {
  const e = sizeof<T>();
  const gamma = <T>mmExponent(beta);
  const a = <T>(1 / mmExponent(beta));
  const c = <T>(3 - beta);
  let o: usize = 0;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++, o += e) {
      if (fixed != 0 && load<u8>(fixed + <usize>j) != 0) {
        store<T>(change + o, <T>0);
        continue;
      }
      const x = load<T>(X + o);
      const xn = mmL2Step<T>(x, load<T>(num + o), load<T>(den + o), eps, l1, l2, gamma, a, c);
      store<T>(X + o, xn);
      store<T>(change + o, xn - x);
    }
  }
}

/**
 * P and Q of the ratio form (§2) over `count` entries, from V, the mask M (0: none, i.e. 1 everywhere) and
 * Λ = W·H: with ṽ = m·v, m = M_ij and l = max(Λ, eps) for β < 2 (Λ for β ≥ 2):
 *   β = 2 (masked): P = ṽ, Q = m·l;  β = 1: P = ṽ / l;  β = 0: P = ṽ·(r·r), Q = m·r;
 *   other β < 2: Q = m·l^(β−1), P = ṽ·(l^(β−1)·r);  β > 2: from one log, P = ṽ·exp((β−2)·log λ),
 *   Q = m·exp((β−1)·log λ); r = 1 / l, the powers as power() says (√(1/l) as r's square root).
 * P may be Λ itself (each entry of Λ is read before P's is written). Q is not written for β = 1: it is the mask
 * itself, or all ones without one (the caller takes column and row sums instead). Without a mask ṽ = v and
 * m·x = x exactly, so m is left out.
 * f64x2 / f32x4 lanes, then the remaining entries one by one (ratioEntry), every entry as native/updates.h
 * computes it.
 */
export function formRatios<T>(V: usize, M: usize, L: usize, P: usize, Q: usize, count: usize, beta: f64, eps: T): void {
  const e = sizeof<T>();
  const bytes = count * e;
  const vec = vectorBytes<T>(count);
  const ve = vsplatValue<T>(eps);
  const one = vsplatValue<T>(<T>1);
  const bm2 = <T>(beta - 2), bm1 = <T>(beta - 1);
  const vbm2 = vsplatValue<T>(bm2), vbm1 = vsplatValue<T>(bm1);
  const kind = powerKind(beta - 1);
  let o: usize = 0;
  for (; o < vec; o += 16) {
    let v = v128.load(V + o);
    const lambda = v128.load(L + o);
    const m = M != 0 ? v128.load(M + o) : one;
    if (M != 0) v = v128.mul<T>(m, v);
    if (beta == 2) {
      v128.store(P + o, v);
      v128.store(Q + o, M != 0 ? v128.mul<T>(m, lambda) : lambda);
    } else if (beta > 2) {
      const lg = vpolyLog<T>(lambda);
      const q = vpolyExp<T>(v128.mul<T>(vbm1, lg));
      v128.store(P + o, v128.mul<T>(v, vpolyExp<T>(v128.mul<T>(vbm2, lg))));
      v128.store(Q + o, M != 0 ? v128.mul<T>(m, q) : q);
    } else {
      const l = v128.max<T>(lambda, ve);
      if (beta == 1) {
        v128.store(P + o, v128.div<T>(v, l));
      } else {
        const r = v128.div<T>(one, l);
        const q = beta == 0 ? r : kind == POWER_RECIP_SQRT ? v128.sqrt<T>(r) : vpower<T>(l, bm1, kind);
        v128.store(P + o, v128.mul<T>(v, v128.mul<T>(q, r)));
        v128.store(Q + o, M != 0 ? v128.mul<T>(m, q) : q);
      }
    }
  }
  for (; o < bytes; o += e) ratioEntry<T>(V + o, M != 0 ? M + o : 0, L + o, P + o, Q != 0 ? Q + o : 0, beta, eps, kind);
}

/** One entry of formRatios, at the given addresses (m = 0 / q = 0: no mask / no Q). */
// @ts-ignore: decorator
@inline
function ratioEntry<T>(v: usize, m: usize, l: usize, p: usize, q: usize, beta: f64, eps: T, kind: i32): void {
  const lambda = load<T>(l);
  const w: T = m != 0 ? load<T>(m) : <T>1;
  const vt: T = m != 0 ? w * load<T>(v) : load<T>(v);
  if (beta == 2) {
    store<T>(p, vt);
    store<T>(q, m != 0 ? w * lambda : lambda);
    return;
  }
  if (beta > 2) {
    const lg = polyLog<T>(lambda);
    const r = polyExp<T>(<T>(beta - 1) * lg);
    store<T>(p, vt * polyExp<T>(<T>(beta - 2) * lg));
    store<T>(q, m != 0 ? w * r : r);
    return;
  }
  const x = max<T>(lambda, eps);
  if (beta == 1) {
    store<T>(p, vt / x);
  } else {
    const r: T = <T>1 / x;
    const y: T = beta == 0 ? r : kind == POWER_RECIP_SQRT ? sqrt<T>(r) : power<T>(x, <T>(beta - 1), kind);
    store<T>(p, vt * (y * r));
    store<T>(q, m != 0 ? w * y : y);
  }
}

/**
 * den (R×N) with den[r][j] = Σ_i A[i][r] (i ascending) for every j: Wᵀ·1, the H denominator of KL without a
 * mask (§2). A is K×R.
 */
export function columnSums<T>(A: usize, K: i32, R: i32, den: usize, N: i32): void {
  const e = sizeof<T>();
  for (let r = 0; r < R; r++) {
    let s: T = <T>0;
    for (let i = 0; i < K; i++) s += load<T>(A + (<usize>i * <usize>R + <usize>r) * e);
    const row = den + <usize>r * <usize>N * e;
    for (let j = 0; j < N; j++) store<T>(row + <usize>j * e, s);
  }
}

/**
 * den (K×R) with den[i][r] = Σ_j B[r][j] (j ascending) for every i: 1·Hᵀ, the W denominator of KL without a
 * mask (§2). B is R×N. The sums go into den's first row, which is then copied to the others.
 */
export function rowSums<T>(B: usize, R: i32, N: i32, den: usize, K: i32): void {
  const e = sizeof<T>();
  for (let r = 0; r < R; r++) {
    const row = B + <usize>r * <usize>N * e;
    let s: T = <T>0;
    for (let j = 0; j < N; j++) s += load<T>(row + <usize>j * e);
    store<T>(den + <usize>r * e, s);
  }
  const rowBytes = <usize>R * e;
  for (let i = 1; i < K; i++) memory.copy(den + <usize>i * rowBytes, den, rowBytes);
}

/**
 * The smallest diagonal entry of a HALS Gram G (R×R) that counts as positive (§5): ε · max_k G[k][k], ε the
 * element type's machine epsilon. A component whose norm is below √ε (1.5e-8 in float64) of the largest is
 * rounding residue (entries whose exact update is 0 come out as a few ulps of the others, 1e-17): dividing by its
 * squared norm would let rounding, not the data, decide the next step (and the two backends' rounding differs),
 * so it is skipped like an exactly zero one; the other factor's sweep still updates it, so it can grow back.
 */
export function halsDiagonalFloor<T>(G: usize, R: i32): T {
  const e = sizeof<T>();
  let largest: T = <T>0;
  for (let k = 0; k < R; k++) largest = max(largest, load<T>(G + (<usize>k * <usize>R + <usize>k) * e));
  const eps: T = sizeof<T>() == 4 ? <T>1.1920928955078125e-7 : <T>2.220446049250313e-16;
  return largest * eps;
}

/** (R + 2)·ε / a: with it, halsStep's threshold bounds the rounding error of x − g/a (§5). */
// @ts-ignore: decorator
@inline
function halsRoundingFactor<T>(R: i32, a: T): T {
  const eps: T = sizeof<T>() == 4 ? <T>1.1920928955078125e-7 : <T>2.220446049250313e-16;
  return <T>(R + 2) * eps / a;
}

/**
 * One coordinate step (§5): x − g/a projected on [0, ∞), where a result within the rounding error of its own
 * computation counts as 0. c = B − l1 and g = −c + Σ_r G·X (every G·X term ≥ 0), so (g + c) + |c| is the sum of
 * the terms' magnitudes and times f = (R + 2)·ε/a it bounds the error of x − g/a. Without the rule an entry whose
 * exact update is 0 comes out as a few ulps of residue, and a later sweep divides by its square.
 */
// @ts-ignore: decorator
@inline
function halsStep<T>(x: T, g: T, c: T, a: T, f: T): T {
  const next: T = x - g / a;
  const bound: T = ((g + c) + abs<T>(c)) * f;
  return next > bound ? next : <T>0;
}

/**
 * The HALS sweep over the rows of X (R×N) in V ≈ A·X (§5), used for H: G (R×R) = AᵀA + l2·I, B (R×N) = AᵀV
 * unpenalised (l1 is subtracted on the fly: −(B − l1), the bits of the reference's stored B − l1). For
 * k = 0 … R−1 with G[k][k] > halsDiagonalFloor(G), for every j: g = −(B[k][j] − l1) + G[k][0]·X[0][j] + … (r ascending, rows < k
 * already new), X[k][j] = halsStep(X[k][j], g, …) (+0 at or below the rounding bound, and for NaN). change = X_new − X_old (0 on
 * skipped rows). Within a row the entries are independent: f64x2 / f32x4 lanes over j, each in the scalar order.
 */
export function halsSweepRows<T>(X: usize, G: usize, B: usize, change: usize, R: i32, N: i32, l1: T): void {
  halsSweepRowsStrided<T>(X, G, B, change, R, N, N, l1);
}

/**
 * halsSweepRows on N columns of rows `ld` entries apart (X, B and change point at the first column): a team
 * member's columns of H (team-kernels.ts). Columns are independent, so a block of them gets the whole's bits.
 */
export function halsSweepRowsStrided<T>(X: usize, G: usize, B: usize, change: usize, R: i32, N: i32, ld: i32, l1: T): void {
  const e = sizeof<T>();
  const rowBytes = <usize>ld * e;
  const width = <usize>N * e;
  const vec = vectorBytes<T>(<usize>N);
  const zero = vsplatValue<T>(<T>0);
  const v1 = vsplatValue<T>(l1);
  const floor = halsDiagonalFloor<T>(G, R);
  for (let k = 0; k < R; k++) {
    const Gk = G + <usize>k * <usize>R * e;
    const xk = X + <usize>k * rowBytes;
    const bk = B + <usize>k * rowBytes;
    const ck = change + <usize>k * rowBytes;
    const a = load<T>(Gk + <usize>k * e);
    if (!(a > floor)) {
      memory.fill(ck, 0, width);
      continue;
    }
    const va = vsplatValue<T>(a);
    const f = halsRoundingFactor<T>(R, a);
    const vf = vsplatValue<T>(f);
    let o: usize = 0;
    for (; o < vec; o += 16) {
      const c = v128.sub<T>(v128.load(bk + o), v1);
      let g = v128.neg<T>(c);
      for (let r = 0; r < R; r++) {
        g = v128.add<T>(g, v128.mul<T>(vsplatValue<T>(load<T>(Gk + <usize>r * e)), v128.load(X + <usize>r * rowBytes + o)));
      }
      // halsStep, lane by lane.
      const x = v128.load(xk + o);
      const next = v128.sub<T>(x, v128.div<T>(g, va));
      const bound = v128.mul<T>(v128.add<T>(v128.add<T>(g, c), v128.abs<T>(c)), vf);
      const xn = v128.bitselect(next, zero, v128.gt<T>(next, bound));
      v128.store(xk + o, xn);
      v128.store(ck + o, v128.sub<T>(xn, x));
    }
    for (; o < width; o += e) {
      const c: T = load<T>(bk + o) - l1;
      let g: T = -c;
      for (let r = 0; r < R; r++) g = g + load<T>(Gk + <usize>r * e) * load<T>(X + <usize>r * rowBytes + o);
      const x = load<T>(xk + o);
      const xn = halsStep<T>(x, g, c, a, f);
      store<T>(xk + o, xn);
      store<T>(ck + o, xn - x);
    }
  }
}

/**
 * The HALS sweep over the columns of W (K×R) in V ≈ W·H (§5, the transposed problem): G (R×R) = HHᵀ + l2·I,
 * B (K×R) = VHᵀ unpenalised. For k = 0 … R−1 not fixed (`fixed`: R bytes, or 0) with G[k][k] above
 * halsDiagonalFloor(G), for every i:
 * g = −(B[i][k] − l1) + W[i][0]·G[0][k] + … (r ascending), W[i][k] = halsStep(W[i][k], g, …).
 * change = W_new − W_old (0 in skipped columns). Columns are strided: scalar.
 */
export function halsSweepColumns<T>(W: usize, G: usize, B: usize, change: usize, K: i32, R: i32, l1: T, fixed: usize): void {
  const e = sizeof<T>();
  const rowBytes = <usize>R * e;
  const floor = halsDiagonalFloor<T>(G, R);
  for (let k = 0; k < R; k++) {
    const a = load<T>(G + (<usize>k * <usize>R + <usize>k) * e);
    const skip = (fixed != 0 && load<u8>(fixed + <usize>k) != 0) || !(a > floor);
    const f = halsRoundingFactor<T>(R, a);
    for (let i = 0; i < K; i++) {
      const wi = W + <usize>i * rowBytes;
      const at = <usize>k * e;
      if (skip) {
        store<T>(change + <usize>i * rowBytes + at, <T>0);
        continue;
      }
      const c: T = load<T>(B + <usize>i * rowBytes + at) - l1;
      let g: T = -c;
      for (let r = 0; r < R; r++) g = g + load<T>(wi + <usize>r * e) * load<T>(G + <usize>r * rowBytes + at);
      const x = load<T>(wi + at);
      const xn = halsStep<T>(x, g, c, a, f);
      store<T>(wi + at, xn);
      store<T>(change + <usize>i * rowBytes + at, xn - x);
    }
  }
}

/** The smallest normal float64, 2^-1022. */
const NORMAL: f64 = 2.2250738585072014e-308;

/**
 * m·d_β(v | λ̂) of one entry (§1), in float64, 0 where m = 0 (the entry is skipped, whatever d is there): λ̂ =
 * max(λ, eps) for β < 2, except KL at v = 0, which is λ itself (nothing divides by λ there, so a W·H of exactly 0
 * costs 0). KL takes one logarithm, log(v/λ̂); the general β takes λ^β as λ·λ^(β−1), v^β and λ^(β−1) as power()
 * says (vKind, lKind).
 */
// @ts-ignore: decorator
@inline
function divergenceTerm(m: f64, v: f64, lambda: f64, beta: f64, eps: f64, vKind: i32, lKind: i32): f64 {
  const l = beta < 2 ? max(lambda, eps) : lambda;
  let d: f64;
  if (beta == 2) {
    d = 0.5 * (v - l) * (v - l);
  } else if (beta == 1) {
    // log(v/l), or log v − log l where v/l falls below the normal range (a subnormal v, or one that underflows:
    // v = 1e-323 gave log 0 = −∞).
    const q = v / l;
    const lg = v > 0 && q < NORMAL ? polyLog<f64>(v) - polyLog<f64>(l) : polyLog<f64>(q);
    d = v > 0 ? v * lg - v + l : lambda;
  } else if (beta == 0) {
    d = v / l - polyLog<f64>(v / l) - 1;
  } else {
    const lb1 = power<f64>(l, beta - 1, lKind);
    d = (power<f64>(v, beta, vKind) + (beta - 1) * (l * lb1) - beta * v * lb1) / (beta * (beta - 1));
  }
  return m == 0 ? 0 : m * d;
}

/** divergenceTerm of two entries in f64x2 lanes. */
// @ts-ignore: decorator
@inline
function vdivergenceTerm(m: v128, v: v128, lambda: v128, beta: f64, eps: f64, vKind: i32, lKind: i32): v128 {
  const l = beta < 2 ? f64x2.max(lambda, f64x2.splat(eps)) : lambda;
  let d: v128;
  if (beta == 2) {
    const r = f64x2.sub(v, l);
    d = f64x2.mul(f64x2.mul(f64x2.splat(0.5), r), r);
  } else if (beta == 1) {
    // As divergenceTerm; the lanes below the normal range are rare, so their logarithms are taken only when some are.
    const q = f64x2.div(v, l);
    const positive = f64x2.gt(v, f64x2.splat(0));
    const below = v128.and(positive, f64x2.lt(q, f64x2.splat(NORMAL)));
    let lg = vpolyLog<f64>(q);
    if (v128.any_true(below)) lg = v128.bitselect(f64x2.sub(vpolyLog<f64>(v), vpolyLog<f64>(l)), lg, below);
    const kl = f64x2.add(f64x2.sub(f64x2.mul(v, lg), v), l);
    d = v128.bitselect(kl, lambda, positive);
  } else if (beta == 0) {
    const q = f64x2.div(v, l);
    d = f64x2.sub(f64x2.sub(q, vpolyLog<f64>(q)), f64x2.splat(1));
  } else {
    const lb1 = vpower<f64>(l, beta - 1, lKind);
    const sum = f64x2.add(vpower<f64>(v, beta, vKind), f64x2.mul(f64x2.splat(beta - 1), f64x2.mul(l, lb1)));
    d = f64x2.div(f64x2.sub(sum, f64x2.mul(f64x2.mul(f64x2.splat(beta), v), lb1)), f64x2.splat(beta * (beta - 1)));
  }
  return v128.bitselect(f64x2.splat(0), f64x2.mul(m, d), f64x2.eq(m, f64x2.splat(0)));
}

/**
 * D_β(V | Λ; M) = Σ m·d_β(v | Λ̂) over `count` entries (§1) in float64 (entries of T are widened): Λ̂ = max(Λ, eps)
 * for β < 2 (eps as the fit rounds it; KL at v = 0: Λ unfloored), entries with m = 0 skipped, M = 0: no mask.
 * Summed in two lanes, the even and the odd indices, then the lanes' sum and the last entry of an odd count
 * (native/updates.h sums in the same order).
 */
export function divergenceSum<T>(V: usize, M: usize, L: usize, count: usize, beta: f64, eps: f64): f64 {
  const e = sizeof<T>();
  const pair: usize = 2 * e;
  const vKind = powerKind(beta), lKind = powerKind(beta - 1);
  const ones = f64x2.splat(1);
  let acc = vzero<f64>();
  const pairsEnd = (count >> 1) * pair;
  let o: usize = 0;
  for (; o < pairsEnd; o += pair) {
    const m = M != 0 ? vload<T, f64>(M + o) : ones;
    acc = f64x2.add(acc, vdivergenceTerm(m, vload<T, f64>(V + o), vload<T, f64>(L + o), beta, eps, vKind, lKind));
  }
  let sum = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  if (count & 1) {
    const m: f64 = M != 0 ? <f64>load<T>(M + o) : 1;
    sum += divergenceTerm(m, <f64>load<T>(V + o), <f64>load<T>(L + o), beta, eps, vKind, lKind);
  }
  return sum;
}

/**
 * The Euclidean D from products at hand (§7): max(0, ½(‖V‖² − 2⟨C, X⟩ + ⟨WᵀW, HHᵀ⟩)), C and X `count` entries
 * (VHᵀ and W, or WᵀV and H), WtW and HHt R×R; float64 sums.
 */
export function euclideanFromProducts<T>(normV2: f64, C: usize, X: usize, count: usize, WtW: usize, HHt: usize, R: i32): f64 {
  const e = sizeof<T>();
  let cross: f64 = 0;
  for (let o: usize = 0; o < count * e; o += e) cross += <f64>load<T>(C + o) * <f64>load<T>(X + o);
  let quad: f64 = 0;
  const rr = <usize>R * <usize>R * e;
  for (let o: usize = 0; o < rr; o += e) quad += <f64>load<T>(WtW + o) * <f64>load<T>(HHt + o);
  return max(0.0, 0.5 * (normV2 - 2 * cross + quad));
}

/** l1·ΣX + ½·l2·ΣX² over `count` entries (§1), each part only when its weight is > 0; float64. */
export function penaltySum<T>(X: usize, count: usize, l1: f64, l2: f64): f64 {
  if (!(l1 > 0) && !(l2 > 0)) return 0;
  const e = sizeof<T>();
  let s1: f64 = 0, s2: f64 = 0;
  for (let o: usize = 0; o < count * e; o += e) {
    const x = <f64>load<T>(X + o);
    s1 += x;
    s2 += x * x;
  }
  let p: f64 = 0;
  if (l1 > 0) p += l1 * s1;
  if (l2 > 0) p += 0.5 * l2 * s2;
  return p;
}

/**
 * Σ x² over `count` entries in float64 (‖V‖²_F for the Euclidean checkpoints), in four partials: entry k goes to
 * partial k mod 4, and the partials are added pairwise at the end (native/updates.h, kSumLanes: the same order).
 */
export function sumSquares<T>(V: usize, count: usize): f64 {
  const e = sizeof<T>();
  let s0: f64 = 0, s1: f64 = 0, s2: f64 = 0, s3: f64 = 0;
  let o: usize = 0;
  for (const whole = (count & ~(<usize>3)) * e; o < whole; o += 4 * e) {
    const a = <f64>load<T>(V + o), b = <f64>load<T>(V + o + e), c = <f64>load<T>(V + o + 2 * e), d = <f64>load<T>(V + o + 3 * e);
    s0 += a * a;
    s1 += b * b;
    s2 += c * c;
    s3 += d * d;
  }
  // The last count mod 4 entries go to partials 0, 1 and 2 in turn.
  for (let l = 0; o < count * e; o += e, l++) {
    const x = <f64>load<T>(V + o);
    if (l == 0) s0 += x * x;
    else if (l == 1) s1 += x * x;
    else s2 += x * x;
  }
  return s0 + s1 + (s2 + s3);
}

/**
 * E ← M ⊙ E when a mask is given (M ≠ 0): with a mask, the error norms measure the residual where V was observed
 * (weighted by M), as the objective does; the entries the mask leaves out (0) are the imputed ones and carry no
 * error. Then Σ e² and max |e| of the result, in float64, into the two doubles at `sums` (native/updates.h's
 * ResidualSums): the Frobenius error, the Euclidean D = ½Σe² of the final factors (§7), and the scale of the
 * Lanczos run (spectral.ts, scaleFor).
 */
export function residualSums<T>(E: usize, M: usize, count: usize, sums: usize): void {
  const s = sizeof<T>();
  // A NaN entry leaves the maximum as it was (native's std::fmax rule); Σ e² is sumSquares's, in its four partials.
  let maxAbs: f64 = 0;
  for (let o: usize = 0; o < count * s; o += s) {
    if (M != 0) store<T>(E + o, load<T>(E + o) * load<T>(M + o));
    const a = Math.abs(<f64>load<T>(E + o));
    if (a > maxAbs) maxAbs = a;
  }
  store<f64>(sums, sumSquares<T>(E, count));
  store<f64>(sums, maxAbs, 8);
}

/**
 * Normalises the learned components (§8): for each column r of W (K×R) not fixed (`fixed`: R bytes, or 0), with
 * s its maximum (kind 1), sum (2) or Euclidean norm (3), i = 0 … K−1: if s > 0, W[:, r] /= s and H[r, :] *= s
 * (H R×N). The maximum is taken in T (libfmp's normalizeMax, bit for bit); the sums in float64, s then rounded
 * to T. The caller skips this when a factor is not updated.
 */
export function normalizeColumns<T>(W: usize, H: usize, K: i32, N: i32, R: i32, kind: i32, fixed: usize): void {
  if (kind == NORMALIZE_NONE) return;
  const e = sizeof<T>();
  for (let r = 0; r < R; r++) {
    if (fixed != 0 && load<u8>(fixed + <usize>r) != 0) continue;
    let s: T;
    if (kind == NORMALIZE_MAX) {
      s = load<T>(W + <usize>r * e);
      for (let k = 1; k < K; k++) s = max(s, load<T>(W + (<usize>k * <usize>R + <usize>r) * e));
    } else {
      let acc: f64 = 0;
      for (let k = 0; k < K; k++) {
        const w = <f64>load<T>(W + (<usize>k * <usize>R + <usize>r) * e);
        acc += kind == NORMALIZE_L1 ? w : w * w;
      }
      s = <T>(kind == NORMALIZE_L2 ? Math.sqrt(acc) : acc);
    }
    if (!(s > 0)) continue;
    for (let k = 0; k < K; k++) {
      const p = W + (<usize>k * <usize>R + <usize>r) * e;
      store<T>(p, load<T>(p) / s);
    }
    const row = H + <usize>r * <usize>N * e;
    for (let j = 0; j < N; j++) {
      const p = row + <usize>j * e;
      store<T>(p, load<T>(p) * s);
    }
  }
}
