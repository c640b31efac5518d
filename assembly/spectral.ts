// Symmetric eigenvalues (cyclic Jacobi and Householder tridiagonalization for dense matrices, implicit QL for
// tridiagonal ones) and the two spectral norms of docs/kernels.md:
//  - largestSingularValueFromGram: ‖X‖₂ of an iteration's change from its R×R Gram matrix (Householder
//    tridiagonalization, then Laguerre's method, QL where that cannot vouch for its result);
//  - residualSpectralNorm: ‖E‖₂ of the final residual by Lanczos with full reorthogonalization (the top eigenpair
//    of T_j by Laguerre's method, QL where that cannot vouch for its result).
// Raw pointers into linear memory, row-major float64 (the residual of a float32 fit is float32); nothing is
// allocated here.
// Parallel to native/spectral.cc.

import { dot, lanes, lanesSum, mulABt, sload, vadd, vload, vmul, vzero } from './products';

/** Jacobi stops when the off-diagonal Frobenius norm is ≤ JACOBI_TOL · the matrix's Frobenius norm … */
const JACOBI_TOL: f64 = 1e-15;
/** … or after this many sweeps. */
const JACOBI_MAX_SWEEPS: i32 = 64;
/** QL deflates at e[k] when |e[k]| ≤ TRIDIAGONAL_TOL · ‖T‖∞ (ε of float64; ‖T‖∞ is taken once, on entry) … */
const TRIDIAGONAL_TOL: f64 = 2.220446049250313e-16;
/** … and gives up on an eigenvalue after this many iterations (a cap: with Wilkinson shifts ~2 is usual). */
const TRIDIAGONAL_MAX_ITERATIONS: i32 = 64;
/**
 * Laguerre's method (topEigenvalue) starts LAGUERRE_MARGIN·|bound| above Gershgorin's bound, stops once a step is
 * ≤ LAGUERRE_TOL·x (2^-50: within a few rounding errors of x, as its steps converge cubically near θ) …
 */
const LAGUERRE_MARGIN: f64 = 0.0009765625; // 2^-10
const LAGUERRE_TOL: f64 = 8.881784197001252e-16; // 2^-50
/** … and gives up after this many steps (a cap: from Gershgorin's bound it takes ~5–10). */
const LAGUERRE_MAX_STEPS: i32 = 64;
/** Lanczos stops when β_j · |s| (the residual of its Ritz pair, which bounds |θ − λ|) ≤ LANCZOS_TOL · θ … */
const LANCZOS_TOL: f64 = 1e-11;
/**
 * … or when the gap bound (lanczosConverged), which rests on an estimated gap, is ≤ LANCZOS_GAP_TOL · θ, a tenth of
 * LANCZOS_TOL for a margin; it is used only once the residual is ≤ LANCZOS_GAP_FROM · θ, when θ and the next Ritz
 * value have settled and the gap they show is the spectrum's.
 */
const LANCZOS_GAP_TOL: f64 = 1e-12;
const LANCZOS_GAP_FROM: f64 = 1e-5;
/** … or when β_j ≤ LANCZOS_BREAKDOWN (invariant subspace found). */
const LANCZOS_BREAKDOWN: f64 = 1e-300;
/**
 * A check that finds the residual above LANCZOS_SKIP_ABOVE·θ leaves the next step unchecked: a residual falls far
 * less than the factor LANCZOS_SKIP_ABOVE / LANCZOS_GAP_FROM = 100 in one step, so the step skipped would not have
 * stopped the run (were it to, the run stops one step later, with a θ at least as close).
 */
const LANCZOS_SKIP_ABOVE: f64 = 1e-3;

// @ts-ignore: decorator
@inline
function at(A: usize, n: i32, i: i32, j: i32): usize {
  return A + ((<usize>i * <usize>n + <usize>j) << 3);
}

/**
 * Cyclic Jacobi on the symmetric n×n matrix A (row-major, both triangles stored and kept exactly symmetric).
 * On return A's diagonal holds the eigenvalues (unsorted); the rest of A is garbage. When Z is not 0, Z (n×n)
 * is set to the matrix whose columns are the unit eigenvectors (column k belongs to A[k, k]).
 * Sweeps go row by row over the upper triangle (p < q), skipping entries that are exactly zero; before every
 * sweep the off-diagonal Frobenius norm is compared with JACOBI_TOL times the matrix's Frobenius norm.
 * Returns the number of sweeps done.
 */
