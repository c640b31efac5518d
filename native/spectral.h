// Symmetric eigenvalues (cyclic Jacobi and Householder tridiagonalization for dense matrices, implicit QL for
// tridiagonal ones) and the two spectral norms of docs/kernels.md:
//  - largestSingularValueFromGram: ‖X‖₂ of an iteration's change from its R×R Gram matrix (Householder
//    tridiagonalization, then Laguerre's method, QL where that cannot vouch for its result);
//  - residualSpectralNorm: ‖E‖₂ of the final residual by Lanczos with full reorthogonalisation (the top eigenpair
//    of T_j by Laguerre's method, QL where that cannot vouch for its result).
// Row-major float64. Parallel to assembly/spectral.ts: the two must agree to ~1e-9, so every constant and every
// step is the same in both.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace nmf {

class Team;

// The power of two c = 2^(1022 − e), e the biased exponent of `maxAbs` = max |X| (0 for a subnormal max), so that
// c·max |X| lies in [0.5, 1): the residual's norms square its entries, which overflow from ~1e154 and underflow
// below ~1e-154, so they are computed on c·X and divided by c at the end. Scaling by a power of two is exact, so
// wherever the unscaled sums stayed in range the result is the same to the bit. 1 for an all-zero (or non-finite)
// X. Parallel to assembly/spectral.ts's scaleFor.
inline double scaleFor(double maxAbs) {
  if (maxAbs == 0.0 || !std::isfinite(maxAbs)) return 1.0;
  std::uint64_t bits;
  std::memcpy(&bits, &maxAbs, sizeof bits);
  const int e = static_cast<int>((bits >> 52) & 0x7ff);
  return std::ldexp(1.0, 1022 - e);
}

// Cyclic Jacobi on the symmetric n×n matrix A (row-major, both triangles stored and kept symmetric). On return
// A's diagonal holds the eigenvalues (unsorted) and the rest of A is garbage. When Z is not null, Z (n×n) is set
// to the matrix whose columns are the unit eigenvectors (column k belongs to A[k][k]). Returns the sweeps done.
int jacobiEigen(double* A, std::size_t n, double* Z);

// Implicit QL with Wilkinson shifts on the symmetric n×n tridiagonal matrix with diagonal d[0 … n−1] and
// off-diagonal e[0 … n−2] (e[k] beside d[k] and d[k+1]). On return d holds the eigenvalues (unsorted) and e is
// garbage. z (n) receives the last row of the orthogonal matrix whose column k is the unit eigenvector of d[k],
// i.e. the last component of every eigenvector; the other rows are never formed, so a call costs O(n²).
// Returns the QL iterations done.
int tridiagonalEigen(double* d, double* e, double* z, std::size_t n);

// The largest eigenvalue θ of the same tridiagonal matrix T (d and e are only read), by Laguerre's method on
// det(T − xI) from above, in O(n) per step where QL costs O(n²); σ: a point ≥ θ, within rounding of it, where every
// pivot of T − σI is negative. Returns false, leaving θ and σ unset, where the pivots cannot vouch for the result
// (a zero pivot at the start, a step that crossed θ by more than rounding, no convergence); the caller then solves
// T by QL.
bool topEigenvalue(const double* d, const double* e, std::size_t n, double* theta, double* sigma);

// θ as topEigenvalue finds it and |s|, the magnitude of the last component of θ's unit eigenvector, by one step of
// inverse iteration at σ (Lanczos needs nothing else of T_j at most steps). work: 2n doubles. Returns false, leaving
// θ and |s| unset, where topEigenvalue does or the solve fails.
bool topEigenpair(const double* d, const double* e, std::size_t n, double* work, double* theta, double* last);

// The number of eigenvalues of the same tridiagonal T greater than x (Sylvester's inertia: the positive pivots of
// T − xI = LDLᵀ), or n + 1 where a pivot is zero or not a number and the count cannot be trusted.
std::size_t eigenvaluesAbove(const double* d, const double* e, std::size_t n, double x);

// Householder reduction of the symmetric n×n matrix A (both triangles stored) to a tridiagonal T = QᵀAQ with the
// same eigenvalues: on return d_k = A[k][k] and e_k = A[k+1][k] (beside d_k and d_{k+1}); the rest of A is
// garbage. Step k (k = 0 … n−3) reflects x = A[k+1 … n−1][k] onto a multiple of e₁ (skipped when x already is
// one), scaled by Σ|x_i| against overflow.
void tridiagonalize(double* A, std::size_t n);

// ‖X‖₂ = sqrt(max(λmax(G), 0)) from the Gram matrix G = XXᵀ or XᵀX (n×n, destroyed): n = 1 directly, n = 2 in
// closed form, else tridiagonalize and topEigenvalue, or tridiagonalEigen where that declines (Jacobi gives the
// same to ~2e-15, 7.6× slower at n = 32). A zero G gives 0.
double largestSingularValueFromGram(double* G, std::size_t n);

// Entry i of the (unnormalised) Lanczos start vector: u32hash(i) / 2^32 + 0.1.
double lanczosStart(std::uint32_t i);

// ‖E‖₂ for the K×N residual E by Lanczos with full reorthogonalisation on EᵀE, or on E·Eᵀ when E is much wider
// than tall; each product reads E once, split over the fit's team (the result is the same for a given team size).
// Unlike the WebAssembly kernel, which is handed a workspace, this allocates its own (it runs once per fit, in
// finish) and grows it only as far as the iterations go (at most n steps). The residual of a float32 fit is
// float32; the Lanczos vectors and every product and sum are float64 either way.
// `maxAbs` is max |E| (residualSums in updates.h gives it).
double residualSpectralNorm(Team& team, const double* E, std::size_t K, std::size_t N, double maxAbs);
double residualSpectralNorm(Team& team, const float* E, std::size_t K, std::size_t N, double maxAbs);

}  // namespace nmf
