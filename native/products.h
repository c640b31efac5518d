// The matrix products of nmfkit, as thin inline wrappers over CBLAS, in float64 (cblas_d*) and float32 (cblas_s*),
// except small ones, which small-products.cc computes (docs/kernels.md, "Small products").
//
// Every matrix is row-major and dense, so the leading dimension is the column count (the block products of the
// fused sweep pass row blocks, which keep the full matrix's column count), except in the *Columns products, whose
// block of columns keeps the full matrix's row stride; the wrappers take shapes instead of BLAS arguments so that
// the kernel in fit.cc reads like the formulas in docs/kernels.md.
// assembly/products.ts implements the same products by hand for WebAssembly, under the same names.
//
// Shapes are size_t in nmfkit and blas_int in the BLAS. Fit's constructor (checkFitSizes) refuses any dimension
// above the BLAS's limit, so the narrowing casts below cannot truncate.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <type_traits>

#include "blas.h"
#include "small-products.h"
#include "vector-kernel.h"  // NMFKIT_AVX2_CLONES

namespace nmf {

// Products of at most this many multiply–adds (m·n·k) run on small-products.cc's kernels instead of the BLAS,
// where those kernels have their AVX2 version (elsewhere their 32-byte vectors are emulated and lose to the BLAS).
// Register-tiled sums along rows of B (mulAtB, mulSmallInner, gramAtA) beat OpenBLAS's packing up to about 2^18;
// dot products of rows (mulABt, gramAAt) only up to about 2^16.
constexpr std::size_t kSmallStridedWork = std::size_t{1} << 18;
constexpr std::size_t kSmallDotWork = std::size_t{1} << 16;

// Which products small-products.cc computes: chosen from the machine, the BLAS and the element type (Auto), or
// forced by the tests so that both ways are checked on every machine (the addon's setSmallProducts). Read at every
// product; set only between fits.
enum class SmallProducts { Auto, On, Off };
inline std::atomic<SmallProducts>& smallProductsSetting() {
  static std::atomic<SmallProducts> setting{SmallProducts::Auto};
  return setting;
}

// The kinds of product: a Gram matrix (A·Aᵀ or Aᵀ·A, dsyrk on the BLAS) or any other (dgemm).
enum class Product { General, Gram };

// Where they run with AVX2, unless the tests forced a choice. A BLAS with small-matrix kernels of its own
// (blasHasSmallMatrixKernels) takes the float64 products other than Grams: it is the faster there. Grams stay on
// nmfkit's kernels, as OpenBLAS has no small-matrix syrk and packs its operands into a buffer it takes under a lock.
// float32 stays on nmfkit's kernels, whose float32 HALS keeps within twice scikit-learn's own float32-to-float64
// distance, where OpenBLAS's small sgemm kernels, which sum in another order, drift past it (docs/kernels.md).
template <typename T, Product P>
inline bool smallKernelsPayOff() {
#if NMFKIT_AVX2_CLONES
  static const bool avx2 = __builtin_cpu_supports("avx2");
  static const bool automatic =
      avx2 && (P == Product::Gram || std::is_same_v<T, float> || !blasHasSmallMatrixKernels());
  switch (smallProductsSetting().load(std::memory_order_relaxed)) {
    case SmallProducts::On: return avx2;
    case SmallProducts::Off: return false;
    default: return automatic;
  }
#else
  return false;
#endif
}
// m·n·k ≤ work, each side bounded first so that the product cannot wrap.
inline bool withinWork(std::size_t m, std::size_t n, std::size_t k, std::size_t work) {
  return m <= work && n <= work && k <= work && m * n * k <= work;
}
template <typename T, Product P = Product::General>
inline bool smallStrided(std::size_t m, std::size_t n, std::size_t k) {
  return withinWork(m, n, k, kSmallStridedWork) && smallKernelsPayOff<T, P>();
}
template <typename T, Product P = Product::General>
inline bool smallDot(std::size_t m, std::size_t n, std::size_t k) {
  return withinWork(m, n, k, kSmallDotWork) && smallKernelsPayOff<T, P>();
}
inline blas_int bi(std::size_t n) { return static_cast<blas_int>(n); }

// The BLAS entry points, overloaded on the element type.
inline void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, std::size_t m, std::size_t n, std::size_t k, const double* A,
                 std::size_t lda, const double* B, std::size_t ldb, double beta, double* C, std::size_t ldc) {
  cblas_dgemm(CblasRowMajor, ta, tb, bi(m), bi(n), bi(k), 1.0, A, bi(lda), B, bi(ldb), beta, C, bi(ldc));
}
inline void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, std::size_t m, std::size_t n, std::size_t k, const float* A,
                 std::size_t lda, const float* B, std::size_t ldb, float beta, float* C, std::size_t ldc) {
  cblas_sgemm(CblasRowMajor, ta, tb, bi(m), bi(n), bi(k), 1.0f, A, bi(lda), B, bi(ldb), beta, C, bi(ldc));
}
inline void syrk(CBLAS_TRANSPOSE t, std::size_t n, std::size_t k, const double* A, std::size_t lda, double beta,
                 double* C) {
  cblas_dsyrk(CblasRowMajor, CblasUpper, t, bi(n), bi(k), 1.0, A, bi(lda), beta, C, bi(n));
}
inline void syrk(CBLAS_TRANSPOSE t, std::size_t n, std::size_t k, const float* A, std::size_t lda, float beta,
                 float* C) {
  cblas_ssyrk(CblasRowMajor, CblasUpper, t, bi(n), bi(k), 1.0f, A, bi(lda), beta, C, bi(n));
}

