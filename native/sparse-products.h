// The products of a CSR matrix V (K×N, nnz stored entries) with the dense factors, spread over a fit's team:
// V·Hᵀ by rows of V, Vᵀ·W by columns of V (through the pattern's transpose, built once), and W·H sampled at the
// stored entries. Each output row is one member's and is summed in the order the pattern stores its entries, so a
// product has the same bits whatever the team size. Costs are nnz·w for a product of width w, never K·N.
// assembly/sparse-products.ts is the same code for WebAssembly, under the same names.
//
// The pattern is the facade's, validated (src/csr.ts): indptr runs from 0 to nnz, never decreasing, and each row's
// column indices are in [0, N) and strictly increasing.
#pragma once

#include <cstddef>
#include <cstdint>

#include "team.h"

namespace nmf {

// The transpose of a K×N pattern (CSC of V): colptr (N + 1), rows (nnz) the row of each entry column by column in
// ascending rows, and order (nnz) each such entry's position in the CSR arrays, so that Vᵀ's values are read from
// V's own. A counting sort: O(nnz + N).
inline void transposePattern(const std::int32_t* indptr, const std::int32_t* indices, std::size_t K, std::size_t N,
                             std::int32_t* colptr, std::int32_t* rows, std::int32_t* order) {
  for (std::size_t j = 0; j <= N; ++j) colptr[j] = 0;
  const auto nnz = static_cast<std::size_t>(indptr[K]);
  for (std::size_t k = 0; k < nnz; ++k) colptr[indices[k] + 1] += 1;
  for (std::size_t j = 0; j < N; ++j) colptr[j + 1] += colptr[j];
  // colptr[j] is advanced past each entry placed in column j, then shifted back.
  for (std::size_t i = 0; i < K; ++i) {
    for (std::int32_t k = indptr[i]; k < indptr[i + 1]; ++k) {
      const std::int32_t at = colptr[indices[k]]++;
      rows[at] = static_cast<std::int32_t>(i);
      order[at] = k;
    }
  }
  for (std::size_t j = N; j > 0; --j) colptr[j] = colptr[j - 1];
  colptr[0] = 0;
}

// out (rows [i0, i1) of K×w) = A·B, A a CSR matrix with the pattern (indptr, indices) and values `values` (null:
// every stored entry is 1, the pattern itself), B N×w: out[i][:] = Σ_k a_k·B[indices[k]][:], k over row i's entries
// in order.
template <typename T>
void csrMulDense(const std::int32_t* indptr, const std::int32_t* indices, const T* values, const T* B, T* out,
                 std::size_t i0, std::size_t i1, std::size_t w) {
  for (std::size_t i = i0; i < i1; ++i) {
    T* o = out + i * w;
    for (std::size_t c = 0; c < w; ++c) o[c] = T(0);
    for (std::int32_t k = indptr[i]; k < indptr[i + 1]; ++k) {
      const T a = values == nullptr ? T(1) : values[k];
      const T* b = B + static_cast<std::size_t>(indices[k]) * w;
      for (std::size_t c = 0; c < w; ++c) o[c] = o[c] + a * b[c];
    }
  }
}

// outT (rows [j0, j1) of N×w) = Aᵀ·X, A as for csrMulDense, X K×w, through the transpose (colptr, rows, order):
// outT[j][:] = Σ a·X[i][:] over column j's entries in ascending rows.
template <typename T>
void cscMulDense(const std::int32_t* colptr, const std::int32_t* rows, const std::int32_t* order, const T* values,
                 const T* X, T* outT, std::size_t j0, std::size_t j1, std::size_t w) {
  for (std::size_t j = j0; j < j1; ++j) {
    T* o = outT + j * w;
    for (std::size_t c = 0; c < w; ++c) o[c] = T(0);
    for (std::int32_t k = colptr[j]; k < colptr[j + 1]; ++k) {
      const T a = values == nullptr ? T(1) : values[order[k]];
      const T* x = X + static_cast<std::size_t>(rows[k]) * w;
      for (std::size_t c = 0; c < w; ++c) o[c] = o[c] + a * x[c];
    }
  }
}

// out[k] = W[i][:]·Ht[j][:] for the stored entries k = (i, j) of rows [i0, i1): W·H at the pattern (W K×R, Ht = Hᵀ
// N×R), summed over r ascending.
template <typename T>
void sampledProduct(const std::int32_t* indptr, const std::int32_t* indices, const T* W, const T* Ht, T* out,
                    std::size_t i0, std::size_t i1, std::size_t R) {
  for (std::size_t i = i0; i < i1; ++i) {
    const T* w = W + i * R;
    for (std::int32_t k = indptr[i]; k < indptr[i + 1]; ++k) {
      const T* h = Ht + static_cast<std::size_t>(indices[k]) * R;
      T sum = T(0);
      for (std::size_t r = 0; r < R; ++r) sum = sum + w[r] * h[r];
      out[k] = sum;
    }
  }
}

// out (cols×rows) = Aᵀ, A rows×cols.
template <typename T>
void transposeDense(const T* A, T* out, std::size_t rows, std::size_t cols) {
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t j = 0; j < cols; ++j) out[j * rows + i] = A[i * cols + j];
  }
}

// ⟨A, B⟩ = Σ a·b over `count` entries, in float64: with the R×R Grams, ‖W·H‖²_F = ⟨WᵀW, HHᵀ⟩.
template <typename T>
double innerProduct(const T* A, const T* B, std::size_t count) {
  double sum = 0.0;
  for (std::size_t k = 0; k < count; ++k) sum += static_cast<double>(A[k]) * static_cast<double>(B[k]);
  return sum;
}

// The same products over a team: rows of V (csrMulDense, sampledProduct) or columns (cscMulDense) split.
template <typename T>
void csrMulDense(Team& team, const std::int32_t* indptr, const std::int32_t* indices, const T* values, const T* B,
                 T* out, std::size_t K, std::size_t w) {
  team.forEach(K, [&](std::size_t i0, std::size_t i1) { csrMulDense(indptr, indices, values, B, out, i0, i1, w); });
}

template <typename T>
void cscMulDense(Team& team, const std::int32_t* colptr, const std::int32_t* rows, const std::int32_t* order,
                 const T* values, const T* X, T* outT, std::size_t N, std::size_t w) {
  team.forEach(N,
               [&](std::size_t j0, std::size_t j1) { cscMulDense(colptr, rows, order, values, X, outT, j0, j1, w); });
}

template <typename T>
void sampledProduct(Team& team, const std::int32_t* indptr, const std::int32_t* indices, const T* W, const T* Ht,
                    T* out, std::size_t K, std::size_t R) {
  team.forEach(K, [&](std::size_t i0, std::size_t i1) { sampledProduct(indptr, indices, W, Ht, out, i0, i1, R); });
}

}  // namespace nmf
