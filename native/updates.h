// The per-entry and sweep kernels of docs/algorithms.md: the MU step of every β with penalties and fixed columns
// (§2, §4), the ratios P and Q of the ratio form and the KL denominators (§2), the HALS sweeps (§5), the parts of
// the objective (§1, §7) and the normalisation (§8). Parallel to assembly/updates.ts: same names, same order, and
// every per-entry expression written exactly as the spec writes it (the build has -ffp-contract=off, so a·b + c
// rounds twice, as in test/reference/). Sums may be taken in any order; everything else is fixed.
//
// Every matrix is row-major and dense. T is the fit's element type (double or float); objectives are summed in
// double either way.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "spec.h"

namespace nmf {

// γ(β), the MM exponent of Févotte & Idier (2011), in float64.
inline double mmExponent(double beta) {
  if (beta < 1) return 1 / (2 - beta);
  if (beta > 2) return 1 / (beta - 1);
  return 1;
}

// The β values with formulas of their own (§1, §2); every other β takes the general one.
enum class BetaKind { Euclidean, KL, IS, General };

inline BetaKind betaKind(double beta) {
  if (beta == 2) return BetaKind::Euclidean;
  if (beta == 1) return BetaKind::KL;
  if (beta == 0) return BetaKind::IS;
  return BetaKind::General;
}

// The MU step of X (rows×cols) in place, with change ← X_new − X_old (§2):
//   q = num / (((den + l1) + l2·x) + eps);  q = q^γ when γ ≠ 1;  x = x·q
// Columns c with fixed[c] ≠ 0 (fixed may be null) are left alone, with change 0 (§4). Without penalties, γ and
// fixed columns the step is libfmp's x·(num / (den + eps)), which the general expression equals bit for bit
// (den + 0 = den, 0·x = 0); that case takes a loop of its own only for speed.
namespace detail {

// The loop both MU steps share: x ← step(x, num, den) for every entry whose column is not fixed, change ← x_new − x
// (0 for fixed columns).
template <typename T, typename Step>
void updateEntries(T* X, const T* num, const T* den, T* change, std::size_t rows, std::size_t cols,
                   const std::uint8_t* fixed, Step step) {
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t c = 0; c < cols; ++c) {
      const std::size_t k = i * cols + c;
      if (fixed != nullptr && fixed[c] != 0) {
        change[k] = 0;
        continue;
      }
      const T x = X[k];
      const T xn = step(x, num[k], den[k]);
      X[k] = xn;
      change[k] = xn - x;
    }
  }
}

}  // namespace detail

template <typename T>
void updateMu(T* X, const T* num, const T* den, T* change, std::size_t rows, std::size_t cols, T eps, T l1, T l2,
              double gamma, const std::uint8_t* fixed) {
  if (fixed == nullptr && l1 == 0 && l2 == 0 && gamma == 1) {
    const std::size_t count = rows * cols;
    for (std::size_t k = 0; k < count; ++k) {
      const T x = X[k];
      const T xn = x * (num[k] / (den[k] + eps));
      X[k] = xn;
      change[k] = xn - x;
    }
    return;
  }
  const T g = static_cast<T>(gamma);
  detail::updateEntries(X, num, den, change, rows, cols, fixed, [=](T x, T n, T d) {
    T q = n / (((d + l1) + l2 * x) + eps);
    if (gamma != 1) q = std::pow(q, g);
    return x * q;
  });
}

// KL with an L2 penalty (β = 1, l2 > 0): the exact MM step, the positive root of l2·x'² + b·x' − num·x = 0,
// written without cancellation (§2):
//   b = (den + l1) + eps;  q = (2·num) / (b + sqrt(b·b + 4·l2·x·num));  x = x·q
// with 4·l2·x·num evaluated left to right. Fixed columns and change as in updateMu.
template <typename T>
void updateMuKlL2(T* X, const T* num, const T* den, T* change, std::size_t rows, std::size_t cols, T eps, T l1, T l2,
                  const std::uint8_t* fixed) {
  detail::updateEntries(X, num, den, change, rows, cols, fixed, [=](T x, T n, T d) {
    const T b = (d + l1) + eps;
    const T q = (T(2) * n) / (b + std::sqrt(b * b + T(4) * l2 * x * n));
    return x * q;
  });
}