// C (m×n) = A (m×k) · B (k×n), B and C with rows ld ≥ n apart: a block of columns of a wider product when ld > n
// (a team's share).
template <typename T>
void mulSmallInnerColumns(const T* A, const T* B, T* C, std::size_t m, std::size_t k, std::size_t n, std::size_t ld) {
  if (smallStrided<T>(m, n, k)) return small::stridedProduct(A, k, 1, B, C, m, k, n, ld, false);
  gemm(CblasNoTrans, CblasNoTrans, m, n, k, A, k, B, ld, T(0), C, ld);
}

// C (m×n) = A (m×k) · B (k×n). Named as in assembly/products.ts, where the inner dimension k is always small
// (R): (WᵀW)·H, W·(HHᵀ), W·H.
template <typename T>
void mulSmallInner(const T* A, const T* B, T* C, std::size_t m, std::size_t k, std::size_t n) {
  mulSmallInnerColumns(A, B, C, m, k, n, n);
}

// C (m×n) ← C − A (m×k) · B (k×n): the product is formed and then subtracted from each entry, as numpy evaluates
// V − W·H (the BLAS scales its sum by −1, which is exact, and adds C once).
inline void subtractMulSmallInner(const double* A, const double* B, double* C, std::size_t m, std::size_t k,
                                  std::size_t n) {
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, bi(m), bi(n), bi(k), -1.0, A, bi(k), B, bi(n), 1.0, C, bi(n));
}

// C (m×n) = Aᵀ · B, with A k×m and B k×n, B and C with rows ld ≥ n apart: a block of columns of a wider product
// when ld > n (a team's share).
template <typename T>
void mulAtBColumns(const T* A, const T* B, T* C, std::size_t m, std::size_t k, std::size_t n, std::size_t ld) {
  if (smallStrided<T>(m, n, k)) return small::stridedProduct(A, 1, m, B, C, m, k, n, ld, false);
  gemm(CblasTrans, CblasNoTrans, m, n, k, A, m, B, ld, T(0), C, ld);
}