export function jacobiEigen(A: usize, n: i32, Z: usize): i32 {
  if (Z != 0) {
    memory.fill(Z, 0, (<usize>n * <usize>n) << 3);
    for (let k = 0; k < n; k++) store<f64>(at(Z, n, k, k), 1.0);
  }
  const rowBytes = <usize>n << 3;
  const pairBytes = rowBytes & ~(<usize>15);
  let sweeps = 0;
  while (true) {
    let off2: f64 = 0;
    let diag2: f64 = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const x = load<f64>(at(A, n, i, j));
        if (i == j) diag2 += x * x;
        else off2 += x * x;
      }
    }
    if (Math.sqrt(off2) <= JACOBI_TOL * Math.sqrt(off2 + diag2)) break;
    if (sweeps >= JACOBI_MAX_SWEEPS) break;
    sweeps++;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = load<f64>(at(A, n, p, q));
        if (apq == 0) continue;
        const app = load<f64>(at(A, n, p, p));
        const aqq = load<f64>(at(A, n, q, q));
        // The rotation J = [[c, s], [−s, c]] in the (p, q) plane with (JᵀAJ)[p, q] = 0 (Golub & Van Loan):
        // t = tan of the angle is the root of t² + 2τt − 1 = 0 of smaller magnitude.
        const tau = (aqq - app) / (2 * apq);
        let t: f64;
        if (Math.abs(tau) > 1e150) t = 0.5 / tau; // τ² would overflow; t = 1/(2τ) to working precision
        else t = (tau >= 0 ? 1.0 : -1.0) / (Math.abs(tau) + Math.sqrt(1 + tau * tau));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = t * c;
        // For k ≠ p, q: a_kp ← c·a_kp − s·a_kq and a_kq ← s·a_kp + c·a_kq, computed along rows p and q
        // (a_kp = a_pk: the matrix is exactly symmetric), then mirrored into columns p and q.
        const rowP = A + <usize>p * rowBytes;
        const rowQ = A + <usize>q * rowBytes;
        const cv = f64x2.splat(c);
        const sv = f64x2.splat(s);
        let o: usize = 0;
        for (; o < pairBytes; o += 16) {
          const xp = v128.load(rowP + o);
          const xq = v128.load(rowQ + o);
          v128.store(rowP + o, f64x2.sub(f64x2.mul(cv, xp), f64x2.mul(sv, xq)));
          v128.store(rowQ + o, f64x2.add(f64x2.mul(sv, xp), f64x2.mul(cv, xq)));
        }
        if (o < rowBytes) {
          const xp = load<f64>(rowP + o);
          const xq = load<f64>(rowQ + o);
          store<f64>(rowP + o, c * xp - s * xq);
          store<f64>(rowQ + o, s * xp + c * xq);
        }
        store<f64>(at(A, n, p, p), app - t * apq);
        store<f64>(at(A, n, q, q), aqq + t * apq);
        store<f64>(at(A, n, p, q), 0);
        store<f64>(at(A, n, q, p), 0);
        for (let k = 0; k < n; k++) {
          if (k == p || k == q) continue;
          store<f64>(at(A, n, k, p), load<f64>(at(A, n, p, k)));
          store<f64>(at(A, n, k, q), load<f64>(at(A, n, q, k)));
        }
        if (Z != 0) {
          for (let k = 0; k < n; k++) {
            const zkp = load<f64>(at(Z, n, k, p));
            const zkq = load<f64>(at(Z, n, k, q));
            store<f64>(at(Z, n, k, p), c * zkp - s * zkq);
            store<f64>(at(Z, n, k, q), s * zkp + c * zkq);
          }
        }
      }
    }
  }
  return sweeps;
}

/** Index of the largest of x[0], x[stride], …, x[(n − 1)·stride] (the first one on ties). */
function argmax(x: usize, n: i32, stride: i32): i32 {
  let best = 0;
  let value = load<f64>(x);
  for (let k = 1; k < n; k++) {
    const v = load<f64>(x + ((<usize>k * <usize>stride) << 3));
    if (v > value) {
      value = v;
      best = k;
    }
  }
  return best;
}

/** sqrt(a² + b²), scaled by the larger magnitude so that the squares cannot overflow or underflow. */
function pythag(a: f64, b: f64): f64 {
  const x = Math.abs(a);
  const y = Math.abs(b);
  const big = x > y ? x : y;
  const small = x > y ? y : x;
  if (big == 0) return 0;
  const t = small / big;
  return big * Math.sqrt(1 + t * t);
}

// @ts-ignore: decorator
@inline
function ld(p: usize, k: i32): f64 {
  return load<f64>(p + (<usize>k << 3));
}

// @ts-ignore: decorator
@inline
function st(p: usize, k: i32, x: f64): void {
  store<f64>(p + (<usize>k << 3), x);
}

/**
 * Implicit QL with Wilkinson shifts on the symmetric n×n tridiagonal matrix with diagonal d[0 … n−1] and
 * off-diagonal e[0 … n−2] (e[k] beside d[k] and d[k+1]). On return d holds the eigenvalues (unsorted) and e is
 * garbage. z (n) receives the last row of the orthogonal matrix whose column k is the unit eigenvector of d[k],
 * i.e. the last component of every eigenvector; the other rows are never formed, so a call costs O(n²).
 * Returns the QL iterations done.
 */
