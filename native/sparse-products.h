// The products of a CSR matrix V (K×N, nnz stored entries) with the dense factors, spread over a fit's team:
// V·Hᵀ and W·H sampled at the stored entries by rows of V (each output row one member's, summed in the order the
// pattern stores its entries: the same bits whatever the team size), and Vᵀ·W by rows of V into member partials
// (added in member order: the same bits for a given team size). Costs are nnz·w for a product of width w, never K·N.
// assembly/sparse-products.ts is the same code for WebAssembly, under the same names.
//
// The pattern is the facade's, validated (src/csr.ts): indptr runs from 0 to nnz, never decreasing, and each row's
// column indices are in [0, N) and strictly increasing.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "team-kernels.h"
#include "team.h"
#include "vector-kernel.h"

namespace nmf {

// out (rows [i0, i1) of K×w) = A·B, A a CSR matrix with the pattern (indptr, indices) and values `values` (null:
// every stored entry is 1, the pattern itself), B N×w: out[i][:] = Σ_k a_k·B[indices[k]][:], k over row i's entries
// in order.
template <typename T>
NMFKIT_VECTOR_KERNEL void csrMulDense(const std::int32_t* indptr, const std::int32_t* indices, const T* values,
                                      const T* B, T* out, std::size_t i0, std::size_t i1, std::size_t w) {
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

// outT (N×w) = Aᵀ·X for the rows [i0, i1) of A (as for csrMulDense), X K×w: outT zeroed, then each row's entries
// add a·X[i][:] into the rows of their columns, rows ascending. V's values and X are read in order and only outT
// (N×w, small beside V) is written out of order, where reading Aᵀ by columns would gather across V's values.
template <typename T>
NMFKIT_VECTOR_KERNEL void csrTransposeMulDense(const std::int32_t* indptr, const std::int32_t* indices, const T* values,
                                               const T* X, T* outT, std::size_t i0, std::size_t i1, std::size_t N,
                                               std::size_t w) {
  std::fill(outT, outT + N * w, T(0));
  for (std::size_t i = i0; i < i1; ++i) {
    const T* x = X + i * w;
    for (std::int32_t k = indptr[i]; k < indptr[i + 1]; ++k) {
      const T a = values == nullptr ? T(1) : values[k];
      T* o = outT + static_cast<std::size_t>(indices[k]) * w;
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

// The same products over a team, by rows of V.
template <typename T>
void csrMulDense(Team& team, const std::int32_t* indptr, const std::int32_t* indices, const T* values, const T* B,
                 T* out, std::size_t K, std::size_t w) {
  team.forEach(K, [&](std::size_t i0, std::size_t i1) { csrMulDense(indptr, indices, values, B, out, i0, i1, w); });
}

// Over a team, each member takes a share of A's rows (split) into its own N×w sums: member 0's are outT, the
// others' at partials + (m − 1)·N·w; they are then added in member order, so the result is the same for a given
// team size (with one member, the plain product's bits).
template <typename T>
void csrTransposeMulDense(Team& team, const std::int32_t* indptr, const std::int32_t* indices, const T* values,
                          const T* X, T* outT, T* partials, std::size_t K, std::size_t N, std::size_t w) {
  if (team.size() == 1 || K < team.size()) return csrTransposeMulDense(indptr, indices, values, X, outT, 0, K, N, w);
  team.run([&](std::size_t member) {
    const Share s = split(K, team.size(), member);
    T* own = member == 0 ? outT : partials + (member - 1) * N * w;
    csrTransposeMulDense(indptr, indices, values, X, own, s.begin, s.end, N, w);
  });
  addPartials(team, outT, partials, N * w, N * w, K);
}

template <typename T>
void sampledProduct(Team& team, const std::int32_t* indptr, const std::int32_t* indices, const T* W, const T* Ht,
                    T* out, std::size_t K, std::size_t R) {
  team.forEach(K, [&](std::size_t i0, std::size_t i1) { sampledProduct(indptr, indices, W, Ht, out, i0, i1, R); });
}

}  // namespace nmf