// C (m×n) = Aᵀ · B, with A k×m and B k×n (e.g. WᵀV)
template <typename T>
void mulAtB(const T* A, const T* B, T* C, std::size_t m, std::size_t k, std::size_t n) {
  mulAtBColumns(A, B, C, m, k, n, n);
}

// C (m×n) = Aᵀ · B when `first`, else C += Aᵀ · B: the fused sweep adds W_iᵀV_i for the row blocks i in order.
template <typename T>
void mulAtBAdd(const T* A, const T* B, T* C, std::size_t m, std::size_t k, std::size_t n, bool first) {
  if (smallStrided<T>(m, n, k)) return small::stridedProduct(A, 1, m, B, C, m, k, n, n, !first);
  gemm(CblasTrans, CblasNoTrans, m, n, k, A, m, B, n, first ? T(0) : T(1), C, n);
}

// C (m×n) = A · Bᵀ, with A m×k and B n×k (e.g. VHᵀ, or V_i·Hᵀ for a row block V_i)
template <typename T>
void mulABt(const T* A, const T* B, T* C, std::size_t m, std::size_t k, std::size_t n) {
  if (smallDot<T>(m, n, k)) return small::dotProducts(A, B, C, m, k, n);
  gemm(CblasNoTrans, CblasTrans, m, n, k, A, k, B, k, T(0), C, n);
}

// dsyrk fills one triangle only; the Jacobi solver and the (WᵀW)·H product want the whole symmetric matrix (and
// the mirrored copy makes it exactly symmetric, as assembly/products.ts's Gram kernels are).
template <typename T>
void mirrorUpperToLower(T* G, std::size_t n) {
  for (std::size_t i = 1; i < n; ++i) {
    for (std::size_t j = 0; j < i; ++j) G[i * n + j] = G[j * n + i];
  }
}

// G (m×m) = A · Aᵀ, with A m×k: the Gram matrix of A's rows (e.g. HHᵀ)
template <typename T>
void gramAAt(const T* A, T* G, std::size_t m, std::size_t k) {
  if (smallDot<T, Product::Gram>(m, m, k))
    return small::dotProducts(A, A, G, m, k, m);  // both triangles, exactly symmetric
  syrk(CblasNoTrans, m, k, A, k, T(0), G);
  mirrorUpperToLower(G, m);
}

// G (n×n) = Aᵀ · A, with A k×n: the Gram matrix of A's columns (e.g. WᵀW)
template <typename T>
void gramAtA(const T* A, T* G, std::size_t k, std::size_t n) {
  if (smallStrided<T, Product::Gram>(n, n, k))
    return small::stridedProduct(A, 1, n, A, G, n, k, n, n, false);  // both triangles
  syrk(CblasTrans, n, k, A, n, T(0), G);
  mirrorUpperToLower(G, n);
}

// The upper triangle of G (n×n) = AᵀA when `first`, else of G += AᵀA (the fused sweep adds W_iᵀW_i block by
// block); the caller mirrors it after the last block.
template <typename T>
void gramAtAAdd(const T* A, T* G, std::size_t k, std::size_t n, bool first) {
  // The small kernel adds into both triangles; the lower one is overwritten by the caller's mirror either way.
  if (smallStrided<T, Product::Gram>(n, n, k)) return small::stridedProduct(A, 1, n, A, G, n, k, n, n, !first);
  syrk(CblasTrans, n, k, A, n, first ? T(0) : T(1), G);
}

// The Grams of an iteration's change are always float64 (docs/kernels.md, dtype): for float64 data they are the
// Gram products above; float32 data is widened to float64 in chunks of kWideChunk rows or columns (in `wide`, a
// scratch of kWideChunk·max(m, n) doubles) and each chunk added by the float64 Gram products, so every product and
// sum is float64.
constexpr std::size_t kWideChunk = 256;

