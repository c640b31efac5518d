// The matrix products of nmfkit, as thin inline wrappers over CBLAS.
//
// Every matrix is row-major float64 and dense, so the leading dimension is always the column count; the wrappers
// take shapes instead of BLAS arguments so that the kernel in fit.cc reads like the formulas in docs/kernels.md.
// assembly/products.ts implements the same products by hand for WebAssembly.
//
// Shapes are size_t in nmfkit and blas_int in the BLAS. Fit's constructor (checkFitSizes) refuses any dimension
// above the BLAS's limit, so the narrowing casts below cannot truncate.
#pragma once

#include <cstddef>

#include "blas.h"

namespace nmf {

inline blas_int bi(std::size_t n) { return static_cast<blas_int>(n); }

// C (m×n) = A (m×k) · B (k×n). Named as in assembly/products.ts, where the inner dimension k is always small
// (R): (WᵀW)·H, W·(HHᵀ), W·H.
inline void mulSmallInner(const double* A, const double* B, double* C, std::size_t m, std::size_t k, std::size_t n) {
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, bi(m), bi(n), bi(k), 1.0, A, bi(k), B, bi(n), 0.0, C,
              bi(n));
}

// C (m×n) = Aᵀ · B, with A k×m and B k×n (e.g. WᵀV)
inline void mulAtB(const double* A, const double* B, double* C, std::size_t m, std::size_t k, std::size_t n) {
  cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, bi(m), bi(n), bi(k), 1.0, A, bi(m), B, bi(n), 0.0, C,
              bi(n));
}

// C (m×n) = A · Bᵀ, with A m×k and B n×k (e.g. VHᵀ)
inline void mulABt(const double* A, const double* B, double* C, std::size_t m, std::size_t k, std::size_t n) {
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, bi(m), bi(n), bi(k), 1.0, A, bi(k), B, bi(k), 0.0, C,
              bi(n));
}

// dsyrk fills one triangle only; the Jacobi solver and the (WᵀW)·H product want the whole symmetric matrix (and
// the mirrored copy makes it exactly symmetric, as assembly/products.ts's Gram kernels are).
inline void mirrorUpperToLower(double* G, std::size_t n) {
  for (std::size_t i = 1; i < n; ++i) {
    for (std::size_t j = 0; j < i; ++j) G[i * n + j] = G[j * n + i];
  }
}

// G (m×m) = A · Aᵀ, with A m×k: the Gram matrix of A's rows (e.g. HHᵀ)
inline void gramAAt(const double* A, double* G, std::size_t m, std::size_t k) {
  cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, bi(m), bi(k), 1.0, A, bi(k), 0.0, G, bi(m));
  mirrorUpperToLower(G, m);
}

// G (n×n) = Aᵀ · A, with A k×n: the Gram matrix of A's columns (e.g. WᵀW)
inline void gramAtA(const double* A, double* G, std::size_t k, std::size_t n) {
  cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, bi(n), bi(k), 1.0, A, bi(n), 0.0, G, bi(n));
  mirrorUpperToLower(G, n);
}

// y (m) = A (m×n) · x
inline void mulAx(const double* A, const double* x, double* y, std::size_t m, std::size_t n) {
  cblas_dgemv(CblasRowMajor, CblasNoTrans, bi(m), bi(n), 1.0, A, bi(n), x, 1, 0.0, y, 1);
}

// y (n) = Aᵀ · x, with A m×n
inline void mulAtx(const double* A, const double* x, double* y, std::size_t m, std::size_t n) {
  cblas_dgemv(CblasRowMajor, CblasTrans, bi(m), bi(n), 1.0, A, bi(n), x, 1, 0.0, y, 1);
}

// y (n) ← y − Aᵀ · x, with A m×n (the subtraction step of classical Gram–Schmidt)
inline void subAtx(const double* A, const double* x, double* y, std::size_t m, std::size_t n) {
  cblas_dgemv(CblasRowMajor, CblasTrans, bi(m), bi(n), -1.0, A, bi(n), x, 1, 1.0, y, 1);
}

}  // namespace nmf
