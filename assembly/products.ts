// The matrix products of one NMF iteration (docs/kernels.md), row-major float64, f64x2 SIMD.
//
// The native backend gets these from CBLAS; here they are our own. Every kernel works on raw pointers into
// linear memory and allocates nothing.
//
// Summation order. Every element of every product is accumulated in an order fixed by the shapes alone, never
// by tiling, blocking or remainder handling:
//  - mulAtB / mulSmallInner / gramAtA: C[i, j] = ((0 + a₀b₀) + a₁b₁) + … over the inner index in increasing
//    order (a blocked inner loop stores the running sum and resumes it, which rounds identically);
//  - mulABt / gramAAt: two running sums, over the even and over the odd inner indices, then
//    (even + odd) + the last term when the inner dimension is odd.
// So a remainder row or column gets bit-for-bit what a full tile would give, and a Gram matrix is exactly
// symmetric (IEEE products commute), which the Jacobi solver in spectral.ts relies on.

// Cache blocking of mulAtB (WᵀV), whose inner dimension (the K rows of V) is long: the inner loop is cut into
// slabs of TB = 16 rows of B (at most NB = 2048 columns wide: 256 KiB, kept in L2) and every register tile of C
// sweeps the slab before the next one starts; C's tile is stored and resumed between slabs (1 load and 1 store
// per 16 multiply–adds). Measured on a 1025×2000, R = 32 product this beats larger panels (128×256: 9.5
// GFlop/s) and packing the panel into contiguous strips (no gain): 14 GFlop/s, and 12 instead of 5 at R = 8.
const TB: i32 = 16;
const NB: i32 = 2048;

// ---------------------------------------------------------------------------------------------------------
// C (M×N) = Σ_t A(i, t) · B(t, j), where A(i, t) = A[i·as + t·at] (strides in elements) and B is row-major
// T×N. This one register-tiled kernel serves both
//   mulAtB:        A is K×R, C = AᵀB       → A(i, t) = A[t·R + i]  (as = 1, at = R)
//   mulSmallInner: A is M×R, C = A·B       → A(i, t) = A[i·R + t]  (as = R, at = 1)
// Register tiles: 2 rows × 8 columns (8 accumulators, one full cache line of B per step), then 4, 2 and 1
// columns for the remainder, and single rows when M is odd. A tile accumulates `count` inner steps: `a`
// points at A(i, t₀), `b` at B(t₀, j), `c` at C(i, j); B's and C's rows are ld bytes apart. When `first`, C
// starts at zero, else from its stored value (the same running sum, resumed).

// @ts-ignore: decorator
@inline
function tile2x8(a: usize, as8: usize, at8: usize, b: usize, c: usize, ld: usize, count: i32, first: bool): void {
  let c00: v128, c01: v128, c02: v128, c03: v128, c10: v128, c11: v128, c12: v128, c13: v128;
  if (first) {
    c00 = f64x2.splat(0); c01 = c00; c02 = c00; c03 = c00; c10 = c00; c11 = c00; c12 = c00; c13 = c00;
  } else {
    c00 = v128.load(c); c01 = v128.load(c, 16); c02 = v128.load(c, 32); c03 = v128.load(c, 48);
    c10 = v128.load(c + ld); c11 = v128.load(c + ld, 16); c12 = v128.load(c + ld, 32); c13 = v128.load(c + ld, 48);
  }
  for (let t = 0; t < count; t++) {
    const a0 = v128.load64_splat(a);
    const a1 = v128.load64_splat(a + as8);
    let bv = v128.load(b);
    c00 = f64x2.add(c00, f64x2.mul(a0, bv));
    c10 = f64x2.add(c10, f64x2.mul(a1, bv));
    bv = v128.load(b, 16);
    c01 = f64x2.add(c01, f64x2.mul(a0, bv));
    c11 = f64x2.add(c11, f64x2.mul(a1, bv));
    bv = v128.load(b, 32);
    c02 = f64x2.add(c02, f64x2.mul(a0, bv));
    c12 = f64x2.add(c12, f64x2.mul(a1, bv));
    bv = v128.load(b, 48);
    c03 = f64x2.add(c03, f64x2.mul(a0, bv));
    c13 = f64x2.add(c13, f64x2.mul(a1, bv));
    a += at8;
    b += ld;
  }
  v128.store(c, c00); v128.store(c, c01, 16); v128.store(c, c02, 32); v128.store(c, c03, 48);
  v128.store(c + ld, c10); v128.store(c + ld, c11, 16); v128.store(c + ld, c12, 32); v128.store(c + ld, c13, 48);
}

