// The products and updates of products.h and updates.h spread over a fit's team (team.h). Each member writes a
// disjoint block of the output and reads what it needs, so no sums are split; each member's product goes to the
// kernel products.h chooses for its block's shape (the small kernels or the BLAS), so the results are the same for
// a given team size:
//  - products whose output has N columns (WᵀV, (WᵀW)·H) split by columns, i.e. V by columns;
//  - products whose output has K rows (VHᵀ, W·(HHᵀ)) split by rows, i.e. V by rows;
//  - the entrywise updates and the HALS sweeps split by rows of W and columns of H.
// The R×R Grams and the change norms stay on the calling thread: they cost O((K + N)·R²), against O(K·N·R) for
// the products. The ratio form of MU β runs by blocks of rows of each member's share of V (forEachBlock); its sums
// over rows (WᵀP, WᵀQ and the divergence) are the ones that are split: member partials added in member order, so
// they are the same for a given team size.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "products.h"
#include "team.h"
#include "updates.h"

namespace nmf {

// C (m×n) = Aᵀ · B, with A k×m and B k×n: C's columns split.
template <typename T>
void mulAtB(Team& team, const T* A, const T* B, T* C, std::size_t m, std::size_t k, std::size_t n) {
  team.forEach(n, [&](std::size_t j0, std::size_t j1) { mulAtBColumns(A, B + j0, C + j0, m, k, j1 - j0, n); });
}

// C (m×n) = A · Bᵀ, with A m×k and B n×k: C's rows split.
template <typename T>
void mulABt(Team& team, const T* A, const T* B, T* C, std::size_t m, std::size_t k, std::size_t n) {
  team.forEach(m, [&](std::size_t i0, std::size_t i1) { mulABt(A + i0 * k, B, C + i0 * n, i1 - i0, k, n); });
}

// C (m×n) = A (m×k) · B (k×n): C's rows split when it is tall ((W·HHᵀ), W·H), its columns when wide ((WᵀW)·H).
template <typename T>
void mulSmallInner(Team& team, const T* A, const T* B, T* C, std::size_t m, std::size_t k, std::size_t n) {
  if (m >= n) {
    team.forEach(m, [&](std::size_t i0, std::size_t i1) { mulSmallInner(A + i0 * k, B, C + i0 * n, i1 - i0, k, n); });
  } else {
    team.forEach(n, [&](std::size_t j0, std::size_t j1) { mulSmallInnerColumns(A, B + j0, C + j0, m, k, j1 - j0, n); });
  }
}

// updateMu (updates.h) by rows of X.
template <typename T>
void updateMu(Team& team, T* X, const T* num, const T* den, T* change, std::size_t rows, std::size_t cols, T eps, T l1,
              T l2, double gamma, const std::uint8_t* fixed) {
  team.forEach(rows, [&](std::size_t i0, std::size_t i1) {
    const std::size_t o = i0 * cols;
    updateMu(X + o, num + o, den + o, change + o, i1 - i0, cols, eps, l1, l2, gamma, fixed);
  });
}

// updateMuKlL2 (updates.h) by rows of X.
template <typename T>
void updateMuKlL2(Team& team, T* X, const T* num, const T* den, T* change, std::size_t rows, std::size_t cols, T eps,
                  T l1, T l2, const std::uint8_t* fixed) {
  team.forEach(rows, [&](std::size_t i0, std::size_t i1) {
    const std::size_t o = i0 * cols;
    updateMuKlL2(X + o, num + o, den + o, change + o, i1 - i0, cols, eps, l1, l2, fixed);
  });
}

// updateMuL2 (updates.h) by rows of X.
template <typename T>
void updateMuL2(Team& team, T* X, const T* num, const T* den, T* change, std::size_t rows, std::size_t cols, T eps,
                T l1, T l2, double beta, const std::uint8_t* fixed) {
  team.forEach(rows, [&](std::size_t i0, std::size_t i1) {
    const std::size_t o = i0 * cols;
    updateMuL2(X + o, num + o, den + o, change + o, i1 - i0, cols, eps, l1, l2, beta, fixed);
  });
}

// halsSweepColumns (updates.h) by rows of W: each row of W is swept on its own.
template <typename T>
void halsSweepColumns(Team& team, T* W, const T* G, const T* B, T* change, std::size_t K, std::size_t R, T l1,
                      const std::uint8_t* fixed) {
  team.forEach(K, [&](std::size_t i0, std::size_t i1) {
    const std::size_t o = i0 * R;
    halsSweepColumns(W + o, G, B + o, change + o, i1 - i0, R, l1, fixed);
  });
}

// halsSweepRows (updates.h) by columns of H: each column of H is swept on its own. g (N entries) is the scratch
// row; each member uses its own columns of it.
template <typename T>
void halsSweepRows(Team& team, T* X, const T* G, const T* B, T* change, std::size_t R, std::size_t N, T l1, T* g) {
  team.forEach(N, [&](std::size_t j0, std::size_t j1) {
    halsSweepRowsStrided(X + j0, G, B + j0, change + j0, R, j1 - j0, N, l1, g + j0);
  });
}

// job(member, i0, rows, first) for consecutive blocks of at most `block` rows of each member's share of [0, K), in
// order; `first` marks a member's first block. A member whose share is empty (K below the team size) gets no call.
template <typename Job>
void forEachBlock(Team& team, std::size_t K, std::size_t block, const Job& job) {
  team.run([&](std::size_t member) {
    const Share s = split(K, team.size(), member);
    for (std::size_t i0 = s.begin; i0 < s.end; i0 += block) job(member, i0, std::min(block, s.end - i0), i0 == s.begin);
  });
}

// The sum of job(member, i0, rows) over forEachBlock's blocks: each member adds its blocks' values in order, and the
// members' sums are added in member order, so it is the same for a given team size.
template <typename Job>
double sumOverBlocks(Team& team, std::size_t K, std::size_t block, const Job& job) {
  double partial[kMaxTeamThreads] = {};
  forEachBlock(team, K, block, [&](std::size_t member, std::size_t i0, std::size_t rows, bool) {
    partial[member] += job(member, i0, rows);
  });
  double sum = 0.0;
  for (std::size_t m = 0; m < team.size(); ++m) sum += partial[m];
  return sum;
}

// X (count entries) += the partial sums of members 1 … of forEachBlock over K rows (the members that had rows), in
// member order: member m's partial is at partials + (m − 1)·stride. Split by entries over the team.
template <typename T>
void addPartials(Team& team, T* X, const T* partials, std::size_t count, std::size_t stride, std::size_t K) {
  const std::size_t members = std::min(team.size(), K);
  if (members < 2) return;
  team.forEach(count, [&](std::size_t j0, std::size_t j1) {
    for (std::size_t m = 1; m < members; ++m) {
      const T* p = partials + (m - 1) * stride;
      for (std::size_t j = j0; j < j1; ++j) X[j] = X[j] + p[j];
    }
  });
}

// to[0, count) ← from[0, count) (converted to To), each member copying a share: the copy, and the first touch of a
// fresh arena's pages that it makes, run on every member.
template <typename From, typename To>
void copyOnTeam(Team& team, const From* from, std::size_t count, To* to) {
  team.forEach(count, [&](std::size_t k0, std::size_t k1) { std::copy(from + k0, from + k1, to + k0); });
}

// sumSquares (updates.h) over the team: each member sums a share of the entries, and the partials are added in
// member order.
template <typename T>
double sumSquares(Team& team, const T* X, std::size_t count) {
  if (count < team.size() * kSumLanes) return sumSquares(X, count);
  double partial[kMaxTeamThreads] = {};
  team.run([&](std::size_t member) {
    const Share s = split(count, team.size(), member);
    partial[member] = sumSquares(X + s.begin, s.end - s.begin);
  });
  double sum = 0.0;
  for (std::size_t m = 0; m < team.size(); ++m) sum += partial[m];
  return sum;
}

// residualSums (updates.h) over rows of E: member partials, the sums added and the maxima taken in member order.
template <typename T>
ResidualSums residualSums(Team& team, T* E, const T* mask, std::size_t K, std::size_t N) {
  if (K < team.size()) return residualSums(E, mask, K * N);
  ResidualSums partial[kMaxTeamThreads] = {};
  team.run([&](std::size_t member) {
    const Share s = split(K, team.size(), member);
    const std::size_t o = s.begin * N;
    partial[member] = residualSums(E + o, mask == nullptr ? nullptr : mask + o, (s.end - s.begin) * N);
  });
  ResidualSums sums{0.0, 0.0};
  for (std::size_t m = 0; m < team.size(); ++m) {
    sums.squares += partial[m].squares;
    sums.maxAbs = std::fmax(sums.maxAbs, partial[m].maxAbs);
  }
  return sums;
}

}  // namespace nmf
