// Symmetric eigenvalues (cyclic Jacobi for dense matrices, implicit QL for tridiagonal ones) and the two spectral
// norms of docs/kernels.md:
//  - largestSingularValueFromGram: ‖X‖₂ of an iteration's change from its R×R Gram matrix (Jacobi);
//  - residualSpectralNorm: ‖E‖₂ of the final residual by Lanczos with full reorthogonalisation (QL on T_j).
// Row-major float64. Parallel to assembly/spectral.ts: the two must agree to ~1e-9, so every constant and every
// step is the same in both.
#pragma once

#include <cstddef>
#include <cstdint>

namespace nmf {

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

// ‖X‖₂ = sqrt(max(λmax(G), 0)) from the Gram matrix G = XXᵀ or XᵀX (n×n, destroyed). A zero G gives 0.
double largestSingularValueFromGram(double* G, std::size_t n);

// Entry i of the (unnormalised) Lanczos start vector: u32hash(i) / 2^32 + 0.1.
double lanczosStart(std::uint32_t i);

// ‖E‖₂ for the K×N residual E by Lanczos with full reorthogonalisation on the Gram of the smaller side.
// Unlike the WebAssembly kernel, which is handed a workspace, this allocates its own (it runs once per fit, in
// finish) and grows it only as far as the iterations go (at most n steps).
double residualSpectralNorm(const double* E, std::size_t K, std::size_t N);

}  // namespace nmf