export function tridiagonalEigen(d: usize, e: usize, z: usize, n: i32): i32 {
  if (n == 0) return 0;
  // z: the last row of the accumulated rotations, which start as the identity.
  memory.fill(z, 0, <usize>n << 3);
  st(z, n - 1, 1.0);
  // ‖T‖∞ ≥ ‖T‖₂, the scale of the deflation test (the rotations keep ‖T‖₂, so every |d[k]| stays ≤ ‖T‖∞).
  let norm: f64 = 0;
  for (let k = 0; k < n; k++) {
    let row = Math.abs(ld(d, k));
    if (k > 0) row += Math.abs(ld(e, k - 1));
    if (k + 1 < n) row += Math.abs(ld(e, k));
    if (row > norm) norm = row;
  }
  let iterations = 0;
  for (let l = 0; l < n; l++) {
    // Rows and columns above l are split off (e[l − 1] negligible); iterate on l until e[l] is negligible too,
    // and d[l] is an eigenvalue.
    for (let iter = 0; ; iter++) {
      // The unreduced block l … m: m is the first index ≥ l with e[m] negligible, or n − 1. (A NaN counts as
      // negligible, so bad input cannot keep the scan going.)
      let m = l;
      while (m + 1 < n && Math.abs(ld(e, m)) > TRIDIAGONAL_TOL * norm) m++;
      if (m == l || iter == TRIDIAGONAL_MAX_ITERATIONS) break;
      iterations++;
      // Wilkinson shift: the eigenvalue of the block's leading 2×2 [[d_l, e_l], [e_l, d_{l+1}]] nearer d_l,
      // μ = d_l − e_l / (δ + sign(δ)·sqrt(δ² + 1)) with δ = (d_{l+1} − d_l) / (2·e_l), a form without
      // cancellation (δ² cannot overflow: |δ| ≤ ‖T‖∞ / |e_l| < 1 / TRIDIAGONAL_TOL).
      const delta = (ld(d, l + 1) - ld(d, l)) / (2 * ld(e, l));
      const root = Math.sqrt(delta * delta + 1);
      const mu = ld(d, l) - ld(e, l) / (delta >= 0 ? delta + root : delta - root);
      // One implicit QL step T ← GᵀTG with G = G_{m−1} ⋯ G_l, G_i a rotation in the plane (i, i+1): identity
      // but for G[i][i] = G[i+1][i+1] = c, G[i][i+1] = s, G[i+1][i] = −s, with (c, s) = (x, y) / sqrt(x² + y²).
      // G_{m−1} is the first rotation of the QL factorisation of T − μI, so (x, y) = (d_m − μ, e_{m−1}), the
      // last two entries of its last column; it leaves a bulge y = T[m−2][m] = T[m][m−2], and every later G_i
      // takes (x, y) = (T[i+1][i+2], T[i][i+2]), zeroes the bulge and moves it up to (i−1, i+1), until it
      // leaves the block at the top. f is T[i][i+1] just before G_i.
      let x = ld(d, m) - mu;
      let y = ld(e, m - 1);
      let f = ld(e, m - 1);
      for (let i = m - 1; i >= l; i--) {
        const r = pythag(x, y);
        let c: f64 = 1; // x = y = 0 (underflow): nothing to zero, so no rotation
        let s: f64 = 0;
        if (r > 0) {
          c = x / r;
          s = y / r;
        }
        if (i + 1 < m) st(e, i + 1, r); // T[i+1][i+2] = s·y + c·x = r, and the bulge T[i][i+2] = c·y − s·x = 0
        // The 2×2 block [[a, f], [f, b]] on rows and columns i, i+1 becomes its GᵀBG.
        const a = ld(d, i);
        const b = ld(d, i + 1);
        st(d, i, c * c * a - 2 * c * s * f + s * s * b);
        st(d, i + 1, s * s * a + 2 * c * s * f + c * c * b);
        x = c * s * (a - b) + (c * c - s * s) * f; // T[i][i+1]
        // Row i − 1: T[i−1][i] = e_{i−1} becomes c·e_{i−1}, and the bulge T[i−1][i+1] = s·e_{i−1} appears.
        if (i > l) {
          f = c * ld(e, i - 1);
          y = s * ld(e, i - 1);
        }
        // The last row of the eigenvector matrix: z ← z·G_i.
        const zi = ld(z, i);
        const zj = ld(z, i + 1);
        st(z, i, c * zi - s * zj);
        st(z, i + 1, s * zi + c * zj);
      }
      st(e, l, x);
    }
  }
  return iterations;
}

// The pivots of T − xI = LDLᵀ (p_0 = d_0 − x, p_k = d_k − x − e_{k−1}²/p_{k−1}) and, in the same pass, what
// Laguerre's method needs from them (pivotsAt). det(T − xI) = Π p_k = Π (θ_i − x), so Σ p_k′/p_k = Σ 1/(x − θ_i)
// and −(Σ p_k′/p_k)′ = Σ 1/(x − θ_i)², with p_k′ = −1 + e_{k−1}²·p_{k−1}′/p_{k−1}² and
// p_k″ = e_{k−1}²·(p_{k−1}″/p_{k−1}² − 2·p_{k−1}′²/p_{k−1}³).
/** Σ 1/(x − θ_i). */
let pivotG: f64 = 0;
/** Σ 1/(x − θ_i)². */
let pivotH: f64 = 0;
/** Positive pivots: the eigenvalues > x. */
let pivotAbove: i32 = 0;
/** No pivot was zero and no sum overflowed. */
let pivotFinite = false;

function pivotsAt(d: usize, e: usize, n: i32, x: f64): void {
  let g: f64 = 0,
    h: f64 = 0,
    above = 0;
  let r: f64 = 0,
    u: f64 = 0,
    v: f64 = 0; // 1/p, p′/p and p″/p of the previous pivot
  for (let k = 0; k < n; k++) {
    const b2 = k > 0 ? ld(e, k - 1) * ld(e, k - 1) : 0.0;
    const p = ld(d, k) - x - b2 * r;
    const slope = -1.0 + b2 * u * r;
    const curve = b2 * r * (v - 2.0 * u * u);
    r = 1.0 / p;
    u = slope * r;
    v = curve * r;
    g += u;
    h += u * u - v;
    if (p > 0) above++;
  }
  pivotG = g;
  pivotH = h;
  pivotAbove = above;
  pivotFinite = isFinite(g) && isFinite(h);
}

/**
 * |s|, the magnitude of the last component of θ's unit eigenvector, by one step of inverse iteration:
 * y = (T − σI)⁻¹·1 for a σ ≥ θ just above it. There T − σI is negative definite, so its LDLᵀ without pivoting is
 * stable; y's part along θ's eigenvector is 1/(σ − θ) times that of 1 and the others at most 1/gap times theirs, so
 * y is that eigenvector to about ε·‖T‖/gap of its length (QL's accuracy), as long as 1 has a fair part along it: for
 * Lanczos's T_j, whose off-diagonal is positive, that eigenvector is positive (Perron–Frobenius). work: 2n doubles.
 * NaN where a pivot is not negative or y is not finite.
 */
