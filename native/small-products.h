// The products of products.h for matrices too small for the BLAS to pay off. For a 64×64 rank-4 fit every CBLAS
// call costs more in fixed work (OpenBLAS takes a buffer from its shared pool under a lock and packs both operands)
// than in arithmetic, and fits running side by side on several threads contend for that lock. These kernels keep
// a tile of C in registers and read A and B in place.
//
// Summation order, as assembly/products.ts sums (so the two backends agree closely, and a Gram is exactly
// symmetric):
//  - stridedProduct (mulAtB, mulSmallInner, gramAtA): C[i][j] = ((0 + a₀b₀) + a₁b₁) + … over the inner index in
//    increasing order, resumed from C's stored value when accumulating;
//  - dotProducts (mulABt, gramAAt): L running sums over the inner indices ≡ l (mod L) below the last multiple of L,
//    added pairwise ((l₀ + l₁) + (l₂ + l₃)), then each remaining term in order; L = 4 (WebAssembly has 2).
#pragma once

#include <cstddef>
#include <cstring>
#include <type_traits>

#include "vector-kernel.h"

// Every helper is inlined into the kernel that calls it, so that it is compiled for that kernel's target (its AVX2
// clone); a helper left out of line would be built for the baseline and pass 32-byte vectors through memory.
#define NMFKIT_SMALL_INLINE inline __attribute__((always_inline))

