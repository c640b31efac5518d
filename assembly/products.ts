// The matrix products of one NMF iteration (docs/kernels.md), row-major, in float64 (f64x2 SIMD) and float32
// (f32x4 SIMD).
//
// The native backend gets these from CBLAS (native/products.h, same names); here they are our own. Every kernel
// works on raw pointers into linear memory and allocates nothing.
//
// Types. Each kernel is generic in the storage type S of its inputs and the accumulation type A of its sums and
// output (A = S, or S = f32 and A = f64: a float32 change's Gram in float64, the dtype rule of docs/kernels.md).
// A vector holds L = 16 / sizeof<A> lanes (2 for f64, 4 for f32); S entries are widened to A as they are loaded.
//
// Summation order. Every element of every product is accumulated in an order fixed by the shapes alone, never
// by tiling, blocking or remainder handling:
//  - mulAtB / mulAtBAdd / mulSmallInner / gramAtA / gramAtAAdd: C[i, j] = ((0 + a₀b₀) + a₁b₁) + … over the inner
//    index in increasing order (a blocked inner loop stores the running sum and resumes it, which rounds
//    identically; mulAtBAdd and gramAtAAdd resume from C, so summing the row blocks of the fused sweep in order
//    gives bit for bit the unblocked product);
//  - mulABt / gramAAt: L running sums, lane l over the inner indices ≡ l (mod L) below the last multiple of L,
//    then (l₀ + l₁) for L = 2 or ((l₀ + l₁) + (l₂ + l₃)) for L = 4, then + each remaining term in order.
// So a remainder row or column gets bit-for-bit what a full tile would give, and a Gram matrix is exactly
// symmetric (IEEE products commute), which the Jacobi solver in spectral.ts relies on.

// Cache blocking of mulAtB (WᵀV), whose inner dimension (the K rows of V) is long: the inner loop is cut into
// slabs of TB = 16 rows of B (at most NB = 2048 columns wide: 256 KiB in float64, kept in L2) and every register
// tile of C sweeps the slab before the next one starts; C's tile is stored and resumed between slabs (1 load and
// 1 store per 16 multiply–adds). Measured on a 1025×2000, R = 32 product this beats larger panels (128×256: 9.5
// GFlop/s) and packing the panel into contiguous strips (no gain): 14 GFlop/s, and 12 instead of 5 at R = 8.
const TB: i32 = 16;
export const NB: i32 = 2048;

// ---------------------------------------------------------------------------------------------------------
// Vector helpers, resolved at compile time for each S and A.

/** Lanes per vector of A. */
// @ts-ignore: decorator
@inline
export function lanes<A>(): i32 {
  return 16 / <i32>sizeof<A>();
}

/** L = lanes<A>() consecutive entries of S at p, as a vector of A. */
// @ts-ignore: decorator
@inline
export function vload<S, A>(p: usize): v128 {
  if (sizeof<S>() == sizeof<A>()) return v128.load(p);
  return f64x2.promote_low_f32x4(v128.load64_zero(p));
}

/** The entry of S at p in every lane of a vector of A. */
// @ts-ignore: decorator
@inline
function vsplat<S, A>(p: usize): v128 {
  if (sizeof<S>() != sizeof<A>()) return f64x2.splat(<f64>load<f32>(p));
  if (sizeof<A>() == 8) return v128.load64_splat(p);
  return v128.load32_splat(p);
}

// @ts-ignore: decorator
@inline
export function vzero<A>(): v128 {
  return i64x2.splat(0);
}

// @ts-ignore: decorator
@inline
export function vsplatValue<A>(x: A): v128 {
  if (sizeof<A>() == 8) return f64x2.splat(<f64>x);
  return f32x4.splat(<f32>x);
}

// @ts-ignore: decorator
@inline
export function vadd<A>(a: v128, b: v128): v128 {
  if (sizeof<A>() == 8) return f64x2.add(a, b);
  return f32x4.add(a, b);
}