function lastComponent(d: usize, e: usize, n: i32, sigma: f64, work: usize): f64 {
  const l = work; // L's subdiagonal: l_k = e_{k−1}/p_{k−1}
  const y = work + (<usize>n << 3); // D⁻¹L⁻¹·1, then y = L⁻ᵀD⁻¹L⁻¹·1
  // The pivots as pivotsAt and eigenvaluesAbove compute them, to the bit, so a σ they found all negative is.
  let r: f64 = 0,
    z: f64 = 0;
  for (let k = 0; k < n; k++) {
    const ek = k > 0 ? ld(e, k - 1) : 0.0;
    const p = ld(d, k) - sigma - ek * ek * r;
    if (!(p < 0)) return NaN;
    const lk = ek * r;
    z = 1.0 - lk * z;
    r = 1.0 / p;
    st(l, k, lk);
    st(y, k, z * r);
  }
  for (let k = n - 2; k >= 0; k--) st(y, k, ld(y, k) - ld(l, k + 1) * ld(y, k + 1));
  // |y_{n−1}| / ‖y‖, on y / max |y| so that the squares cannot overflow.
  let big: f64 = 0;
  for (let k = 0; k < n; k++) big = cppMax(big, Math.abs(ld(y, k)));
  if (!(big > 0) || !isFinite(big)) return NaN;
  let sum: f64 = 0;
  for (let k = 0; k < n; k++) sum += (ld(y, k) / big) * (ld(y, k) / big);
  return Math.abs(ld(y, n - 1)) / big / Math.sqrt(sum);
}

/** topEigenvalue's results: θ, and σ, a point ≥ θ within rounding of it where every pivot of T − σI is negative. */
let topTheta: f64 = 0;
let topSigma: f64 = 0;

/**
 * The largest eigenvalue θ of the same tridiagonal matrix T (d and e are only read) into topTheta, by Laguerre's
 * method on det(T − xI) from above, in O(n) per step where QL costs O(n²); σ into topSigma. Returns false, leaving
 * both unset, where the pivots cannot vouch for the result (a zero pivot at the start, a step that crossed θ by more
 * than rounding, no convergence); the caller then solves T by QL.
 */
export function topEigenvalue(d: usize, e: usize, n: i32): bool {
  if (n == 0) return false;
  // Start above Gershgorin's bound max_k d_k + |e_{k−1}| + |e_k| ≥ θ (by a margin, as θ may equal the bound), where
  // every pivot is negative. From above the largest root of a polynomial with real roots, Laguerre's steps
  // x ← x − n / (G + sqrt((n − 1)(n·H − G²))) decrease monotonically to it (cubically once it is isolated), and
  // each is at least Newton's 1/G ≥ (x − θ)/n, so a step ≤ LAGUERRE_TOL·x leaves x within n·LAGUERRE_TOL·x of θ.
  let x = -Infinity;
  for (let k = 0; k < n; k++) {
    let row = ld(d, k);
    if (k > 0) row += Math.abs(ld(e, k - 1));
    if (k + 1 < n) row += Math.abs(ld(e, k));
    x = cppMax(x, row);
  }
  x += Math.abs(x) * LAGUERRE_MARGIN;
  pivotsAt(d, e, n, x);
  if (!pivotFinite || pivotAbove != 0) return false;
  const dn = <f64>n;
  let found = false;
  let above = x; // a point ≥ θ where every pivot is negative
  for (let step = 0; step < LAGUERRE_MAX_STEPS; step++) {
    const spread = cppMax((dn - 1.0) * (dn * pivotH - pivotG * pivotG), 0.0);
    const a = dn / (pivotG + Math.sqrt(spread));
    if (!(a > 0)) return false;
    if (a <= LAGUERRE_TOL * Math.abs(x)) {
      found = true;
      above = x;
      break;
    }
    x = x - a;
    pivotsAt(d, e, n, x);
    if (pivotFinite && pivotAbove == 0) continue;
    // The step landed on θ (a zero pivot) or crossed it, which exact arithmetic never does: by rounding, so θ lies
    // just above x. Accept x once a count just above it finds no eigenvalue there.
    above = x + (Math.abs(x) + a) * LAGUERRE_TOL;
    if (eigenvaluesAbove(d, e, n, above) != 0) return false;
    found = true;
    break;
  }
  if (!found) return false;
  topTheta = x;
  topSigma = above;
  return true;
}

/**
 * θ as topEigenvalue finds it into out[0], and |s|, the magnitude of the last component of θ's unit eigenvector,
 * into out[1], by one step of inverse iteration at σ (Lanczos needs nothing else of T_j at most steps). work: 2n
 * doubles. Returns false, leaving out alone, where topEigenvalue does or the solve fails.
 */
export function topEigenpair(d: usize, e: usize, n: i32, work: usize, out: usize): bool {
  if (!topEigenvalue(d, e, n)) return false;
  const s = lastComponent(d, e, n, topSigma, work);
  if (!(s >= 0)) return false;
  store<f64>(out, topTheta);
  store<f64>(out + 8, s);
  return true;
}

/**
 * The number of eigenvalues of the same tridiagonal T greater than x (Sylvester's inertia: the positive pivots of
 * T − xI = LDLᵀ), or n + 1 where a pivot is zero or not a number and the count cannot be trusted.
 */
export function eigenvaluesAbove(d: usize, e: usize, n: i32, x: f64): i32 {
  let above = 0;
  let r: f64 = 0;
  for (let k = 0; k < n; k++) {
    const b2 = k > 0 ? ld(e, k - 1) * ld(e, k - 1) : 0.0;
    const p = ld(d, k) - x - b2 * r;
    if (!(p != 0) || !isFinite(p)) return n + 1;
    if (p > 0) above++;
    r = 1.0 / p;
  }
  return above;
}

/** std::max(a, b) of C++ (b when a < b, else a), so that NaN and −0 go as in native/spectral.cc. */
// @ts-ignore: decorator
@inline
function cppMax(a: f64, b: f64): f64 {
  return a < b ? b : a;
}

/**
 * Householder reduction of the symmetric n×n matrix A (both triangles stored) to a tridiagonal T = QᵀAQ with the
 * same eigenvalues: on return d_k = A[k, k] and e_k = A[k+1, k] (beside d_k and d_{k+1}); the rest of A is
 * garbage. Step k (k = 0 … n−3) reflects x = A[k+1 … n−1, k] onto a multiple of e₁ (skipped when x already is
 * one), scaled by Σ|x_i| against overflow.
 */
