// Symmetric eigenvalues (cyclic Jacobi) and the two spectral norms of docs/kernels.md:
//  - largestSingularValueFromGram: ‖X‖₂ of an iteration's change from its R×R Gram matrix;
//  - residualSpectralNorm: ‖E‖₂ of the final residual by Lanczos with full reorthogonalization.
// Raw pointers into linear memory, row-major float64; nothing is allocated here.
// Parallel to native/spectral.cc.

import { dot } from './products';

/** Jacobi stops when the off-diagonal Frobenius norm is ≤ JACOBI_TOL · the matrix's Frobenius norm … */
const JACOBI_TOL: f64 = 1e-15;
/** … or after this many sweeps. */
const JACOBI_MAX_SWEEPS: i32 = 64;
/** Lanczos stops when β_j · |s| ≤ LANCZOS_TOL · θ … */
const LANCZOS_TOL: f64 = 1e-14;
/** … or when β_j ≤ LANCZOS_BREAKDOWN (invariant subspace found). */
const LANCZOS_BREAKDOWN: f64 = 1e-300;

// @ts-ignore: decorator
@inline
function at(A: usize, n: i32, i: i32, j: i32): usize {
  return A + ((<usize>i * <usize>n + <usize>j) << 3);
}

/**
 * Cyclic Jacobi on the symmetric n×n matrix A (row-major, both triangles stored and kept exactly symmetric).
 * On return A's diagonal holds the eigenvalues (unsorted); the rest of A is garbage.
 * Eigenvectors: Z (zRows×n, may be 0 when zRows = 0) receives the last zRows rows of the orthogonal matrix
 * whose column k is the unit eigenvector of A[k, k]: zRows = n gives all eigenvectors, zRows = 1 just their last
 * components, which is all Lanczos needs (every row of that matrix is rotated on its own, so a row costs the
 * same alone as within the full matrix, bit for bit).
 * Sweeps go row by row over the upper triangle (p < q), skipping entries that are exactly zero; before every
 * sweep the off-diagonal Frobenius norm is compared with JACOBI_TOL times the matrix's Frobenius norm.
 * Returns the number of sweeps done.
 */
export function jacobiEigen(A: usize, n: i32, Z: usize, zRows: i32): i32 {
  if (zRows > 0) {
    memory.fill(Z, 0, (<usize>zRows * <usize>n) << 3);
    for (let r = 0; r < zRows; r++) store<f64>(at(Z, n, r, n - zRows + r), 1.0);
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
        for (let r = 0; r < zRows; r++) {
          const zp = load<f64>(at(Z, n, r, p));
          const zq = load<f64>(at(Z, n, r, q));
          store<f64>(at(Z, n, r, p), c * zp - s * zq);
          store<f64>(at(Z, n, r, q), s * zp + c * zq);
        }
      }
    }
  }
  return sweeps;
}

/** Index of the largest diagonal entry of the n×n matrix A (the first one on ties). */
function argmaxDiagonal(A: usize, n: i32): i32 {
  let best = 0;
  let value = load<f64>(A);
  for (let k = 1; k < n; k++) {
    const x = load<f64>(at(A, n, k, k));
    if (x > value) {
      value = x;
      best = k;
    }
  }
  return best;
}

/**
 * ‖X‖₂ = sqrt(max(λmax(G), 0)) from the Gram matrix G = XXᵀ or XᵀX (n×n, destroyed). A zero G gives 0.
 */