namespace detail {

// One ratio-form entry (§2): from m (the mask, 1 without one), v = V_ij and λ = Λ_ij, writes P and (for β ≠ 1)
// Q. ṽ = m·v is formed here rather than stored (the same bits as precomputing it).
template <typename T, BetaKind Kind, bool Masked>
void formRatiosOf(const T* V, const T* mask, const T* L, T* P, T* Q, std::size_t count, T eps, T betaMinus2,
                  T betaMinus1) {
  for (std::size_t k = 0; k < count; ++k) {
    const T m = Masked ? mask[k] : T(1);
    const T v = Masked ? m * V[k] : V[k];
    const T lambda = L[k];
    if constexpr (Kind == BetaKind::Euclidean) {
      P[k] = v;
      Q[k] = Masked ? m * lambda : lambda;
    } else {
      // Λ̂ = max(Λ, eps) wherever a negative power of Λ is taken (β < 2); NaN stays NaN, as Math.max keeps it.
      const T l = lambda < eps ? eps : lambda;
      if constexpr (Kind == BetaKind::KL) {
        P[k] = v / l;
      } else if constexpr (Kind == BetaKind::IS) {
        P[k] = v / (l * l);
        Q[k] = Masked ? m * (T(1) / l) : T(1) / l;
      } else {
        // β > 2 takes no floor.
        const T lg = betaMinus2 < 0 ? l : lambda;
        P[k] = v * std::pow(lg, betaMinus2);
        Q[k] = Masked ? m * std::pow(lg, betaMinus1) : std::pow(lg, betaMinus1);
      }
    }
  }
}

template <typename T, BetaKind Kind>
void formRatiosKind(const T* V, const T* mask, const T* L, T* P, T* Q, std::size_t count, T eps, T betaMinus2,
                    T betaMinus1) {
  if (mask != nullptr)
    formRatiosOf<T, Kind, true>(V, mask, L, P, Q, count, eps, betaMinus2, betaMinus1);
  else
    formRatiosOf<T, Kind, false>(V, mask, L, P, Q, count, eps, betaMinus2, betaMinus1);
}

}  // namespace detail

// P and Q of the ratio form (§2), entry by entry, from V, the mask (null: none) and Λ = W·H (L). P may be L
// itself (each entry of Λ is read before P's is written; the fit keeps Λ and P in one K×N buffer, since Λ is not
// needed once P and Q are formed). Q is not written for β = 1: it is the mask itself (the caller multiplies by
// the mask), or all ones without one (the caller takes columnSums / rowSums instead).
//   β = 2 (masked): P = ṽ, Q = m·λ;  β = 1: P = ṽ/l;  β = 0: P = ṽ/(l·l), Q = m·(1/l);
//   other: P = ṽ·l^(β−2), Q = m·l^(β−1);   l = max(λ, eps) for β < 2, λ otherwise.
template <typename T>
void formRatios(const T* V, const T* mask, const T* L, T* P, T* Q, std::size_t count, double beta, T eps) {
  const T bm2 = static_cast<T>(beta - 2);
  const T bm1 = static_cast<T>(beta - 1);
  switch (betaKind(beta)) {
    case BetaKind::Euclidean:
      detail::formRatiosKind<T, BetaKind::Euclidean>(V, mask, L, P, Q, count, eps, bm2, bm1);
      break;
    case BetaKind::KL: detail::formRatiosKind<T, BetaKind::KL>(V, mask, L, P, Q, count, eps, bm2, bm1); break;
    case BetaKind::IS: detail::formRatiosKind<T, BetaKind::IS>(V, mask, L, P, Q, count, eps, bm2, bm1); break;
    case BetaKind::General: detail::formRatiosKind<T, BetaKind::General>(V, mask, L, P, Q, count, eps, bm2, bm1); break;
  }
}

// The KL denominator of the H update without a mask (Q ≡ 1): den_H[k][j] = Σ_i A[i][k] for every j, A K×R,
// den R×N. The sums are gathered in den's first column, then spread along each row.
template <typename T>
void columnSums(const T* A, std::size_t K, std::size_t R, T* den, std::size_t N) {
  for (std::size_t k = 0; k < R; ++k) den[k * N] = 0;
  for (std::size_t i = 0; i < K; ++i) {
    for (std::size_t k = 0; k < R; ++k) den[k * N] = den[k * N] + A[i * R + k];
  }
  for (std::size_t k = 0; k < R; ++k) std::fill(den + k * N + 1, den + (k + 1) * N, den[k * N]);
}