namespace nmf {
namespace small {

// Four float64 lanes (32 bytes). Each operation is IEEE lane by lane, with no fused multiply–add
// (-ffp-contract=off), so every build (AVX2 clone or not) gives the same bits. The kernels are templates on the
// element type only so that they read like assembly/products.ts; products.h calls them for float64 alone.
typedef double Double4 __attribute__((vector_size(32)));
template <typename T>
using Vec = std::enable_if_t<std::is_same_v<T, double>, Double4>;
template <typename T>
constexpr std::size_t kLanes = 4;

template <typename T>
NMFKIT_SMALL_INLINE Vec<T> load(const T* p) {
  Vec<T> v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <typename T>
NMFKIT_SMALL_INLINE void store(T* p, Vec<T> v) {
  std::memcpy(p, &v, sizeof v);
}
template <typename T>
NMFKIT_SMALL_INLINE Vec<T> splat(T x) {
  return Vec<T>{} + x;
}
// (l₀ + l₁) + (l₂ + l₃).
NMFKIT_SMALL_INLINE double laneSum(Double4 v) { return (v[0] + v[1]) + (v[2] + v[3]); }

// Rows i0 … i0 + Rows − 1 and columns j … j + Cols·L − 1 of C = Σ_t A(i, t)·B(t, j) (A(i, t) = A[i·as + t·at],
// B row-major, ldb = ldc = n), the Rows × Cols vectors of C held in registers over every t.
template <typename T, std::size_t Rows, std::size_t Cols>
NMFKIT_SMALL_INLINE void stridedTile(const T* A, std::size_t as, std::size_t at, const T* B, T* C, std::size_t count,
                                     std::size_t n, std::size_t i0, std::size_t j, bool accumulate) {
  constexpr std::size_t L = kLanes<T>;
  Vec<T> c[Rows][Cols];
  for (std::size_t r = 0; r < Rows; ++r)
    for (std::size_t v = 0; v < Cols; ++v) c[r][v] = accumulate ? load(C + (i0 + r) * n + j + v * L) : Vec<T>{};
  for (std::size_t t = 0; t < count; ++t) {
    const T* b = B + t * n + j;
    Vec<T> bv[Cols];
    for (std::size_t v = 0; v < Cols; ++v) bv[v] = load(b + v * L);
    for (std::size_t r = 0; r < Rows; ++r) {
      const Vec<T> a = splat(A[(i0 + r) * as + t * at]);
      for (std::size_t v = 0; v < Cols; ++v) c[r][v] = c[r][v] + a * bv[v];
    }
  }
  for (std::size_t r = 0; r < Rows; ++r)
    for (std::size_t v = 0; v < Cols; ++v) store(C + (i0 + r) * n + j + v * L, c[r][v]);
}

// Rows i0 … i0 + Rows − 1 of C: tiles four vectors wide, then one vector, then single columns.
template <typename T, std::size_t Rows>
NMFKIT_SMALL_INLINE void stridedRows(const T* A, std::size_t as, std::size_t at, const T* B, T* C, std::size_t count,
                                     std::size_t n, std::size_t i0, bool accumulate) {
  constexpr std::size_t L = kLanes<T>;
  std::size_t j = 0;
  for (; j + 4 * L <= n; j += 4 * L) stridedTile<T, Rows, 4>(A, as, at, B, C, count, n, i0, j, accumulate);
  for (; j + L <= n; j += L) stridedTile<T, Rows, 1>(A, as, at, B, C, count, n, i0, j, accumulate);
  for (; j < n; ++j) {
    for (std::size_t r = 0; r < Rows; ++r) {
      T s = accumulate ? C[(i0 + r) * n + j] : T(0);
      for (std::size_t t = 0; t < count; ++t) s = s + A[(i0 + r) * as + t * at] * B[t * n + j];
      C[(i0 + r) * n + j] = s;
    }
  }
}

// C (m×n) = Σ_t A(i, t)·B(t, j) over t < count, or C += that sum. mulAtB is A(i, t) = A[t·m + i] (as 1, at m);
// mulSmallInner A[i·count + t] (as count, at 1).
template <typename T>
NMFKIT_VECTOR_KERNEL void stridedProduct(const T* A, std::size_t as, std::size_t at, const T* B, T* C, std::size_t m,
                                         std::size_t count, std::size_t n, bool accumulate) {
  std::size_t i = 0;
  for (; i + 2 <= m; i += 2) stridedRows<T, 2>(A, as, at, B, C, count, n, i, accumulate);
  if (i < m) stridedRows<T, 1>(A, as, at, B, C, count, n, i, accumulate);
}

// Rows i0 … i0 + Rows − 1 against rows j … j + Cols − 1 of B: C[i][j] = A[i,:]·B[j,:] (length k).
template <typename T, std::size_t Rows, std::size_t Cols>
NMFKIT_SMALL_INLINE void dotTile(const T* A, const T* B, T* C, std::size_t k, std::size_t n, std::size_t i0,
                                 std::size_t j0) {
  constexpr std::size_t L = kLanes<T>;
  const std::size_t whole = k - k % L;
  Vec<T> acc[Rows][Cols];
  for (std::size_t r = 0; r < Rows; ++r)
    for (std::size_t v = 0; v < Cols; ++v) acc[r][v] = Vec<T>{};
  for (std::size_t t = 0; t < whole; t += L) {
    Vec<T> a[Rows];
    for (std::size_t r = 0; r < Rows; ++r) a[r] = load(A + (i0 + r) * k + t);
    for (std::size_t v = 0; v < Cols; ++v) {
      const Vec<T> b = load(B + (j0 + v) * k + t);
      for (std::size_t r = 0; r < Rows; ++r) acc[r][v] = acc[r][v] + a[r] * b;
    }
  }
  for (std::size_t r = 0; r < Rows; ++r) {
    for (std::size_t v = 0; v < Cols; ++v) {
      T s = laneSum(acc[r][v]);
      for (std::size_t t = whole; t < k; ++t) s = s + A[(i0 + r) * k + t] * B[(j0 + v) * k + t];
      C[(i0 + r) * n + j0 + v] = s;
    }
  }
}

template <typename T, std::size_t Rows>
NMFKIT_SMALL_INLINE void dotRows(const T* A, const T* B, T* C, std::size_t k, std::size_t n, std::size_t i0) {
  std::size_t j = 0;
  for (; j + 4 <= n; j += 4) dotTile<T, Rows, 4>(A, B, C, k, n, i0, j);
  for (; j < n; ++j) dotTile<T, Rows, 1>(A, B, C, k, n, i0, j);
}

// C (m×n) = A·Bᵀ, A m×k and B n×k row-major: every entry a dot product of two rows.
template <typename T>
NMFKIT_VECTOR_KERNEL void dotProducts(const T* A, const T* B, T* C, std::size_t m, std::size_t k, std::size_t n) {
  std::size_t i = 0;
  for (; i + 2 <= m; i += 2) dotRows<T, 2>(A, B, C, k, n, i);
  if (i < m) dotRows<T, 1>(A, B, C, k, n, i);
}

}  // namespace small
}  // namespace nmf

#undef NMFKIT_SMALL_INLINE