// @ts-ignore: decorator
@inline
export function vsub<A>(a: v128, b: v128): v128 {
  if (sizeof<A>() == 8) return f64x2.sub(a, b);
  return f32x4.sub(a, b);
}

// @ts-ignore: decorator
@inline
export function vmul<A>(a: v128, b: v128): v128 {
  if (sizeof<A>() == 8) return f64x2.mul(a, b);
  return f32x4.mul(a, b);
}

// @ts-ignore: decorator
@inline
export function vdiv<A>(a: v128, b: v128): v128 {
  if (sizeof<A>() == 8) return f64x2.div(a, b);
  return f32x4.div(a, b);
}

/** acc + a·b, lane by lane (no fused multiply–add: the product is rounded first). */
// @ts-ignore: decorator
@inline
function vmadd<A>(acc: v128, a: v128, b: v128): v128 {
  return vadd<A>(acc, vmul<A>(a, b));
}

/** The sum of the lanes: l₀ + l₁, or (l₀ + l₁) + (l₂ + l₃). */
// @ts-ignore: decorator
@inline
export function lanesSum<A>(v: v128): A {
  if (sizeof<A>() == 8) return <A>(f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1));
  return <A>((f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3)));
}

/** The entry of S at p, as A. */
// @ts-ignore: decorator
@inline
export function sload<S, A>(p: usize): A {
  return <A>load<S>(p);
}

// ---------------------------------------------------------------------------------------------------------
// C (M×N, of A) = Σ_t A(i, t) · B(t, j), where A(i, t) = A[i·as + t·at] (strides in elements) and B is row-major
// T×N, both of S. This one register-tiled kernel serves both
//   mulAtB:        A is K×R, C = AᵀB       → A(i, t) = A[t·R + i]  (as = 1, at = R)
//   mulSmallInner: A is M×R, C = A·B       → A(i, t) = A[i·R + t]  (as = R, at = 1)
// Register tiles: 2 rows × 4 vectors (8 accumulators, 4L columns: one full cache line of float64 B per step),
// then 2 and 1 vectors and single columns for the remainder, and single rows when M is odd. A tile accumulates
// `count` inner steps: `a` points at A(i, t₀), `b` at B(t₀, j), `c` at C(i, j); B's rows are ldb bytes apart,
// C's ldc. When `first`, C starts at zero, else from its stored value (the same running sum, resumed).

// @ts-ignore: decorator
@inline
function tile2x4v<S, A>(a: usize, as8: usize, at8: usize, b: usize, ldb: usize, c: usize, ldc: usize, count: i32, first: bool): void {
  const vb = <usize>lanes<A>() * sizeof<S>();
  let c00: v128, c01: v128, c02: v128, c03: v128, c10: v128, c11: v128, c12: v128, c13: v128;
  if (first) {
    c00 = vzero<A>(); c01 = c00; c02 = c00; c03 = c00; c10 = c00; c11 = c00; c12 = c00; c13 = c00;
  } else {
    c00 = v128.load(c); c01 = v128.load(c, 16); c02 = v128.load(c, 32); c03 = v128.load(c, 48);
    c10 = v128.load(c + ldc); c11 = v128.load(c + ldc, 16); c12 = v128.load(c + ldc, 32); c13 = v128.load(c + ldc, 48);
  }
  for (let t = 0; t < count; t++) {
    const a0 = vsplat<S, A>(a);
    const a1 = vsplat<S, A>(a + as8);
    let bv = vload<S, A>(b);
    c00 = vmadd<A>(c00, a0, bv);
    c10 = vmadd<A>(c10, a1, bv);
    bv = vload<S, A>(b + vb);
    c01 = vmadd<A>(c01, a0, bv);
    c11 = vmadd<A>(c11, a1, bv);
    bv = vload<S, A>(b + 2 * vb);
    c02 = vmadd<A>(c02, a0, bv);
    c12 = vmadd<A>(c12, a1, bv);
    bv = vload<S, A>(b + 3 * vb);
    c03 = vmadd<A>(c03, a0, bv);
    c13 = vmadd<A>(c13, a1, bv);
    a += at8;
    b += ldb;
  }
  v128.store(c, c00); v128.store(c, c01, 16); v128.store(c, c02, 32); v128.store(c, c03, 48);
  v128.store(c + ldc, c10); v128.store(c + ldc, c11, 16); v128.store(c + ldc, c12, 32); v128.store(c + ldc, c13, 48);
}