// @ts-ignore: decorator
@inline
function tile2x4(a: usize, as8: usize, at8: usize, b: usize, c: usize, ld: usize, count: i32, first: bool): void {
  let c00: v128, c01: v128, c10: v128, c11: v128;
  if (first) {
    c00 = f64x2.splat(0); c01 = c00; c10 = c00; c11 = c00;
  } else {
    c00 = v128.load(c); c01 = v128.load(c, 16); c10 = v128.load(c + ld); c11 = v128.load(c + ld, 16);
  }
  for (let t = 0; t < count; t++) {
    const a0 = v128.load64_splat(a);
    const a1 = v128.load64_splat(a + as8);
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    c00 = f64x2.add(c00, f64x2.mul(a0, b0));
    c01 = f64x2.add(c01, f64x2.mul(a0, b1));
    c10 = f64x2.add(c10, f64x2.mul(a1, b0));
    c11 = f64x2.add(c11, f64x2.mul(a1, b1));
    a += at8;
    b += ld;
  }
  v128.store(c, c00); v128.store(c, c01, 16); v128.store(c + ld, c10); v128.store(c + ld, c11, 16);
}

// @ts-ignore: decorator
@inline
function tile2x2(a: usize, as8: usize, at8: usize, b: usize, c: usize, ld: usize, count: i32, first: bool): void {
  let c0: v128, c1: v128;
  if (first) {
    c0 = f64x2.splat(0); c1 = c0;
  } else {
    c0 = v128.load(c); c1 = v128.load(c + ld);
  }
  for (let t = 0; t < count; t++) {
    const b0 = v128.load(b);
    c0 = f64x2.add(c0, f64x2.mul(v128.load64_splat(a), b0));
    c1 = f64x2.add(c1, f64x2.mul(v128.load64_splat(a + as8), b0));
    a += at8;
    b += ld;
  }
  v128.store(c, c0); v128.store(c + ld, c1);
}

// @ts-ignore: decorator
@inline
function tile2x1(a: usize, as8: usize, at8: usize, b: usize, c: usize, ld: usize, count: i32, first: bool): void {
  // Rows i and i+1 in the two lanes; the entry of B is splatted.
  let c01: v128 = first ? f64x2.splat(0) : f64x2.replace_lane(f64x2.splat(load<f64>(c)), 1, load<f64>(c + ld));
  for (let t = 0; t < count; t++) {
    const a01 = f64x2.replace_lane(f64x2.splat(load<f64>(a)), 1, load<f64>(a + as8));
    c01 = f64x2.add(c01, f64x2.mul(a01, v128.load64_splat(b)));
    a += at8;
    b += ld;
  }
  store<f64>(c, f64x2.extract_lane(c01, 0));
  store<f64>(c + ld, f64x2.extract_lane(c01, 1));
}

// @ts-ignore: decorator
@inline
function tile1x8(a: usize, at8: usize, b: usize, c: usize, ld: usize, count: i32, first: bool): void {
  let c0: v128, c1: v128, c2: v128, c3: v128;
  if (first) {
    c0 = f64x2.splat(0); c1 = c0; c2 = c0; c3 = c0;
  } else {
    c0 = v128.load(c); c1 = v128.load(c, 16); c2 = v128.load(c, 32); c3 = v128.load(c, 48);
  }
  for (let t = 0; t < count; t++) {
    const as = v128.load64_splat(a);
    c0 = f64x2.add(c0, f64x2.mul(as, v128.load(b)));
    c1 = f64x2.add(c1, f64x2.mul(as, v128.load(b, 16)));
    c2 = f64x2.add(c2, f64x2.mul(as, v128.load(b, 32)));
    c3 = f64x2.add(c3, f64x2.mul(as, v128.load(b, 48)));
    a += at8;
    b += ld;
  }
  v128.store(c, c0); v128.store(c, c1, 16); v128.store(c, c2, 32); v128.store(c, c3, 48);
}