export function tridiagonalize(A: usize, n: i32): void {
  for (let k = 0; k + 2 < n; k++) {
    // x = A[k+1 … n−1, k], read from row k (A is symmetric): u overwrites it there, q goes to column k.
    const u = at(A, n, k, k + 1);
    const m = n - k - 1;
    let tail: f64 = 0;
    for (let i = 1; i < m; i++) tail += Math.abs(ld(u, i));
    if (tail == 0) continue; // x is already a multiple of e₁: no reflection, e_k = x₀ stays at A[k+1, k]
    const scale = Math.abs(ld(u, 0)) + tail;
    let sigma: f64 = 0;
    for (let i = 0; i < m; i++) {
      const ui = ld(u, i) / scale;
      st(u, i, ui);
      sigma += ui * ui;
    }
    const u0 = ld(u, 0);
    const g = u0 >= 0 ? -Math.sqrt(sigma) : Math.sqrt(sigma);
    const h = sigma - u0 * g;
    st(u, 0, u0 - g);
    // p = A₂₂u / h into column k, then K = uᵀp / 2h and q = p − K·u.
    let K: f64 = 0;
    for (let i = 0; i < m; i++) {
      const row = at(A, n, k + 1 + i, k + 1);
      let s: f64 = 0;
      for (let j = 0; j < m; j++) s += ld(row, j) * ld(u, j);
      const p = s / h;
      store<f64>(at(A, n, k + 1 + i, k), p);
      K += ld(u, i) * p;
    }
    K = K / (2.0 * h);
    for (let i = 0; i < m; i++) {
      const q = at(A, n, k + 1 + i, k);
      store<f64>(q, load<f64>(q) - K * ld(u, i));
    }
    // A₂₂ ← A₂₂ − u·qᵀ − q·uᵀ, both triangles (the same two products, summed in either order: exactly symmetric).
    for (let i = 0; i < m; i++) {
      const row = at(A, n, k + 1 + i, k + 1);
      const ui = ld(u, i);
      const qi = load<f64>(at(A, n, k + 1 + i, k));
      for (let j = 0; j < m; j++) st(row, j, ld(row, j) - (ui * load<f64>(at(A, n, k + 1 + j, k)) + qi * ld(u, j)));
    }
    store<f64>(at(A, n, k + 1, k), scale * g); // e_k
  }
}

/**
 * ‖X‖₂ = sqrt(max(λmax(G), 0)) from the Gram matrix G = XXᵀ or XᵀX (n×n, destroyed): n = 1 directly, n = 2 in
 * closed form, else tridiagonalize and topEigenvalue, or tridiagonalEigen where that declines (Jacobi gives the
 * same to ~2e-15, 7.6× slower at n = 32). A zero G gives 0.
 */
export function largestSingularValueFromGram(G: usize, n: i32): f64 {
  let lambda: f64;
  if (n == 1) {
    lambda = load<f64>(G);
  } else if (n == 2) {
    // λmax of [[a, b], [b, c]]: (a + c)/2 + sqrt(((a − c)/2)² + b²).
    const a = ld(G, 0), b = ld(G, 1), c = ld(G, 3);
    lambda = 0.5 * (a + c) + pythag(0.5 * (a - c), b);
  } else {
    tridiagonalize(G, n);
    // Pack d (the diagonal) into G[0 … n−1] and e (the subdiagonal) into G[n … 2n−2], in increasing order, which
    // never overwrites an entry not yet read; z takes G[2n … 3n−1] (n² ≥ 3n).
    for (let i = 0; i < n; i++) st(G, i, load<f64>(at(G, n, i, i)));
    for (let i = 0; i + 1 < n; i++) st(G, n + i, load<f64>(at(G, n, i + 1, i)));
    const nb = <usize>n << 3;
    if (topEigenvalue(G, G + nb, n)) {
      lambda = topTheta;
    } else {
      tridiagonalEigen(G, G + nb, G + 2 * nb, n);
      lambda = ld(G, argmax(G, n, 1));
    }
  }
  // A Gram matrix is positive semidefinite; rounding can push a zero eigenvalue slightly below zero.
  return Math.sqrt(max(lambda, 0.0));
}

/**
 * The power of two c = 2^(1022 − e), e the biased exponent of `maxAbs` = max |X| (0 for a subnormal max), so
 * that c·max |X| lies in [0.5, 1): the residual's norms square its entries, which overflow from ~1e154 and
 * underflow below ~1e-154, so they are computed on c·X and divided by c at the end. Scaling by a power of two is
 * exact, so wherever the unscaled sums stayed in range the result is the same to the bit. 1 for an all-zero (or
 * non-finite) X. Parallel to native/spectral.h's scaleFor.
 */
export function scaleFor(maxAbs: f64): f64 {
  if (maxAbs == 0 || !isFinite(maxAbs)) return 1.0;
  const e = <i32>((reinterpret<u64>(maxAbs) >> 52) & 0x7ff);
  const k = 1022 - e; // in [−1024, 1022]
  return k >= -1022 ? reinterpret<f64>(<u64>(k + 1023) << 52) : reinterpret<f64>(<u64>1 << <u64>(k + 1074));
}

/** Entry i of the (unnormalised) Lanczos start vector: u32hash(i) / 2^32 + 0.1, u32 wrapping arithmetic. */
export function lanczosStart(i: u32): f64 {
  let h: u32 = (i + 1) * 0x9E3779B1;
  h ^= h >>> 16;
  h = h * 0x85EBCA6B;
  h ^= h >>> 13;
  return <f64>h / 4294967296.0 + 0.1;
}