// @ts-ignore: decorator
@inline
function tile2x2v<S, A>(a: usize, as8: usize, at8: usize, b: usize, ldb: usize, c: usize, ldc: usize, count: i32, first: bool): void {
  const vb = <usize>lanes<A>() * sizeof<S>();
  let c00: v128, c01: v128, c10: v128, c11: v128;
  if (first) {
    c00 = vzero<A>(); c01 = c00; c10 = c00; c11 = c00;
  } else {
    c00 = v128.load(c); c01 = v128.load(c, 16); c10 = v128.load(c + ldc); c11 = v128.load(c + ldc, 16);
  }
  for (let t = 0; t < count; t++) {
    const a0 = vsplat<S, A>(a);
    const a1 = vsplat<S, A>(a + as8);
    const b0 = vload<S, A>(b);
    const b1 = vload<S, A>(b + vb);
    c00 = vmadd<A>(c00, a0, b0);
    c01 = vmadd<A>(c01, a0, b1);
    c10 = vmadd<A>(c10, a1, b0);
    c11 = vmadd<A>(c11, a1, b1);
    a += at8;
    b += ldb;
  }
  v128.store(c, c00); v128.store(c, c01, 16); v128.store(c + ldc, c10); v128.store(c + ldc, c11, 16);
}

// @ts-ignore: decorator
@inline
function tile2x1v<S, A>(a: usize, as8: usize, at8: usize, b: usize, ldb: usize, c: usize, ldc: usize, count: i32, first: bool): void {
  let c0: v128, c1: v128;
  if (first) {
    c0 = vzero<A>(); c1 = c0;
  } else {
    c0 = v128.load(c); c1 = v128.load(c + ldc);
  }
  for (let t = 0; t < count; t++) {
    const b0 = vload<S, A>(b);
    c0 = vmadd<A>(c0, vsplat<S, A>(a), b0);
    c1 = vmadd<A>(c1, vsplat<S, A>(a + as8), b0);
    a += at8;
    b += ldb;
  }
  v128.store(c, c0); v128.store(c + ldc, c1);
}

// @ts-ignore: decorator
@inline
function tile2x1<S, A>(a: usize, as8: usize, at8: usize, b: usize, ldb: usize, c: usize, ldc: usize, count: i32, first: bool): void {
  let s0: A = first ? <A>0 : load<A>(c);
  let s1: A = first ? <A>0 : load<A>(c + ldc);
  for (let t = 0; t < count; t++) {
    const bt = sload<S, A>(b);
    s0 += sload<S, A>(a) * bt;
    s1 += sload<S, A>(a + as8) * bt;
    a += at8;
    b += ldb;
  }
  store<A>(c, s0);
  store<A>(c + ldc, s1);
}

// @ts-ignore: decorator
@inline
function tile1x4v<S, A>(a: usize, at8: usize, b: usize, ldb: usize, c: usize, count: i32, first: bool): void {
  const vb = <usize>lanes<A>() * sizeof<S>();
  let c0: v128, c1: v128, c2: v128, c3: v128;
  if (first) {
    c0 = vzero<A>(); c1 = c0; c2 = c0; c3 = c0;
  } else {
    c0 = v128.load(c); c1 = v128.load(c, 16); c2 = v128.load(c, 32); c3 = v128.load(c, 48);
  }
  for (let t = 0; t < count; t++) {
    const as = vsplat<S, A>(a);
    c0 = vmadd<A>(c0, as, vload<S, A>(b));
    c1 = vmadd<A>(c1, as, vload<S, A>(b + vb));
    c2 = vmadd<A>(c2, as, vload<S, A>(b + 2 * vb));
    c3 = vmadd<A>(c3, as, vload<S, A>(b + 3 * vb));
    a += at8;
    b += ldb;
  }
  v128.store(c, c0); v128.store(c, c1, 16); v128.store(c, c2, 32); v128.store(c, c3, 48);
}