export function largestSingularValueFromGram(G: usize, n: i32): f64 {
  jacobiEigen(G, n, 0, 0);
  const top = argmaxDiagonal(G, n);
  const lambda = load<f64>(at(G, n, top, top));
  return Math.sqrt(max(lambda, 0.0));
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
// Lanczos workspace for at most m steps on a K×N residual (n = min(K, N), o = max(K, N)), in doubles:
//   Q  m×n   the Lanczos vectors q_0 … q_{m−1}, one per row
//   w  n     the new vector
//   u  o     the intermediate E·q or Eᵀ·q
//   c  m     Gram–Schmidt coefficients
//   α  m, β m
//   T  m×m   T_j (rebuilt from α, β at every step, destroyed by Jacobi)
//   Z  m     the last components of its eigenvectors
// Each part starts on a 16-byte boundary.

// @ts-ignore: decorator
@inline
function align16(x: usize): usize {
  return (x + 15) & ~(<usize>15);
}

/** Bytes of the Lanczos workspace for at most m steps (as f64: the caller checks it against 2^32). */
export function lanczosWorkBytes(K: i32, N: i32, m: i32): f64 {
  const n = <f64>min(K, N);
  const o = <f64>max(K, N);
  const mm = <f64>m;
  const pad = 7.0; // one double of padding per part at most
  return 8.0 * (mm * n + n + o + 4.0 * mm + mm * mm + pad);
}

/** w ← G·q with G = E·Eᵀ (K ≤ N, q and w of length K) or Eᵀ·E (K > N, length N); u is scratch of max(K, N). */
function applyGram(E: usize, K: i32, N: i32, q: usize, w: usize, u: usize): void {
  const ldE = <usize>N << 3;
  if (K <= N) {
    // u = Eᵀq (length N) as Σ_i q_i · E[i, :], then w_i = E[i, :] · u.
    memory.fill(u, 0, <usize>N << 3);
    for (let i = 0; i < K; i++) axpy(load<f64>(q + (<usize>i << 3)), E + <usize>i * ldE, u, N);
    for (let i = 0; i < K; i++) store<f64>(w + (<usize>i << 3), dot(E + <usize>i * ldE, u, N));
  } else {
    // u = Eq (length K), then w = Eᵀu as Σ_i u_i · E[i, :].
    for (let i = 0; i < K; i++) store<f64>(u + (<usize>i << 3), dot(E + <usize>i * ldE, q, N));
    memory.fill(w, 0, <usize>N << 3);
    for (let i = 0; i < K; i++) axpy(load<f64>(u + (<usize>i << 3)), E + <usize>i * ldE, w, N);
  }
}

/** y ← y + a·x over n entries (f64x2, scalar last entry). */
// @ts-ignore: decorator
@inline
function axpy(a: f64, x: usize, y: usize, n: i32): void {
  const av = f64x2.splat(a);
  const pairs = n >> 1;
  for (let q = 0; q < pairs; q++) {
    v128.store(y, f64x2.add(v128.load(y), f64x2.mul(av, v128.load(x))));
    x += 16;
    y += 16;
  }
  if (n & 1) store<f64>(y, load<f64>(y) + a * load<f64>(x));
}

/**
 * ‖E‖₂ for the K×N residual E by Lanczos with full reorthogonalization on the Gram of the smaller side
 * (docs/kernels.md), using the workspace `work` (lanczosWorkBytes(K, N, m) bytes, 16-byte aligned).
 * Returns the norm, or −1 when m < n steps were not enough: the caller then retries with a larger m, which
 * repeats the same steps bit for bit and goes on.
 */
export function residualSpectralNorm(E: usize, K: i32, N: i32, work: usize, m: i32): f64 {
  const n = min(K, N);
  const o = max(K, N);
  const nb = <usize>n << 3;
  const Q = work;
  const w = align16(Q + <usize>m * nb);
  const u = align16(w + nb);
  const coef = align16(u + (<usize>o << 3));
  const alpha = align16(coef + (<usize>m << 3));
  const beta = align16(alpha + (<usize>m << 3));
  const T = align16(beta + (<usize>m << 3));
  const Z = align16(T + ((<usize>m * <usize>m) << 3));

  // q_0: the hashed start vector, normalised.
  for (let i = 0; i < n; i++) store<f64>(Q + (<usize>i << 3), lanczosStart(<u32>i));
  const norm0 = Math.sqrt(dot(Q, Q, n));
  for (let i = 0; i < n; i++) store<f64>(Q + (<usize>i << 3), load<f64>(Q + (<usize>i << 3)) / norm0);

  for (let j = 1; j <= m; j++) {
    // Step j: w = G q_{j−1}, orthogonalised twice against q_0 … q_{j−1} (classical Gram–Schmidt).
    const qj = Q + <usize>(j - 1) * nb;
    applyGram(E, K, N, qj, w, u);
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < j; i++) store<f64>(coef + (<usize>i << 3), dot(Q + <usize>i * nb, w, n));
      if (pass == 0) store<f64>(alpha + (<usize>(j - 1) << 3), load<f64>(coef + (<usize>(j - 1) << 3)));
      for (let i = 0; i < j; i++) axpy(-load<f64>(coef + (<usize>i << 3)), Q + <usize>i * nb, w, n);
    }
    const b = Math.sqrt(dot(w, w, n));
    store<f64>(beta + (<usize>(j - 1) << 3), b);

    // Eigenpairs of the j×j tridiagonal T_j (α on the diagonal, β_1 … β_{j−1} beside it).
    memory.fill(T, 0, (<usize>j * <usize>j) << 3);
    for (let k = 0; k < j; k++) {
      store<f64>(at(T, j, k, k), load<f64>(alpha + (<usize>k << 3)));
      if (k + 1 < j) {
        const bk = load<f64>(beta + (<usize>k << 3));
        store<f64>(at(T, j, k, k + 1), bk);
        store<f64>(at(T, j, k + 1, k), bk);
      }
    }
    jacobiEigen(T, j, Z, 1); // Z: the last components of T_j's eigenvectors
    const top = argmaxDiagonal(T, j);
    const theta = load<f64>(at(T, j, top, top));
    const s = load<f64>(Z + (<usize>top << 3));

    if (b * Math.abs(s) <= LANCZOS_TOL * theta || b <= LANCZOS_BREAKDOWN || j == n) {
      return Math.sqrt(max(theta, 0.0));
    }
    if (j == m) return -1.0; // out of workspace: the caller retries with more
    const next = Q + <usize>j * nb;
    for (let i = 0; i < n; i++) store<f64>(next + (<usize>i << 3), load<f64>(w + (<usize>i << 3)) / b);
  }
  return -1.0; // m < 1
}