// ---------------------------------------------------------------------------------------------------------
// The Gram of the Lanczos run (native/spectral.cc, GramProduct): EᵀE (vectors of length N, applied by rows of E,
// which are contiguous) unless E is more than GRAM_MAX_ASPECT times wider than tall, where the reorthogonalisation
// against vectors of length N costs more than reading E by blocks of columns saves; then E·Eᵀ
// (length K), applied by blocks of at least GRAM_MIN_COLUMNS columns, about GRAM_BLOCK_BYTES of E each. Either
// way E is read once per product: its two products with a row or block follow each other while it is in cache.
const GRAM_MAX_ASPECT: i32 = 4;
const GRAM_BLOCK_BYTES: i32 = 256 << 10;
const GRAM_MIN_COLUMNS: i32 = 64;

// @ts-ignore: decorator
@inline
function gramByRows(K: i32, N: i32): bool {
  return <i64>N <= <i64>GRAM_MAX_ASPECT * <i64>K;
}

/** Columns of E per block of the E·Eᵀ product (sizeof<S> bytes an entry). */
// @ts-ignore: decorator
@inline
function gramBlockColumns(K: i32, N: i32, bytes: i32): i32 {
  return min(N, max(GRAM_MIN_COLUMNS, GRAM_BLOCK_BYTES / max(1, K * bytes)));
}

/** The dimension of the Lanczos run's Gram: the length of its vectors. */
export function lanczosDimension(K: i32, N: i32): i32 {
  return gramByRows(K, N) ? N : K;
}

/**
 * The most steps a Lanczos run can take: min(K, N) + 1 (a Krylov space of either Gram has at most that many
 * dimensions: the start vector's part in the Gram's null space never grows), and at most the Gram's dimension.
 */
export function lanczosMaxSteps(K: i32, N: i32): i32 {
  return min(lanczosDimension(K, N), min(K, N) + 1);
}

// Lanczos workspace for at most m steps on a K×N residual (n = lanczosDimension(K, N)), in doubles:
//   Q  m×n   the Lanczos vectors q_0 … q_{m−1}, one per row
//   w  n     the new vector
//   x  n     c·q_{j−1}, the scaled vector the Gram is applied to
//   u  b     a block's E_Jᵀ·x (E·Eᵀ only: b = its block columns; else none)
//   c  m     Gram–Schmidt coefficients
//   α  m, β m
//   d  m, e m  copies of α and β that the tridiagonal solver destroys (T_j's eigenvalues end up in d)
//   z  m     the last components of T_j's eigenvectors
// Each part starts on a 16-byte boundary.

// @ts-ignore: decorator
@inline
function align16(x: usize): usize {
  return (x + 15) & ~(<usize>15);
}

/** Bytes of the Lanczos workspace for at most m steps (as f64: the caller checks it against 2^32). */
export function lanczosWorkBytes(K: i32, N: i32, m: i32): f64 {
  const n = <f64>lanczosDimension(K, N);
  const b = gramByRows(K, N) ? 0.0 : <f64>gramBlockColumns(K, N, 8);
  const mm = <f64>m;
  const pad = 10.0; // one double of padding per part after Q at most
  return 8.0 * (mm * n + 2.0 * n + b + 7.0 * mm + 2.0 + pad);
}

/**
 * w ← G·q, G = EᵀE (gramByRows: q and w of length N) or E·Eᵀ (length K), reading E once; u is the block scratch of
 * the E·Eᵀ form. E is of S (f64, or f32 for a float32 fit, widened as it is read); the vectors and every sum are
 * float64. w must not overlap q.
 */
function applyGram<S>(E: usize, K: i32, N: i32, q: usize, w: usize, u: usize): void {
  const ldE = <usize>N * sizeof<S>();
  if (gramByRows(K, N)) {
    // For each row E_i: w += (E_i·q)·E_i, four rows side by side (addFourRows), then the rest one by one.
    memory.fill(w, 0, <usize>N << 3);
    let i = 0;
    for (; i + 4 <= K; i += 4) addFourRows<S>(E + <usize>i * ldE, ldE, q, w, N);
    for (; i < K; i++) {
      const row = E + <usize>i * ldE;
      axpyRow<S>(dotRow<S>(row, q, N), row, w, N);
    }
  } else {
    // For each block J of columns: u = E_Jᵀq as Σ_i q_i·E_i,J, then w_i += E_i,J·u.
    memory.fill(w, 0, <usize>K << 3);
    const block = gramBlockColumns(K, N, <i32>sizeof<S>());
    for (let j0 = 0; j0 < N; j0 += block) {
      const cols = min(block, N - j0);
      const EJ = E + <usize>j0 * sizeof<S>();
      memory.fill(u, 0, <usize>cols << 3);
      for (let i = 0; i < K; i++) axpyRow<S>(load<f64>(q + (<usize>i << 3)), EJ + <usize>i * ldE, u, cols);
      for (let i = 0; i < K; i++) {
        const wi = w + (<usize>i << 3);
        store<f64>(wi, load<f64>(wi) + dotRow<S>(EJ + <usize>i * ldE, u, cols));
      }
    }
  }
}
/**
 * w ← w + (E_r·q)·E_r for the four rows r at `rows`, `ldE` bytes apart, in turn: the same sums as dotRow and then
 * axpyRow row after row, but the four dot products run side by side (four independent chains of additions instead of
 * one) and w is read and written once for the four rows.
 */