// @ts-ignore: decorator
@inline
function tile1x2v<S, A>(a: usize, at8: usize, b: usize, ldb: usize, c: usize, count: i32, first: bool): void {
  const vb = <usize>lanes<A>() * sizeof<S>();
  let c0: v128, c1: v128;
  if (first) {
    c0 = vzero<A>(); c1 = c0;
  } else {
    c0 = v128.load(c); c1 = v128.load(c, 16);
  }
  for (let t = 0; t < count; t++) {
    const as = vsplat<S, A>(a);
    c0 = vmadd<A>(c0, as, vload<S, A>(b));
    c1 = vmadd<A>(c1, as, vload<S, A>(b + vb));
    a += at8;
    b += ldb;
  }
  v128.store(c, c0); v128.store(c, c1, 16);
}

// @ts-ignore: decorator
@inline
function tile1x1v<S, A>(a: usize, at8: usize, b: usize, ldb: usize, c: usize, count: i32, first: bool): void {
  let c0: v128 = first ? vzero<A>() : v128.load(c);
  for (let t = 0; t < count; t++) {
    c0 = vmadd<A>(c0, vsplat<S, A>(a), vload<S, A>(b));
    a += at8;
    b += ldb;
  }
  v128.store(c, c0);
}

// @ts-ignore: decorator
@inline
function tile1x1<S, A>(a: usize, at8: usize, b: usize, ldb: usize, c: usize, count: i32, first: bool): void {
  let s: A = first ? <A>0 : load<A>(c);
  for (let t = 0; t < count; t++) {
    s += sload<S, A>(a) * sload<S, A>(b);
    a += at8;
    b += ldb;
  }
  store<A>(c, s);
}

/** Columns [j0, j1) of C over the inner range [t0, t1): every row tile sweeps the slab of B. */
function slab<S, A>(A_: usize, as: usize, at: usize, B: usize, C: usize, M: i32, N: i32, j0: i32, j1: i32, t0: i32, t1: i32, first: bool): void {
  const sS = sizeof<S>(), sA = sizeof<A>();
  const L = lanes<A>();
  const as8 = as * sS, at8 = at * sS;
  const ldb = <usize>N * sS, ldc = <usize>N * sA;
  const count = t1 - t0;
  const aSlab = A_ + <usize>t0 * at8;
  const bSlab = B + <usize>t0 * ldb + <usize>j0 * sS;
  const width = j1 - j0;
  const w4 = 4 * L, w2 = 2 * L;
  let i = 0;
  for (; i + 2 <= M; i += 2) {
    const a = aSlab + <usize>i * as8;
    let b = bSlab;
    let c = C + <usize>i * ldc + <usize>j0 * sA;
    let j = 0;
    for (; j + w4 <= width; j += w4, b += <usize>w4 * sS, c += 64) tile2x4v<S, A>(a, as8, at8, b, ldb, c, ldc, count, first);
    if (j + w2 <= width) {
      tile2x2v<S, A>(a, as8, at8, b, ldb, c, ldc, count, first);
      j += w2; b += <usize>w2 * sS; c += 32;
    }
    if (j + L <= width) {
      tile2x1v<S, A>(a, as8, at8, b, ldb, c, ldc, count, first);
      j += L; b += <usize>L * sS; c += 16;
    }
    for (; j < width; j++, b += sS, c += sA) tile2x1<S, A>(a, as8, at8, b, ldb, c, ldc, count, first);
  }
  if (i < M) {
    const a = aSlab + <usize>i * as8;
    let b = bSlab;
    let c = C + <usize>i * ldc + <usize>j0 * sA;
    let j = 0;
    for (; j + w4 <= width; j += w4, b += <usize>w4 * sS, c += 64) tile1x4v<S, A>(a, at8, b, ldb, c, count, first);
    if (j + w2 <= width) {
      tile1x2v<S, A>(a, at8, b, ldb, c, count, first);
      j += w2; b += <usize>w2 * sS; c += 32;
    }
    if (j + L <= width) {
      tile1x1v<S, A>(a, at8, b, ldb, c, count, first);
      j += L; b += <usize>L * sS; c += 16;
    }
    for (; j < width; j++, b += sS, c += sA) tile1x1<S, A>(a, at8, b, ldb, c, count, first);
  }
}