// @ts-ignore: decorator
@inline
function tile1x4(a: usize, at8: usize, b: usize, c: usize, ld: usize, count: i32, first: bool): void {
  let c0: v128, c1: v128;
  if (first) {
    c0 = f64x2.splat(0); c1 = c0;
  } else {
    c0 = v128.load(c); c1 = v128.load(c, 16);
  }
  for (let t = 0; t < count; t++) {
    const as = v128.load64_splat(a);
    c0 = f64x2.add(c0, f64x2.mul(as, v128.load(b)));
    c1 = f64x2.add(c1, f64x2.mul(as, v128.load(b, 16)));
    a += at8;
    b += ld;
  }
  v128.store(c, c0); v128.store(c, c1, 16);
}

// @ts-ignore: decorator
@inline
function tile1x2(a: usize, at8: usize, b: usize, c: usize, ld: usize, count: i32, first: bool): void {
  let c0: v128 = first ? f64x2.splat(0) : v128.load(c);
  for (let t = 0; t < count; t++) {
    c0 = f64x2.add(c0, f64x2.mul(v128.load64_splat(a), v128.load(b)));
    a += at8;
    b += ld;
  }
  v128.store(c, c0);
}

// @ts-ignore: decorator
@inline
function tile1x1(a: usize, at8: usize, b: usize, c: usize, ld: usize, count: i32, first: bool): void {
  let s: f64 = first ? 0.0 : load<f64>(c);
  for (let t = 0; t < count; t++) {
    s += load<f64>(a) * load<f64>(b);
    a += at8;
    b += ld;
  }
  store<f64>(c, s);
}

/** Columns [j0, j1) of C over the inner range [t0, t1): every row tile sweeps the slab of B. */
function slab(A: usize, as: usize, at: usize, B: usize, C: usize, M: i32, N: i32, j0: i32, j1: i32, t0: i32, t1: i32): void {
  const as8 = as << 3, at8 = at << 3;
  const ld = <usize>N << 3;
  const count = t1 - t0;
  const first = t0 == 0;
  const aSlab = A + <usize>t0 * at8;
  const bSlab = B + <usize>t0 * ld + (<usize>j0 << 3);
  const width = j1 - j0;
  let i = 0;
  for (; i + 2 <= M; i += 2) {
    const a = aSlab + <usize>i * as8;
    let b = bSlab;
    let c = C + <usize>i * ld + (<usize>j0 << 3);
    let j = 0;
    for (; j + 8 <= width; j += 8, b += 64, c += 64) tile2x8(a, as8, at8, b, c, ld, count, first);
    if (j + 4 <= width) {
      tile2x4(a, as8, at8, b, c, ld, count, first);
      j += 4; b += 32; c += 32;
    }
    if (j + 2 <= width) {
      tile2x2(a, as8, at8, b, c, ld, count, first);
      j += 2; b += 16; c += 16;
    }
    if (j < width) tile2x1(a, as8, at8, b, c, ld, count, first);
  }
  if (i < M) {
    const a = aSlab + <usize>i * as8;
    let b = bSlab;
    let c = C + <usize>i * ld + (<usize>j0 << 3);
    let j = 0;
    for (; j + 8 <= width; j += 8, b += 64, c += 64) tile1x8(a, at8, b, c, ld, count, first);
    if (j + 4 <= width) {
      tile1x4(a, at8, b, c, ld, count, first);
      j += 4; b += 32; c += 32;
    }
    if (j + 2 <= width) {
      tile1x2(a, at8, b, c, ld, count, first);
      j += 2; b += 16; c += 16;
    }
    if (j < width) tile1x1(a, at8, b, c, ld, count, first);
  }
}

function stridedProduct(A: usize, as: usize, at: usize, B: usize, C: usize, M: i32, T: i32, N: i32): void {
  if (T <= 0) {
    memory.fill(C, 0, (<usize>M * <usize>N) << 3);
    return;
  }
  for (let j0 = 0; j0 < N; j0 += NB) {
    const j1 = min(j0 + NB, N);
    for (let t0 = 0; t0 < T; t0 += TB) slab(A, as, at, B, C, M, N, j0, j1, t0, min(t0 + TB, T));
  }
}