// The KL denominator of the W update without a mask: den_W[i][k] = Σ_j X[k][j] for every i, X R×N, den K×R.
// The sums are formed in den's first row, then copied to the others.
template <typename T>
void rowSums(const T* X, std::size_t R, std::size_t N, T* den, std::size_t K) {
  for (std::size_t k = 0; k < R; ++k) {
    const T* x = X + k * N;
    T s = 0;
    for (std::size_t j = 0; j < N; ++j) s = s + x[j];
    den[k] = s;
  }
  for (std::size_t i = 1; i < K; ++i) std::copy(den, den + R, den + i * R);
}

// The smallest diagonal entry of a HALS Gram G (R×R) that counts as positive (§5): ε · max_k G[k][k], ε the
// element type's machine epsilon. A component whose norm is below √ε (1.5e-8 in float64) of the largest is
// rounding residue (entries whose exact update is 0 come out as a few ulps of the others, 1e-17): dividing by its
// squared norm would let rounding, not the data, decide the next step (and the two backends' rounding differs),
// so it is skipped like an exactly zero one; the other factor's sweep still updates it, so it can grow back.
template <typename T>
T halsDiagonalFloor(const T* G, std::size_t R) {
  T largest = 0;
  for (std::size_t k = 0; k < R; ++k) largest = std::max(largest, G[k * R + k]);
  const T e = std::numeric_limits<T>::epsilon();
  return largest * e;
}

// (R + 2)·ε / a: with it, halsStep's threshold bounds the rounding error of x − g/a (§5).
template <typename T>
T halsRoundingFactor(std::size_t R, T a) {
  return T(R + 2) * std::numeric_limits<T>::epsilon() / a;
}

// One coordinate step (§5): x − g/a projected on [0, ∞), where a result within the rounding error of its own
// computation counts as 0. c = B − l1 and g = −c + Σ_r G·X (every G·X term ≥ 0), so (g + c) + |c| is the sum of
// the terms' magnitudes and times f = (R + 2)·ε/a it bounds the error of x − g/a. Without the rule an entry whose
// exact update is 0 comes out as a few ulps of residue, and a later sweep divides by its square.
template <typename T>
T halsStep(T x, T g, T c, T a, T f) {
  const T next = x - g / a;
  const T bound = ((g + c) + std::abs(c)) * f;
  // A comparison, not a signed max: ≤ bound (and NaN) gives +0.
  return next > bound ? next : T(0);
}

// One HALS sweep over the rows of X (R×N) in V ≈ A·X (§5), in place, with change ← X_new − X_old. G (R×R) is
// AᵀA + l2·I, B (R×N) is AᵀV unpenalised (l1 is subtracted on the fly: the bits of the reference's stored
// B − l1). For k = 0 … R−1 with G[k][k] > halsDiagonalFloor(G), for every j:
//   g = −(B[k][j] − l1);  g = g + G[k][r]·X[r][j] for r ascending;  X[k][j] = halsStep(X[k][j], g, …)
// with rows < k already updated. `g` is a scratch row of N: the sums of all j of row k run side by side (r
// outermost), which keeps each entry's order of operations and lets the loop over j vectorise. The strided form
// sweeps N columns of a matrix whose rows are ld apart (a block of columns of H, for a fit's team); columns are
// independent, so a block gives the bits the whole sweep gives.
template <typename T>
void halsSweepRowsStrided(T* X, const T* G, const T* B, T* change, std::size_t R, std::size_t N, std::size_t ld, T l1,
                          T* g) {
  const T floor = halsDiagonalFloor(G, R);
  for (std::size_t k = 0; k < R; ++k) {
    T* x = X + k * ld;
    T* d = change + k * ld;
    const T a = G[k * R + k];
    if (!(a > floor)) {
      std::fill(d, d + N, T(0));
      continue;
    }
    const T* b = B + k * ld;
    for (std::size_t j = 0; j < N; ++j) g[j] = -(b[j] - l1);
    for (std::size_t r = 0; r < R; ++r) {
      const T grk = G[k * R + r];
      const T* xr = X + r * ld;
      for (std::size_t j = 0; j < N; ++j) g[j] = g[j] + grk * xr[j];
    }
    const T f = halsRoundingFactor(R, a);
    for (std::size_t j = 0; j < N; ++j) {
      const T old = x[j];
      x[j] = halsStep(old, g[j], b[j] - l1, a, f);
      d[j] = x[j] - old;
    }
  }
}