// G (m×m) = A·Aᵀ in float64, A m×k (e.g. ΔH ΔHᵀ).
inline void changeGramAAt(const double* A, double* G, std::size_t m, std::size_t k, double*) { gramAAt(A, G, m, k); }
inline void changeGramAAt(const float* A, double* G, std::size_t m, std::size_t k, double* wide) {
  for (std::size_t j0 = 0; j0 < k; j0 += kWideChunk) {
    const std::size_t width = std::min(kWideChunk, k - j0);
    for (std::size_t i = 0; i < m; ++i) {
      for (std::size_t j = 0; j < width; ++j) wide[i * width + j] = static_cast<double>(A[i * k + j0 + j]);
    }
    // The first chunk sets both triangles; the others add to the upper one, which is mirrored at the end.
    if (j0 == 0)
      gramAAt(wide, G, m, width);
    else
      syrk(CblasNoTrans, m, width, wide, width, 1.0, G);
  }
  mirrorUpperToLower(G, m);
}

// The upper triangle of G (n×n) = AᵀA in float64 when `first`, else of G += AᵀA, A k×n (e.g. ΔWᵀΔW, or ΔW_i
// block by block in the fused sweep); the caller mirrors it after the last block.
inline void changeGramAtAAdd(const double* A, double* G, std::size_t k, std::size_t n, double*, bool first) {
  gramAtAAdd(A, G, k, n, first);
}
inline void changeGramAtAAdd(const float* A, double* G, std::size_t k, std::size_t n, double* wide, bool first) {
  for (std::size_t i0 = 0; i0 < k; i0 += kWideChunk) {
    const std::size_t rows = std::min(kWideChunk, k - i0);
    const float* a = A + i0 * n;
    for (std::size_t i = 0; i < rows * n; ++i) wide[i] = static_cast<double>(a[i]);
    gramAtAAdd(wide, G, rows, n, first && i0 == 0);
  }
}

// G (n×n) = AᵀA in float64, A k×n (e.g. ΔWᵀΔW).
template <typename T>
void changeGramAtA(const T* A, double* G, std::size_t k, std::size_t n, double* wide) {
  changeGramAtAAdd(A, G, k, n, wide, true);
  mirrorUpperToLower(G, n);
}

// y (m) = A (m×n) · x. For a float32 A (the residual of a float32 fit) the vectors stay float64 and every product
// and sum is float64.
inline void mulAx(const double* A, const double* x, double* y, std::size_t m, std::size_t n) {
  cblas_dgemv(CblasRowMajor, CblasNoTrans, bi(m), bi(n), 1.0, A, bi(n), x, 1, 0.0, y, 1);
}
inline void mulAx(const float* A, const double* x, double* y, std::size_t m, std::size_t n) {
  for (std::size_t i = 0; i < m; ++i) {
    const float* a = A + i * n;
    double s = 0.0;
    for (std::size_t j = 0; j < n; ++j) s += static_cast<double>(a[j]) * x[j];
    y[i] = s;
  }
}

// y (n) = Aᵀ · x, with A m×n
inline void mulAtx(const double* A, const double* x, double* y, std::size_t m, std::size_t n) {
  cblas_dgemv(CblasRowMajor, CblasTrans, bi(m), bi(n), 1.0, A, bi(n), x, 1, 0.0, y, 1);
}
inline void mulAtx(const float* A, const double* x, double* y, std::size_t m, std::size_t n) {
  std::fill(y, y + n, 0.0);
  for (std::size_t i = 0; i < m; ++i) {
    const float* a = A + i * n;
    const double xi = x[i];
    for (std::size_t j = 0; j < n; ++j) y[j] += xi * static_cast<double>(a[j]);
  }
}

// y (n) ← y − Aᵀ · x, with A m×n (the subtraction step of classical Gram–Schmidt)
inline void subAtx(const double* A, const double* x, double* y, std::size_t m, std::size_t n) {
  cblas_dgemv(CblasRowMajor, CblasTrans, bi(m), bi(n), -1.0, A, bi(n), x, 1, 1.0, y, 1);
}

}  // namespace nmf