/** C = Σ_t A(i, t)·B(t, j) as above; with `accumulate`, C += that sum (the running sums resume from C). */
function stridedProduct<S, A>(A_: usize, as: usize, at: usize, B: usize, C: usize, M: i32, T: i32, N: i32, accumulate: bool): void {
  if (T <= 0) {
    if (!accumulate) memory.fill(C, 0, <usize>M * <usize>N * sizeof<A>());
    return;
  }
  for (let j0 = 0; j0 < N; j0 += NB) {
    const j1 = min(j0 + NB, N);
    for (let t0 = 0; t0 < T; t0 += TB) slab<S, A>(A_, as, at, B, C, M, N, j0, j1, t0, min(t0 + TB, T), t0 == 0 && !accumulate);
  }
}

/**
 * Columns [j0, j1) of C = Σ_t A(i, t)·B(t, j), B and C N wide: a team member's block of a product whose columns
 * are split (team-kernels.ts). Each entry is summed as stridedProduct sums it, so the blocks give the bits of the
 * whole.
 */
function stridedProductColumns<S, A>(A_: usize, as: usize, at: usize, B: usize, C: usize, M: i32, T: i32, N: i32, j0: i32, j1: i32): void {
  if (T <= 0) {
    for (let i = 0; i < M; i++) memory.fill(C + (<usize>i * <usize>N + <usize>j0) * sizeof<A>(), 0, <usize>(j1 - j0) * sizeof<A>());
    return;
  }
  for (let b0 = j0; b0 < j1; b0 += NB) {
    const b1 = min(b0 + NB, j1);
    for (let t0 = 0; t0 < T; t0 += TB) slab<S, A>(A_, as, at, B, C, M, N, b0, b1, t0, min(t0 + TB, T), t0 == 0);
  }
}

/** C (R×N) = Aᵀ·B, A K×R, B K×N (e.g. WᵀV). */
export function mulAtB<T>(A: usize, B: usize, C: usize, R: i32, K: i32, N: i32): void {
  stridedProduct<T, T>(A, 1, <usize>R, B, C, R, K, N, false);
}

/**
 * C (R×N) = Aᵀ·B when `first`, else C += Aᵀ·B, A K×R, B K×N: the fused sweep adds W_iᵀV_i for the row blocks i
 * in order, which sums every entry exactly as mulAtB over all rows would.
 */
export function mulAtBAdd<T>(A: usize, B: usize, C: usize, R: i32, K: i32, N: i32, first: bool): void {
  stridedProduct<T, T>(A, 1, <usize>R, B, C, R, K, N, !first);
}

/** Columns [j0, j1) of mulAtB's C (the columns of B and C; a team member's share). */
export function mulAtBColumns<T>(A: usize, B: usize, C: usize, R: i32, K: i32, N: i32, j0: i32, j1: i32): void {
  stridedProductColumns<T, T>(A, 1, <usize>R, B, C, R, K, N, j0, j1);
}