template <typename T>
void halsSweepRows(T* X, const T* G, const T* B, T* change, std::size_t R, std::size_t N, T l1, T* g) {
  halsSweepRowsStrided(X, G, B, change, R, N, N, l1, g);
}

// The HALS sweep over the columns of W (K×R) in Vᵀ ≈ Hᵀ·Wᵀ (§5), in place, with change ← W_new − W_old. G (R×R)
// is HHᵀ + l2·I, B (K×R) is VHᵀ unpenalised. For k = 0 … R−1 not fixed (fixed may be null) with G[k][k] > 0, for
// every row i:
//   g = −(B[i][k] − l1);  g = g + W[i][r]·G[r][k] for r ascending;  W[i][k] = max(0, W[i][k] − g/G[k][k])
// G is exactly symmetric (mirrored), so G[r][k] is read as G[k][r], along a row.
template <typename T>
void halsSweepColumns(T* W, const T* G, const T* B, T* change, std::size_t K, std::size_t R, T l1,
                      const std::uint8_t* fixed) {
  const T floor = halsDiagonalFloor(G, R);
  for (std::size_t k = 0; k < R; ++k) {
    const T a = G[k * R + k];
    if ((fixed != nullptr && fixed[k] != 0) || !(a > floor)) {
      for (std::size_t i = 0; i < K; ++i) change[i * R + k] = 0;
      continue;
    }
    const T* gk = G + k * R;
    const T f = halsRoundingFactor(R, a);
    for (std::size_t i = 0; i < K; ++i) {
      T* w = W + i * R;
      const T c = B[i * R + k] - l1;
      T g = -c;
      for (std::size_t r = 0; r < R; ++r) g = g + w[r] * gk[r];
      const T old = w[k];
      w[k] = halsStep(old, g, c, a, f);
      change[i * R + k] = w[k] - old;
    }
  }
}

// d_β(v | λ) for one entry, λ already floored (§1), in float64.
inline double entryDivergence(double v, double lambda, BetaKind kind, double beta) {
  switch (kind) {
    case BetaKind::Euclidean: return 0.5 * (v - lambda) * (v - lambda);
    // v·(log v − log λ), not v·log(v/λ): v/λ underflows to 0 for a tiny v (v = 1e-323 gave log 0 = −∞).
    case BetaKind::KL: return (v > 0 ? v * (std::log(v) - std::log(lambda)) : 0.0) - v + lambda;
    case BetaKind::IS: return v / lambda - std::log(v / lambda) - 1;
    case BetaKind::General: break;
  }
  return (std::pow(v, beta) + (beta - 1) * std::pow(lambda, beta) - beta * v * std::pow(lambda, beta - 1)) /
         (beta * (beta - 1));
}

// D_β(V | Λ; M) = Σ m·d_β(v | λ̂) over `count` entries (§1), λ̂ = max(λ, eps) for β < 2 (KL at v = 0: λ); entries with m
// = 0 are skipped (mask null: m = 1). Summed in float64.
template <typename T>
double divergenceSum(const T* V, const T* mask, const T* lambda, std::size_t count, double beta, double eps) {
  const BetaKind kind = betaKind(beta);
  const bool floor = beta < 2;
  double sum = 0.0;
  for (std::size_t k = 0; k < count; ++k) {
    double m = 1.0;
    if (mask != nullptr) {
      m = static_cast<double>(mask[k]);
      if (m == 0) continue;
    }
    const double v = static_cast<double>(V[k]);
    const double l = static_cast<double>(lambda[k]);
    // KL at v = 0 is λ itself: nothing divides by λ there, so it is not floored (a W·H of exactly 0 costs 0).
    const double d = kind == BetaKind::KL && v == 0 ? l : entryDivergence(v, floor && l < eps ? eps : l, kind, beta);
    sum += mask != nullptr ? m * d : d;
  }
  return sum;
}