// @ts-ignore: decorator
@inline
function addFourRows<S>(rows: usize, ldE: usize, q: usize, w: usize, n: i32): void {
  const vb = <usize>lanes<f64>() * sizeof<S>();
  const pairs = n >> 1;
  let c0 = vzero<f64>();
  let c1 = vzero<f64>();
  let c2 = vzero<f64>();
  let c3 = vzero<f64>();
  let x = rows;
  let y = q;
  for (let p = 0; p < pairs; p++) {
    const qv = v128.load(y);
    c0 = vadd<f64>(c0, vmul<f64>(vload<S, f64>(x), qv));
    c1 = vadd<f64>(c1, vmul<f64>(vload<S, f64>(x + ldE), qv));
    c2 = vadd<f64>(c2, vmul<f64>(vload<S, f64>(x + 2 * ldE), qv));
    c3 = vadd<f64>(c3, vmul<f64>(vload<S, f64>(x + 3 * ldE), qv));
    x += vb;
    y += 16;
  }
  let t0 = lanesSum<f64>(c0);
  let t1 = lanesSum<f64>(c1);
  let t2 = lanesSum<f64>(c2);
  let t3 = lanesSum<f64>(c3);
  if (n & 1) {
    const qn = load<f64>(y);
    t0 += sload<S, f64>(x) * qn;
    t1 += sload<S, f64>(x + ldE) * qn;
    t2 += sload<S, f64>(x + 2 * ldE) * qn;
    t3 += sload<S, f64>(x + 3 * ldE) * qn;
  }
  addFourScaledRows<S>(t0, t1, t2, t3, rows, ldE, w, n);
}

/**
 * y ← y + a0·x_0 + a1·x_1 + a2·x_2 + a3·x_3, the rows x_r at `rows`, `ld` bytes apart, added in turn to each entry
 * (as four axpyRow calls in a row would, with y read and written once).
 */
// @ts-ignore: decorator
@inline
function addFourScaledRows<S>(t0: f64, t1: f64, t2: f64, t3: f64, rows: usize, ld: usize, y: usize, n: i32): void {
  const vb = <usize>lanes<f64>() * sizeof<S>();
  const pairs = n >> 1;
  const a0 = f64x2.splat(t0);
  const a1 = f64x2.splat(t1);
  const a2 = f64x2.splat(t2);
  const a3 = f64x2.splat(t3);
  let x = rows;
  let out = y;
  for (let p = 0; p < pairs; p++) {
    let v = v128.load(out);
    v = vadd<f64>(v, vmul<f64>(a0, vload<S, f64>(x)));
    v = vadd<f64>(v, vmul<f64>(a1, vload<S, f64>(x + ld)));
    v = vadd<f64>(v, vmul<f64>(a2, vload<S, f64>(x + 2 * ld)));
    v = vadd<f64>(v, vmul<f64>(a3, vload<S, f64>(x + 3 * ld)));
    v128.store(out, v);
    x += vb;
    out += 16;
  }
  if (n & 1) {
    let v = load<f64>(out);
    v = v + t0 * sload<S, f64>(x);
    v = v + t1 * sload<S, f64>(x + ld);
    v = v + t2 * sload<S, f64>(x + 2 * ld);
    v = v + t3 * sload<S, f64>(x + 3 * ld);
    store<f64>(out, v);
  }
}

/** y ← y + a·x over n entries, x of S, y float64 (f64x2, scalar last entry). */
// @ts-ignore: decorator
@inline
function axpyRow<S>(a: f64, x: usize, y: usize, n: i32): void {
  const av = f64x2.splat(a);
  const vb = <usize>2 * sizeof<S>();
  const pairs = n >> 1;
  for (let q = 0; q < pairs; q++) {
    v128.store(y, vadd<f64>(v128.load(y), vmul<f64>(av, vload<S, f64>(x))));
    x += vb;
    y += 16;
  }
  if (n & 1) store<f64>(y, load<f64>(y) + a * sload<S, f64>(x));
}

/** x·y over n entries, x of S, y float64, in the lane order of products.ts's dot (even and odd indices). */
// @ts-ignore: decorator
@inline
function dotRow<S>(x: usize, y: usize, n: i32): f64 {
  const vb = <usize>lanes<f64>() * sizeof<S>();
  let c = vzero<f64>();
  const pairs = n >> 1;
  for (let q = 0; q < pairs; q++) {
    c = vadd<f64>(c, vmul<f64>(vload<S, f64>(x), v128.load(y)));
    x += vb;
    y += 16;
  }
  let s = lanesSum<f64>(c);
  if (n & 1) s += sload<S, f64>(x) * load<f64>(y);
  return s;
}

/** y ← y + a·x over n float64 entries (f64x2, scalar last entry). */
// @ts-ignore: decorator
@inline
function axpy(a: f64, x: usize, y: usize, n: i32): void {
  axpyRow<f64>(a, x, y, n);
}

/**
 * Where Kato–Temple makes θ, the largest eigenvalue of T_j (its Ritz pair with residual ρ = β_j·|s|), close enough:
 * where λ, the Gram's eigenvalue near θ, is separated from the rest of the spectrum by a gap δ, |θ − λ| ≤ ρ²/δ, and
 * that is ≤ LANCZOS_GAP_TOL·θ once T_j's second largest eigenvalue θ₂ (which estimates the rest of the spectrum) is
 * at most θ − ρ²/(LANCZOS_GAP_TOL·θ).
 */
function katoTempleBound(rho: f64, theta: f64): f64 {
  return theta - (rho * rho) / (LANCZOS_GAP_TOL * theta);
}

/**
 * Whether θ is close enough to an eigenvalue λ of the Gram: ρ bounds |θ − λ|, and the gap bound (secondBelowBound:
 * θ₂ ≤ katoTempleBound) lets Lanczos stop about a quarter of its steps sooner.
 */
function lanczosConverged(rho: f64, theta: f64, secondBelowBound: bool): bool {
  return rho <= LANCZOS_TOL * theta || (rho <= LANCZOS_GAP_FROM * theta && secondBelowBound);
}

/** The largest of d[0 … j−1] other than d[top], or d[top] when j = 1. */
function secondLargest(d: usize, j: i32, top: i32): f64 {
  let second = ld(d, top);
  let found = false;
  for (let k = 0; k < j; k++) {
    if (k != top && (!found || ld(d, k) > second)) {
      second = ld(d, k);
      found = true;
    }
  }
  return second;
}