/** C (R×N) = Aᵀ·B, A K×R, B K×N (e.g. WᵀV). */
export function mulAtB(A: usize, B: usize, C: usize, R: i32, K: i32, N: i32): void {
  stridedProduct(A, 1, <usize>R, B, C, R, K, N);
}

/** C (M×N) = A·B, A M×R, B R×N, with a small inner dimension R (e.g. (WᵀW)·H, W·(HHᵀ), W·H). */
export function mulSmallInner(A: usize, B: usize, C: usize, M: i32, R: i32, N: i32): void {
  stridedProduct(A, <usize>R, 1, B, C, M, R, N);
}

/** C (R×R) = AᵀA, A K×R (e.g. WᵀW). Exactly symmetric. */
export function gramAtA(A: usize, C: usize, K: i32, R: i32): void {
  stridedProduct(A, 1, <usize>R, A, C, R, K, R);
}

// ---------------------------------------------------------------------------------------------------------
// C (M×P) = A·Bᵀ, A M×N, B P×N: every element is a dot product of two rows, accumulated in two lanes (even and
// odd inner index), then (even + odd) + last term when N is odd. Register tile: 4 rows of A × 2 rows of B.
// A row tile (4 rows of A) is reused from L1/L2 for every row pair of B.

// @ts-ignore: decorator
@inline
function lanes(v: v128): f64 {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}

// @ts-ignore: decorator
@inline
function dotTile4x2(A: usize, B: usize, C: usize, N: i32, P: usize): void {
  // A → rows i..i+3 of A, B → rows p, p+1 of B, C → C[i, p].
  const lda = <usize>N << 3;
  const ldc = P << 3;
  let c00 = f64x2.splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  const pairs = N >> 1;
  let a = A;
  let b = B;
  for (let q = 0; q < pairs; q++) {
    const b0 = v128.load(b);
    const b1 = v128.load(b + lda);
    const a0 = v128.load(a);
    c00 = f64x2.add(c00, f64x2.mul(a0, b0));
    c01 = f64x2.add(c01, f64x2.mul(a0, b1));
    const a1 = v128.load(a + lda);
    c10 = f64x2.add(c10, f64x2.mul(a1, b0));
    c11 = f64x2.add(c11, f64x2.mul(a1, b1));
    const a2 = v128.load(a + 2 * lda);
    c20 = f64x2.add(c20, f64x2.mul(a2, b0));
    c21 = f64x2.add(c21, f64x2.mul(a2, b1));
    const a3 = v128.load(a + 3 * lda);
    c30 = f64x2.add(c30, f64x2.mul(a3, b0));
    c31 = f64x2.add(c31, f64x2.mul(a3, b1));
    a += 16;
    b += 16;
  }
  let s00 = lanes(c00), s01 = lanes(c01), s10 = lanes(c10), s11 = lanes(c11);
  let s20 = lanes(c20), s21 = lanes(c21), s30 = lanes(c30), s31 = lanes(c31);
  if (N & 1) {
    const b0 = load<f64>(b), b1 = load<f64>(b + lda);
    const a0 = load<f64>(a), a1 = load<f64>(a + lda), a2 = load<f64>(a + 2 * lda), a3 = load<f64>(a + 3 * lda);
    s00 += a0 * b0; s01 += a0 * b1;
    s10 += a1 * b0; s11 += a1 * b1;
    s20 += a2 * b0; s21 += a2 * b1;
    s30 += a3 * b0; s31 += a3 * b1;
  }
  store<f64>(C, s00); store<f64>(C, s01, 8);
  store<f64>(C + ldc, s10); store<f64>(C + ldc, s11, 8);
  store<f64>(C + 2 * ldc, s20); store<f64>(C + 2 * ldc, s21, 8);
  store<f64>(C + 3 * ldc, s30); store<f64>(C + 3 * ldc, s31, 8);
}

