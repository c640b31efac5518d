// Register-tiled float64 and float32 products for matrices too small for the BLAS to pay off (products.h chooses). For
// a 64×64 rank-4 fit every CBLAS call costs more in fixed work (OpenBLAS takes a buffer from its shared pool under a
// lock and packs both operands) than in arithmetic, and fits running side by side on several threads contend for
// that lock. These kernels keep a tile of C in registers and read A and B in place (small-products.cc).
//
// Summation order, as assembly/products.ts sums (so the two backends agree closely, and a Gram is exactly
// symmetric):
//  - stridedProduct (mulAtB, mulSmallInner, gramAtA): C[i][j] = ((0 + a₀b₀) + a₁b₁) + … over the inner index in
//    increasing order, resumed from C's stored value when accumulating;
//  - dotProducts (mulABt, gramAAt): L running sums over the inner indices ≡ l (mod L) below the last multiple of L,
//    added pairwise ((l₀ + l₁) + (l₂ + l₃), and so on), then each remaining term in order; L = 4 in float64 and 8 in
//    float32 (WebAssembly has 2 and 4, so float32 dot products there group their sums differently).
#pragma once

#include <cstddef>

namespace nmf {
namespace small {

// C (m×n) = Σ_t A(i, t)·B(t, j) over t < count, or C += that sum when `accumulate`; A(i, t) = A[i·as + t·at], and
// B (count×n) and C are row-major with rows ld ≥ n apart (a block of columns of wider matrices when ld > n).
// mulAtB is A(i, t) = A[t·m + i] (as 1, at m); mulSmallInner A[i·count + t] (as count, at 1).
void stridedProduct(const double* A, std::size_t as, std::size_t at, const double* B, double* C, std::size_t m,
                    std::size_t count, std::size_t n, std::size_t ld, bool accumulate);
void stridedProduct(const float* A, std::size_t as, std::size_t at, const float* B, float* C, std::size_t m,
                    std::size_t count, std::size_t n, std::size_t ld, bool accumulate);

// C (m×n) = A·Bᵀ, A m×k and B n×k row-major: every entry a dot product of two rows.
void dotProducts(const double* A, const double* B, double* C, std::size_t m, std::size_t k, std::size_t n);
void dotProducts(const float* A, const float* B, float* C, std::size_t m, std::size_t k, std::size_t n);

}  // namespace small
}  // namespace nmf