/**
 * ‖E‖₂ for the K×N residual E by Lanczos with full reorthogonalization on the Gram of applyGram (docs/kernels.md),
 * using the workspace `work` (lanczosWorkBytes(K, N, m) bytes, 16-byte aligned); `maxAbs` is max |E|. E is of S
 * (f64, or f32 for a float32 fit); the Lanczos vectors and all arithmetic are float64. Returns the norm, or −1
 * when m < lanczosMaxSteps(K, N) steps were not enough: the caller then retries with a larger m, which repeats the
 * same steps bit for bit and goes on.
 */
export function residualSpectralNorm<S>(E: usize, K: i32, N: i32, maxAbs: f64, work: usize, m: i32): f64 {
  const n = lanczosDimension(K, N);
  const steps = lanczosMaxSteps(K, N);
  const nb = <usize>n << 3;
  const blockBytes = gramByRows(K, N) ? <usize>0 : <usize>gramBlockColumns(K, N, 8) << 3;
  const Q = work;
  const w = align16(Q + <usize>m * nb);
  const x = align16(w + nb);
  const u = align16(x + nb);
  const coef = align16(u + blockBytes);
  const alpha = align16(coef + (<usize>m << 3));
  const beta = align16(alpha + (<usize>m << 3));
  const d = align16(beta + (<usize>m << 3));
  const e = align16(d + (<usize>m << 3));
  const z = align16(e + (<usize>m << 3));
  const pair = align16(z + (<usize>m << 4)); // z: QL's last row (j), or topEigenpair's work (2j); pair: its θ and |s|

  // E's entries are scaled by c (exactly) so that its Gram neither overflows nor underflows: θ is λ·c².
  const c = scaleFor(maxAbs);

  // q_0: the hashed start vector, normalised.
  for (let i = 0; i < n; i++) store<f64>(Q + (<usize>i << 3), lanczosStart(<u32>i));
  const norm0 = Math.sqrt(dot(Q, Q, n));
  for (let i = 0; i < n; i++) store<f64>(Q + (<usize>i << 3), load<f64>(Q + (<usize>i << 3)) / norm0);

  let unchecked = false; // the next step goes unchecked (LANCZOS_SKIP_ABOVE)
  for (let j = 1; j <= m; j++) {
    // Step j: w = G q_{j−1}, orthogonalised twice against q_0 … q_{j−1} (classical Gram–Schmidt).
    const qj = Q + <usize>(j - 1) * nb;
    // On c·E: w = c·G(c·q_{j−1}).
    for (let i = 0; i < n; i++) store<f64>(x + (<usize>i << 3), load<f64>(qj + (<usize>i << 3)) * c);
    applyGram<S>(E, K, N, x, w, u);
    for (let i = 0; i < n; i++) store<f64>(w + (<usize>i << 3), load<f64>(w + (<usize>i << 3)) * c);
    for (let pass = 0; pass < 2; pass++) {
      // coef = Q·w (each entry dot's sum; four rows of Q side by side), then w ← w − coef_i·q_i for i = 0, 1, … in
      // turn (axpy's sums; four rows at a time).
      mulABt<f64>(Q, w, coef, j, n, 1);
      if (pass == 0) store<f64>(alpha + (<usize>(j - 1) << 3), load<f64>(coef + (<usize>(j - 1) << 3)));
      let i = 0;
      for (; i + 4 <= j; i += 4) {
        const ci = coef + (<usize>i << 3);
        addFourScaledRows<f64>(-ld(ci, 0), -ld(ci, 1), -ld(ci, 2), -ld(ci, 3), Q + <usize>i * nb, nb, w, n);
      }
      for (; i < j; i++) axpy(-load<f64>(coef + (<usize>i << 3)), Q + <usize>i * nb, w, n);
    }
    const b = Math.sqrt(dot(w, w, n));
    store<f64>(beta + (<usize>(j - 1) << 3), b);

    const last = b <= LANCZOS_BREAKDOWN || j == steps;
    if (unchecked && !last) {
      unchecked = false;
    } else {
      // θ, the largest eigenvalue of the j×j tridiagonal T_j (α on the diagonal, β_1 … β_{j−1} beside it), and s,
      // the last component of its unit eigenvector: by Laguerre's method, O(j) per check; by QL where that cannot
      // vouch for its result.
      let theta: f64, s: f64;
      let secondBelow: bool;
      if (topEigenpair(alpha, beta, j, z, pair)) {
        theta = ld(pair, 0);
        s = ld(pair, 1);
        // The count only where lanczosConverged would use it.
        secondBelow = j > 1 && b * s <= LANCZOS_GAP_FROM * theta && eigenvaluesAbove(alpha, beta, j, katoTempleBound(b * s, theta)) == 1;
      } else {
        // Every eigenvalue of T_j and the last components of its unit eigenvectors, on copies (QL destroys its
        // input).
        memory.copy(d, alpha, <usize>j << 3);
        memory.copy(e, beta, <usize>(j - 1) << 3);
        tridiagonalEigen(d, e, z, j);
        const top = argmax(d, j, 1);
        theta = ld(d, top);
        s = Math.abs(ld(z, top));
        secondBelow = j > 1 && secondLargest(d, j, top) <= katoTempleBound(b * s, theta);
      }
      if (lanczosConverged(b * s, theta, secondBelow) || last) return Math.sqrt(max(theta, 0.0)) / c;
      unchecked = b * s > LANCZOS_SKIP_ABOVE * theta;
    }
    if (j == m) return -1.0; // out of workspace: the caller retries with more
    const next = Q + <usize>j * nb;
    for (let i = 0; i < n; i++) store<f64>(next + (<usize>i << 3), load<f64>(w + (<usize>i << 3)) / b);
  }
  return -1.0; // m < 1
}