/** Columns [j0, j1) of mulSmallInner's C (the columns of B and C; a team member's share). */
export function mulSmallInnerColumns<T>(A: usize, B: usize, C: usize, M: i32, R: i32, N: i32, j0: i32, j1: i32): void {
  stridedProductColumns<T, T>(A, <usize>R, 1, B, C, M, R, N, j0, j1);
}

/** C (M×N) = A·B, A M×R, B R×N, with a small inner dimension R (e.g. (WᵀW)·H, W·(HHᵀ), W·H). */
export function mulSmallInner<T>(A: usize, B: usize, C: usize, M: i32, R: i32, N: i32): void {
  stridedProduct<T, T>(A, <usize>R, 1, B, C, M, R, N, false);
}

/** C (M×N, f64) = A·B, A M×R and B R×N of T, summed in float64 (the residual W·H of a float32 fit). */
export function mulSmallInnerWide<T>(A: usize, B: usize, C: usize, M: i32, R: i32, N: i32): void {
  stridedProduct<T, f64>(A, <usize>R, 1, B, C, M, R, N, false);
}

/** C (R×R) = AᵀA, A K×R (e.g. WᵀW). Exactly symmetric. */
export function gramAtA<T>(A: usize, C: usize, K: i32, R: i32): void {
  stridedProduct<T, T>(A, 1, <usize>R, A, C, R, K, R, false);
}

/** C (R×R) = AᵀA when `first`, else C += AᵀA, A K×R (the fused sweep's WᵀW, block by block). Both triangles. */
export function gramAtAAdd<T>(A: usize, C: usize, K: i32, R: i32, first: bool): void {
  stridedProduct<T, T>(A, 1, <usize>R, A, C, R, K, R, !first);
}

// ---------------------------------------------------------------------------------------------------------
// C (M×P, of A) = A·Bᵀ, A M×N, B P×N (of S): every element is a dot product of two rows, accumulated in L lanes,
// reduced and finished as described at the top. Register tile: 4 rows of A × 2 rows of B. A row tile (4 rows
// of A) is reused from L1/L2 for every row pair of B.