// The Euclidean data term without a mask from products at hand (§7):
//   D = max(0, ½·(‖V‖² − 2·⟨C, X⟩ + ⟨WᵀW, HHᵀ⟩))
// with (C, X) = (VHᵀ, W) or (WᵀV, H) (`count` entries) and the two R×R Grams. Summed in float64. A NaN stays
// NaN.
template <typename T>
double euclideanFromProducts(double normV2, const T* C, const T* X, std::size_t count, const T* WtW, const T* HHt,
                             std::size_t R) {
  const std::size_t rr = R * R;
  double cross = 0.0;
  for (std::size_t k = 0; k < count; ++k) cross += static_cast<double>(C[k]) * static_cast<double>(X[k]);
  double quad = 0.0;
  for (std::size_t k = 0; k < rr; ++k) quad += static_cast<double>(WtW[k]) * static_cast<double>(HHt[k]);
  const double d = 0.5 * (normV2 - 2 * cross + quad);
  return d < 0 ? 0.0 : d;
}

// l1·ΣX + ½·l2·ΣX² over `count` entries (X ≥ 0, so ΣX is ‖X‖₁), each sum taken only when its weight is > 0.
// Summed in float64.
template <typename T>
double penaltySum(const T* X, std::size_t count, double l1, double l2) {
  double s1 = 0.0;
  double s2 = 0.0;
  if (l1 > 0) {
    for (std::size_t k = 0; k < count; ++k) s1 += static_cast<double>(X[k]);
  }
  if (l2 > 0) {
    for (std::size_t k = 0; k < count; ++k) {
      const double x = static_cast<double>(X[k]);
      s2 += x * x;
    }
  }
  return l1 * s1 + 0.5 * l2 * s2;
}

// Σ x² over `count` entries, in float64 (‖V‖²_F for the Euclidean checkpoints).
template <typename T>
double sumSquares(const T* X, std::size_t count) {
  double s = 0.0;
  for (std::size_t k = 0; k < count; ++k) {
    const double x = static_cast<double>(X[k]);
    s += x * x;
  }
  return s;
}

// What finish measures of the residual in one pass (residualSums).
struct ResidualSums {
  double squares;  // Σ e², in float64
  double maxAbs;   // max |e|
};

// E ← M ⊙ E when a mask is given (M not null): with a mask, the error norms measure the residual where V was
// observed (weighted by M), as the objective does; the entries the mask leaves out (0) are the imputed ones and
// carry no error. Then Σ e² and max |e| of the result, in float64: the Frobenius error, the Euclidean D = ½Σe² of
// the final factors (§7), and the scale of the Lanczos run (spectral.h, scaleFor).
template <typename T>
ResidualSums residualSums(T* E, const T* M, std::size_t count) {
  double squares = 0.0, maxAbs = 0.0;
  for (std::size_t k = 0; k < count; ++k) {
    if (M != nullptr) E[k] = E[k] * M[k];
    const double e = static_cast<double>(E[k]);
    squares += e * e;
    maxAbs = std::fmax(maxAbs, std::fabs(e));
  }
  return ResidualSums{squares, maxAbs};
}

// Normalisation (§8): for each column r of W (K×R) not fixed (fixed may be null), s = its largest entry (Max), its
// sum (L1) or √(Σ w²) (L2), i ascending; if s > 0, W[:, r] /= s and H[r, :] *= s. The caller passes only fits
// whose W and H are both learned. Max is libfmp's loop (starting from the first entry); L1 and L2 sum in
// float64.
template <typename T>
void normalizeColumns(T* W, T* H, std::size_t K, std::size_t N, std::size_t R, Normalize kind,
                      const std::uint8_t* fixed) {
  if (kind == Normalize::None) return;
  for (std::size_t r = 0; r < R; ++r) {
    if (fixed != nullptr && fixed[r] != 0) continue;
    T s;
    if (kind == Normalize::Max) {
      s = W[r];
      for (std::size_t i = 1; i < K; ++i) s = std::max(s, W[i * R + r]);
    } else {
      double sum = 0.0;
      for (std::size_t i = 0; i < K; ++i) {
        const double w = static_cast<double>(W[i * R + r]);
        sum += kind == Normalize::L1 ? w : w * w;
      }
      s = static_cast<T>(kind == Normalize::L2 ? std::sqrt(sum) : sum);
    }
    if (!(s > 0)) continue;
    for (std::size_t i = 0; i < K; ++i) W[i * R + r] = W[i * R + r] / s;
    for (std::size_t j = 0; j < N; ++j) H[r * N + j] = H[r * N + j] * s;
  }
}

}  // namespace nmf
