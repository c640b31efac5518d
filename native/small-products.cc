// The kernels of small-products.h: tiles of C held in 32-byte registers, built with an AVX2 clone. products.h calls
// them only where that clone runs (elsewhere 32-byte vectors are emulated and the BLAS is faster).
#include "small-products.h"

#include <cstring>

#include "vector-kernel.h"

namespace nmf {
namespace small {
namespace {

// Every helper is inlined into the kernel that calls it, so that it is compiled for that kernel's target (its AVX2
// clone); a helper left out of line would be built for the baseline and pass 32-byte vectors through memory.
#define NMFKIT_SMALL_INLINE inline __attribute__((always_inline))

// A register of Bytes bytes holding lanes of T (GCC and Clang vector extensions, as Double4 in vector-kernel.h),
// loaded and stored through memcpy. The kernels use 32-byte registers (four float64 or eight float32 lanes), and a
// 16-byte one for the last columns of a row that fill half of one (a rank-4 float32 row).
template <typename T, std::size_t Bytes>
struct Register {
  typedef T Vector __attribute__((vector_size(Bytes)));
  static constexpr std::size_t L = Bytes / sizeof(T);
  static NMFKIT_SMALL_INLINE Vector load(const T* p) {
    Vector v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }
  static NMFKIT_SMALL_INLINE void store(T* p, Vector v) { std::memcpy(p, &v, sizeof v); }
  // The lanes added pairwise: (l₀ + l₁) + (l₂ + l₃) for four, and so on.
  static NMFKIT_SMALL_INLINE T sum(Vector v) { return sumOf<0, L>(v); }