// @ts-ignore: decorator
@inline
function dotTile4x2<S, A>(A_: usize, B: usize, C: usize, N: i32, P: usize): void {
  // A_ → rows i..i+3 of A, B → rows p, p+1 of B, C → C[i, p].
  const sS = sizeof<S>(), sA = sizeof<A>();
  const L = lanes<A>();
  const vb = <usize>L * sS;
  const lda = <usize>N * sS;
  const ldc = P * sA;
  let c00 = vzero<A>(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  const steps = N / L;
  let a = A_;
  let b = B;
  for (let q = 0; q < steps; q++) {
    const b0 = vload<S, A>(b);
    const b1 = vload<S, A>(b + lda);
    const a0 = vload<S, A>(a);
    c00 = vmadd<A>(c00, a0, b0);
    c01 = vmadd<A>(c01, a0, b1);
    const a1 = vload<S, A>(a + lda);
    c10 = vmadd<A>(c10, a1, b0);
    c11 = vmadd<A>(c11, a1, b1);
    const a2 = vload<S, A>(a + 2 * lda);
    c20 = vmadd<A>(c20, a2, b0);
    c21 = vmadd<A>(c21, a2, b1);
    const a3 = vload<S, A>(a + 3 * lda);
    c30 = vmadd<A>(c30, a3, b0);
    c31 = vmadd<A>(c31, a3, b1);
    a += vb;
    b += vb;
  }
  let s00 = lanesSum<A>(c00), s01 = lanesSum<A>(c01), s10 = lanesSum<A>(c10), s11 = lanesSum<A>(c11);
  let s20 = lanesSum<A>(c20), s21 = lanesSum<A>(c21), s30 = lanesSum<A>(c30), s31 = lanesSum<A>(c31);
  for (let t = steps * L; t < N; t++) {
    const b0 = sload<S, A>(b), b1 = sload<S, A>(b + lda);
    const a0 = sload<S, A>(a), a1 = sload<S, A>(a + lda), a2 = sload<S, A>(a + 2 * lda), a3 = sload<S, A>(a + 3 * lda);
    s00 += a0 * b0; s01 += a0 * b1;
    s10 += a1 * b0; s11 += a1 * b1;
    s20 += a2 * b0; s21 += a2 * b1;
    s30 += a3 * b0; s31 += a3 * b1;
    a += sS;
    b += sS;
  }
  store<A>(C, s00); store<A>(C + sA, s01);
  store<A>(C + ldc, s10); store<A>(C + ldc + sA, s11);
  store<A>(C + 2 * ldc, s20); store<A>(C + 2 * ldc + sA, s21);
  store<A>(C + 3 * ldc, s30); store<A>(C + 3 * ldc + sA, s31);
}

// @ts-ignore: decorator
@inline
function dotTile4x1<S, A>(A_: usize, B: usize, C: usize, N: i32, P: usize): void {
  const sS = sizeof<S>(), sA = sizeof<A>();
  const L = lanes<A>();
  const vb = <usize>L * sS;
  const lda = <usize>N * sS;
  const ldc = P * sA;
  let c0 = vzero<A>(), c1 = c0, c2 = c0, c3 = c0;
  const steps = N / L;
  let a = A_;
  let b = B;
  for (let q = 0; q < steps; q++) {
    const b0 = vload<S, A>(b);
    c0 = vmadd<A>(c0, vload<S, A>(a), b0);
    c1 = vmadd<A>(c1, vload<S, A>(a + lda), b0);
    c2 = vmadd<A>(c2, vload<S, A>(a + 2 * lda), b0);
    c3 = vmadd<A>(c3, vload<S, A>(a + 3 * lda), b0);
    a += vb;
    b += vb;
  }
  let s0 = lanesSum<A>(c0), s1 = lanesSum<A>(c1), s2 = lanesSum<A>(c2), s3 = lanesSum<A>(c3);
  for (let t = steps * L; t < N; t++) {
    const b0 = sload<S, A>(b);
    s0 += sload<S, A>(a) * b0;
    s1 += sload<S, A>(a + lda) * b0;
    s2 += sload<S, A>(a + 2 * lda) * b0;
    s3 += sload<S, A>(a + 3 * lda) * b0;
    a += sS;
    b += sS;
  }
  store<A>(C, s0); store<A>(C + ldc, s1); store<A>(C + 2 * ldc, s2); store<A>(C + 3 * ldc, s3);
}

// @ts-ignore: decorator
@inline
function dotTile1x2<S, A>(A_: usize, B: usize, C: usize, N: i32): void {
  const sS = sizeof<S>(), sA = sizeof<A>();
  const L = lanes<A>();
  const vb = <usize>L * sS;
  const ldb = <usize>N * sS;
  let c0 = vzero<A>(), c1 = c0;
  const steps = N / L;
  let a = A_;
  let b = B;
  for (let q = 0; q < steps; q++) {
    const a0 = vload<S, A>(a);
    c0 = vmadd<A>(c0, a0, vload<S, A>(b));
    c1 = vmadd<A>(c1, a0, vload<S, A>(b + ldb));
    a += vb;
    b += vb;
  }
  let s0 = lanesSum<A>(c0), s1 = lanesSum<A>(c1);
  for (let t = steps * L; t < N; t++) {
    const a0 = sload<S, A>(a);
    s0 += a0 * sload<S, A>(b);
    s1 += a0 * sload<S, A>(b + ldb);
    a += sS;
    b += sS;
  }
  store<A>(C, s0); store<A>(C + sA, s1);
}

/** Dot product of two rows of length N (of S, summed in A) in the lane order above. */
// @ts-ignore: decorator
@inline
function dotOf<S, A>(a: usize, b: usize, N: i32): A {
  const sS = sizeof<S>();
  const L = lanes<A>();
  const vb = <usize>L * sS;
  let c = vzero<A>();
  const steps = N / L;
  for (let q = 0; q < steps; q++) {
    c = vmadd<A>(c, vload<S, A>(a), vload<S, A>(b));
    a += vb;
    b += vb;
  }
  let s = lanesSum<A>(c);
  for (let t = steps * L; t < N; t++) {
    s += sload<S, A>(a) * sload<S, A>(b);
    a += sS;
    b += sS;
  }
  return s;
}

/** Dot product of two float64 rows of length N in the lane order above. Also used by spectral.ts. */
// @ts-ignore: decorator
@inline
export function dot(a: usize, b: usize, N: i32): f64 {
  return dotOf<f64, f64>(a, b, N);
}

/** C (M×P, of A) = A·Bᵀ, A M×N, B P×N (of S). */
function dotProducts<S, A>(A_: usize, B: usize, C: usize, M: i32, N: i32, P: i32): void {
  const lda = <usize>N * sizeof<S>();
  const sA = sizeof<A>();
  const p = <usize>P;
  let i = 0;
  for (; i + 4 <= M; i += 4) {
    const a = A_ + <usize>i * lda;
    const c = C + <usize>i * p * sA;
    let r = 0;
    for (; r + 2 <= P; r += 2) dotTile4x2<S, A>(a, B + <usize>r * lda, c + <usize>r * sA, N, p);
    if (r < P) dotTile4x1<S, A>(a, B + <usize>r * lda, c + <usize>r * sA, N, p);
  }
  for (; i < M; i++) {
    const a = A_ + <usize>i * lda;
    const c = C + <usize>i * p * sA;
    let r = 0;
    for (; r + 2 <= P; r += 2) dotTile1x2<S, A>(a, B + <usize>r * lda, c + <usize>r * sA, N);
    if (r < P) store<A>(c + <usize>r * sA, dotOf<S, A>(a, B + <usize>r * lda, N));
  }
}

/** C (M×P) = A·Bᵀ, A M×N, B P×N (e.g. V·Hᵀ with M = K, P = R, or V_i·Hᵀ for a row block V_i). */
export function mulABt<T>(A: usize, B: usize, C: usize, M: i32, N: i32, P: i32): void {
  dotProducts<T, T>(A, B, C, M, N, P);
}

/** C (R×R) = A·Aᵀ, A R×N (e.g. HHᵀ). Exactly symmetric. */
export function gramAAt<T>(A: usize, C: usize, R: i32, N: i32): void {
  dotProducts<T, T>(A, A, C, R, N, R);
}

// ---------------------------------------------------------------------------------------------------------
// The Grams of an iteration's change are float64 whatever T is (docs/kernels.md, dtype): the same kernels with
// S = T and A = f64, so for T = f64 they are exactly gramAAt and gramAtA.

/** G (R×R, f64) = A·Aᵀ, A R×N of T (e.g. ΔH ΔHᵀ). Exactly symmetric. */
export function changeGramAAt<T>(A: usize, G: usize, R: i32, N: i32): void {
  dotProducts<T, f64>(A, A, G, R, N, R);
}

/** G (R×R, f64) = AᵀA when `first`, else G += AᵀA, A K×R of T (e.g. ΔW_iᵀΔW_i, block by block). */
export function changeGramAtAAdd<T>(A: usize, G: usize, K: i32, R: i32, first: bool): void {
  stridedProduct<T, f64>(A, 1, <usize>R, A, G, R, K, R, !first);
}

/** G (R×R, f64) = AᵀA, A K×R of T (e.g. ΔWᵀΔW). Exactly symmetric. */
export function changeGramAtA<T>(A: usize, G: usize, K: i32, R: i32): void {
  stridedProduct<T, f64>(A, 1, <usize>R, A, G, R, K, R, false);
}