// @ts-ignore: decorator
@inline
function dotTile4x1(A: usize, B: usize, C: usize, N: i32, P: usize): void {
  const lda = <usize>N << 3;
  const ldc = P << 3;
  let c0 = f64x2.splat(0), c1 = c0, c2 = c0, c3 = c0;
  const pairs = N >> 1;
  let a = A;
  let b = B;
  for (let q = 0; q < pairs; q++) {
    const b0 = v128.load(b);
    c0 = f64x2.add(c0, f64x2.mul(v128.load(a), b0));
    c1 = f64x2.add(c1, f64x2.mul(v128.load(a + lda), b0));
    c2 = f64x2.add(c2, f64x2.mul(v128.load(a + 2 * lda), b0));
    c3 = f64x2.add(c3, f64x2.mul(v128.load(a + 3 * lda), b0));
    a += 16;
    b += 16;
  }
  let s0 = lanes(c0), s1 = lanes(c1), s2 = lanes(c2), s3 = lanes(c3);
  if (N & 1) {
    const b0 = load<f64>(b);
    s0 += load<f64>(a) * b0;
    s1 += load<f64>(a + lda) * b0;
    s2 += load<f64>(a + 2 * lda) * b0;
    s3 += load<f64>(a + 3 * lda) * b0;
  }
  store<f64>(C, s0); store<f64>(C + ldc, s1); store<f64>(C + 2 * ldc, s2); store<f64>(C + 3 * ldc, s3);
}

// @ts-ignore: decorator
@inline
function dotTile1x2(A: usize, B: usize, C: usize, N: i32): void {
  const ldb = <usize>N << 3;
  let c0 = f64x2.splat(0), c1 = c0;
  const pairs = N >> 1;
  let a = A;
  let b = B;
  for (let q = 0; q < pairs; q++) {
    const a0 = v128.load(a);
    c0 = f64x2.add(c0, f64x2.mul(a0, v128.load(b)));
    c1 = f64x2.add(c1, f64x2.mul(a0, v128.load(b + ldb)));
    a += 16;
    b += 16;
  }
  let s0 = lanes(c0), s1 = lanes(c1);
  if (N & 1) {
    const a0 = load<f64>(a);
    s0 += a0 * load<f64>(b);
    s1 += a0 * load<f64>(b + ldb);
  }
  store<f64>(C, s0); store<f64>(C, s1, 8);
}

/** Dot product of two rows of length N in the lane order above. Also used by spectral.ts. */
// @ts-ignore: decorator
@inline
export function dot(a: usize, b: usize, N: i32): f64 {
  let c = f64x2.splat(0);
  const pairs = N >> 1;
  for (let q = 0; q < pairs; q++) {
    c = f64x2.add(c, f64x2.mul(v128.load(a), v128.load(b)));
    a += 16;
    b += 16;
  }
  let s = lanes(c);
  if (N & 1) s += load<f64>(a) * load<f64>(b);
  return s;
}

/** C (M×P) = A·Bᵀ, A M×N, B P×N (e.g. V·Hᵀ with M = K, P = R). */
export function mulABt(A: usize, B: usize, C: usize, M: i32, N: i32, P: i32): void {
  const lda = <usize>N << 3;
  const p = <usize>P;
  let i = 0;
  for (; i + 4 <= M; i += 4) {
    const a = A + <usize>i * lda;
    const c = C + ((<usize>i * p) << 3);
    let r = 0;
    for (; r + 2 <= P; r += 2) dotTile4x2(a, B + <usize>r * lda, c + (<usize>r << 3), N, p);
    if (r < P) dotTile4x1(a, B + <usize>r * lda, c + (<usize>r << 3), N, p);
  }
  for (; i < M; i++) {
    const a = A + <usize>i * lda;
    const c = C + ((<usize>i * p) << 3);
    let r = 0;
    for (; r + 2 <= P; r += 2) dotTile1x2(a, B + <usize>r * lda, c + (<usize>r << 3), N);
    if (r < P) store<f64>(c + (<usize>r << 3), dot(a, B + <usize>r * lda, N));
  }
}

/** C (R×R) = A·Aᵀ, A R×N (e.g. HHᵀ). Exactly symmetric. */
export function gramAAt(A: usize, C: usize, R: i32, N: i32): void {
  mulABt(A, A, C, R, N, R);
}