 private:
  // Lanes First … First + Count − 1, pairwise.
  template <std::size_t First, std::size_t Count>
  static NMFKIT_SMALL_INLINE T sumOf(Vector v) {
    if constexpr (Count == 1)
      return v[First];
    else
      return sumOf<First, Count / 2>(v) + sumOf<First + Count / 2, Count / 2>(v);
  }
};
template <typename T>
using Whole = Register<T, 32>;
template <typename T>
using Half = Register<T, 16>;

template <typename V, typename T>
NMFKIT_SMALL_INLINE typename V::Vector splat(T x) {
  return typename V::Vector{} + x;
}

// Rows i0 … i0 + Rows − 1 and columns j … j + Cols·L − 1 of C = Σ_t A(i, t)·B(t, j) (A(i, t) = A[i·as + t·at],
// B and C row-major with rows ld apart), the Rows × Cols vectors of C held in registers (of V) over every t.
template <typename V, std::size_t Rows, std::size_t Cols, typename T>
NMFKIT_SMALL_INLINE void stridedTile(const T* A, std::size_t as, std::size_t at, const T* B, T* C, std::size_t count,
                                     std::size_t ld, std::size_t i0, std::size_t j, bool accumulate) {
  constexpr std::size_t L = V::L;
  typename V::Vector c[Rows][Cols];
  for (std::size_t r = 0; r < Rows; ++r)
    for (std::size_t v = 0; v < Cols; ++v)
      c[r][v] = accumulate ? V::load(C + (i0 + r) * ld + j + v * L) : typename V::Vector{};
  for (std::size_t t = 0; t < count; ++t) {
    const T* b = B + t * ld + j;
    typename V::Vector bv[Cols];
    for (std::size_t v = 0; v < Cols; ++v) bv[v] = V::load(b + v * L);
    for (std::size_t r = 0; r < Rows; ++r) {
      const typename V::Vector a = splat<V>(A[(i0 + r) * as + t * at]);
      for (std::size_t v = 0; v < Cols; ++v) c[r][v] = c[r][v] + a * bv[v];
    }
  }
  for (std::size_t r = 0; r < Rows; ++r)
    for (std::size_t v = 0; v < Cols; ++v) V::store(C + (i0 + r) * ld + j + v * L, c[r][v]);
}

// Rows i0 … i0 + Rows − 1 of C: tiles four registers wide, then one register, then half a register, then single
// columns.
template <typename T, std::size_t Rows>
NMFKIT_SMALL_INLINE void stridedRows(const T* A, std::size_t as, std::size_t at, const T* B, T* C, std::size_t count,
                                     std::size_t n, std::size_t ld, std::size_t i0, bool accumulate) {
  constexpr std::size_t L = Whole<T>::L;
  std::size_t j = 0;
  for (; j + 4 * L <= n; j += 4 * L) stridedTile<Whole<T>, Rows, 4>(A, as, at, B, C, count, ld, i0, j, accumulate);
  for (; j + L <= n; j += L) stridedTile<Whole<T>, Rows, 1>(A, as, at, B, C, count, ld, i0, j, accumulate);
  for (; j + L / 2 <= n; j += L / 2) stridedTile<Half<T>, Rows, 1>(A, as, at, B, C, count, ld, i0, j, accumulate);
  for (; j < n; ++j) {
    for (std::size_t r = 0; r < Rows; ++r) {
      T s = accumulate ? C[(i0 + r) * ld + j] : T(0);
      for (std::size_t t = 0; t < count; ++t) s = s + A[(i0 + r) * as + t * at] * B[t * ld + j];
      C[(i0 + r) * ld + j] = s;
    }
  }
}

template <typename T>
NMFKIT_SMALL_INLINE void stridedKernel(const T* A, std::size_t as, std::size_t at, const T* B, T* C, std::size_t m,
                                       std::size_t count, std::size_t n, std::size_t ld, bool accumulate) {
  std::size_t i = 0;
  for (; i + 2 <= m; i += 2) stridedRows<T, 2>(A, as, at, B, C, count, n, ld, i, accumulate);
  if (i < m) stridedRows<T, 1>(A, as, at, B, C, count, n, ld, i, accumulate);
}

// Rows i0 … i0 + Rows − 1 against rows j … j + Cols − 1 of B: C[i][j] = A[i,:]·B[j,:] (length k).
template <typename T, std::size_t Rows, std::size_t Cols>
NMFKIT_SMALL_INLINE void dotTile(const T* A, const T* B, T* C, std::size_t k, std::size_t n, std::size_t i0,
                                 std::size_t j0) {
  using V = Whole<T>;
  constexpr std::size_t L = V::L;
  const std::size_t whole = k - k % L;
  typename V::Vector acc[Rows][Cols];
  for (std::size_t r = 0; r < Rows; ++r)
    for (std::size_t v = 0; v < Cols; ++v) acc[r][v] = typename V::Vector{};
  for (std::size_t t = 0; t < whole; t += L) {
    typename V::Vector a[Rows];
    for (std::size_t r = 0; r < Rows; ++r) a[r] = V::load(A + (i0 + r) * k + t);
    for (std::size_t v = 0; v < Cols; ++v) {
      const typename V::Vector b = V::load(B + (j0 + v) * k + t);
      for (std::size_t r = 0; r < Rows; ++r) acc[r][v] = acc[r][v] + a[r] * b;
    }
  }
  for (std::size_t r = 0; r < Rows; ++r) {
    for (std::size_t v = 0; v < Cols; ++v) {
      T s = V::sum(acc[r][v]);
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

template <typename T>
NMFKIT_SMALL_INLINE void dotKernel(const T* A, const T* B, T* C, std::size_t m, std::size_t k, std::size_t n) {
  std::size_t i = 0;
  for (; i + 2 <= m; i += 2) dotRows<T, 2>(A, B, C, k, n, i);
  if (i < m) dotRows<T, 1>(A, B, C, k, n, i);
}

}  // namespace

// One AVX2 clone per entry point (target_clones takes functions, not templates).
NMFKIT_VECTOR_KERNEL void stridedProduct(const double* A, std::size_t as, std::size_t at, const double* B, double* C,
                                         std::size_t m, std::size_t count, std::size_t n, std::size_t ld,
                                         bool accumulate) {
  stridedKernel(A, as, at, B, C, m, count, n, ld, accumulate);
}
NMFKIT_VECTOR_KERNEL void stridedProduct(const float* A, std::size_t as, std::size_t at, const float* B, float* C,
                                         std::size_t m, std::size_t count, std::size_t n, std::size_t ld,
                                         bool accumulate) {
  stridedKernel(A, as, at, B, C, m, count, n, ld, accumulate);
}

NMFKIT_VECTOR_KERNEL void dotProducts(const double* A, const double* B, double* C, std::size_t m, std::size_t k,
                                      std::size_t n) {
  dotKernel(A, B, C, m, k, n);
}
NMFKIT_VECTOR_KERNEL void dotProducts(const float* A, const float* B, float* C, std::size_t m, std::size_t k,
                                      std::size_t n) {
  dotKernel(A, B, C, m, k, n);
}

}  // namespace small
}  // namespace nmf
