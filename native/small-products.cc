// The kernels of small-products.h: tiles of C held in Double4 registers (vector-kernel.h), built with an AVX2
// clone. products.h calls them only where that clone runs (elsewhere 32-byte vectors are emulated and the BLAS
// is faster).
#include "small-products.h"

#include "vector-kernel.h"

namespace nmf {
namespace small {
namespace {

// Every helper is inlined into the kernel that calls it, so that it is compiled for that kernel's target (its AVX2
// clone); a helper left out of line would be built for the baseline and pass 32-byte vectors through memory.
#define NMFKIT_SMALL_INLINE inline __attribute__((always_inline))

constexpr std::size_t L = 4;  // the lanes of a Double4 (vector-kernel.h)

NMFKIT_SMALL_INLINE Double4 splat(double x) { return Double4{} + x; }
// (l₀ + l₁) + (l₂ + l₃).
NMFKIT_SMALL_INLINE double laneSum(Double4 v) { return (v[0] + v[1]) + (v[2] + v[3]); }

// Rows i0 … i0 + Rows − 1 and columns j … j + Cols·L − 1 of C = Σ_t A(i, t)·B(t, j) (A(i, t) = A[i·as + t·at],
// B and C row-major with rows ld apart), the Rows × Cols vectors of C held in registers over every t.
template <std::size_t Rows, std::size_t Cols>
NMFKIT_SMALL_INLINE void stridedTile(const double* A, std::size_t as, std::size_t at, const double* B, double* C,
                                     std::size_t count, std::size_t ld, std::size_t i0, std::size_t j,
                                     bool accumulate) {
  Double4 c[Rows][Cols];
  for (std::size_t r = 0; r < Rows; ++r)
    for (std::size_t v = 0; v < Cols; ++v)
      c[r][v] = accumulate ? loadDouble4(C + (i0 + r) * ld + j + v * L) : Double4{};
  for (std::size_t t = 0; t < count; ++t) {
    const double* b = B + t * ld + j;
    Double4 bv[Cols];
    for (std::size_t v = 0; v < Cols; ++v) bv[v] = loadDouble4(b + v * L);
    for (std::size_t r = 0; r < Rows; ++r) {
      const Double4 a = splat(A[(i0 + r) * as + t * at]);
      for (std::size_t v = 0; v < Cols; ++v) c[r][v] = c[r][v] + a * bv[v];
    }
  }
  for (std::size_t r = 0; r < Rows; ++r)
    for (std::size_t v = 0; v < Cols; ++v) storeDouble4(C + (i0 + r) * ld + j + v * L, c[r][v]);
}

// Rows i0 … i0 + Rows − 1 of C: tiles four vectors wide, then one vector, then single columns.
template <std::size_t Rows>
NMFKIT_SMALL_INLINE void stridedRows(const double* A, std::size_t as, std::size_t at, const double* B, double* C,
                                     std::size_t count, std::size_t n, std::size_t ld, std::size_t i0,
                                     bool accumulate) {
  std::size_t j = 0;
  for (; j + 4 * L <= n; j += 4 * L) stridedTile<Rows, 4>(A, as, at, B, C, count, ld, i0, j, accumulate);
  for (; j + L <= n; j += L) stridedTile<Rows, 1>(A, as, at, B, C, count, ld, i0, j, accumulate);
  for (; j < n; ++j) {
    for (std::size_t r = 0; r < Rows; ++r) {
      double s = accumulate ? C[(i0 + r) * ld + j] : 0.0;
      for (std::size_t t = 0; t < count; ++t) s = s + A[(i0 + r) * as + t * at] * B[t * ld + j];
      C[(i0 + r) * ld + j] = s;
    }
  }
}

// Rows i0 … i0 + Rows − 1 against rows j … j + Cols − 1 of B: C[i][j] = A[i,:]·B[j,:] (length k).
template <std::size_t Rows, std::size_t Cols>
NMFKIT_SMALL_INLINE void dotTile(const double* A, const double* B, double* C, std::size_t k, std::size_t n,
                                 std::size_t i0, std::size_t j0) {
  const std::size_t whole = k - k % L;
  Double4 acc[Rows][Cols];
  for (std::size_t r = 0; r < Rows; ++r)
    for (std::size_t v = 0; v < Cols; ++v) acc[r][v] = Double4{};
  for (std::size_t t = 0; t < whole; t += L) {
    Double4 a[Rows];
    for (std::size_t r = 0; r < Rows; ++r) a[r] = loadDouble4(A + (i0 + r) * k + t);
    for (std::size_t v = 0; v < Cols; ++v) {
      const Double4 b = loadDouble4(B + (j0 + v) * k + t);
      for (std::size_t r = 0; r < Rows; ++r) acc[r][v] = acc[r][v] + a[r] * b;
    }
  }
  for (std::size_t r = 0; r < Rows; ++r) {
    for (std::size_t v = 0; v < Cols; ++v) {
      double s = laneSum(acc[r][v]);
      for (std::size_t t = whole; t < k; ++t) s = s + A[(i0 + r) * k + t] * B[(j0 + v) * k + t];
      C[(i0 + r) * n + j0 + v] = s;
    }
  }
}

template <std::size_t Rows>
NMFKIT_SMALL_INLINE void dotRows(const double* A, const double* B, double* C, std::size_t k, std::size_t n,
                                 std::size_t i0) {
  std::size_t j = 0;
  for (; j + 4 <= n; j += 4) dotTile<Rows, 4>(A, B, C, k, n, i0, j);
  for (; j < n; ++j) dotTile<Rows, 1>(A, B, C, k, n, i0, j);
}

}  // namespace

NMFKIT_VECTOR_KERNEL void stridedProduct(const double* A, std::size_t as, std::size_t at, const double* B, double* C,
                                         std::size_t m, std::size_t count, std::size_t n, std::size_t ld,
                                         bool accumulate) {
  std::size_t i = 0;
  for (; i + 2 <= m; i += 2) stridedRows<2>(A, as, at, B, C, count, n, ld, i, accumulate);
  if (i < m) stridedRows<1>(A, as, at, B, C, count, n, ld, i, accumulate);
}

NMFKIT_VECTOR_KERNEL void dotProducts(const double* A, const double* B, double* C, std::size_t m, std::size_t k,
                                      std::size_t n) {
  std::size_t i = 0;
  for (; i + 2 <= m; i += 2) dotRows<2>(A, B, C, k, n, i);
  if (i < m) dotRows<1>(A, B, C, k, n, i);
}

}  // namespace small
}  // namespace nmf
