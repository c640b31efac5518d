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
#include <type_traits>

#include "exp-log.h"
#include "spec.h"
#include "vector-kernel.h"

// The loop after it has no dependence between iterations, which the compiler cannot prove where an output is also
// an input (formRatios writes P in place of Λ): it may vectorise the loop without its run-time overlap check.
#if defined(__clang__)
#define NMF_INDEPENDENT_ITERATIONS _Pragma("clang loop vectorize(assume_safety)")
#elif defined(__GNUC__)
#define NMF_INDEPENDENT_ITERATIONS _Pragma("GCC ivdep")
#else
#define NMF_INDEPENDENT_ITERATIONS
#endif

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

// How x^a is taken for an exponent a of the ratio form or the objective (§2, "Powers"): √x for a = ½, √(1/x) for
// a = −½ (correctly rounded division and square root), polyPow (exp-log.h) otherwise.
enum class Power { Sqrt, RecipSqrt, Poly };

inline Power powerKind(double a) {
  if (a == 0.5) return Power::Sqrt;
  if (a == -0.5) return Power::RecipSqrt;
  return Power::Poly;
}

template <Power P, typename T>
T power(T x, T a) {
  if constexpr (P == Power::Sqrt) return std::sqrt(x);
  if constexpr (P == Power::RecipSqrt) return std::sqrt(T(1) / x);
  return polyPow(x, a);
}

// f(std::integral_constant<Power, p>{}): a loop instantiated for the power kind known at run time.
template <typename F>
auto withPower(Power p, F f) {
  switch (p) {
    case Power::Sqrt: return f(std::integral_constant<Power, Power::Sqrt>{});
    case Power::RecipSqrt: return f(std::integral_constant<Power, Power::RecipSqrt>{});
    case Power::Poly: break;
  }
  return f(std::integral_constant<Power, Power::Poly>{});
}

// The MU step of X (rows×cols) in place, with change ← X_new − X_old (§2):
//   q = num / (((den + l1) + l2·x) + eps);  q = q^γ when γ ≠ 1 (polyPow);  x = x·q
// Columns c with fixed[c] ≠ 0 (fixed may be null) are left alone, with change 0 (§4). Without penalties, γ and
// fixed columns the step is libfmp's x·(num / (den + eps)), which the general expression equals bit for bit
// (den + 0 = den, 0·x = 0); that case takes a loop of its own only for speed.
namespace detail {

// The loop both MU steps share: x ← step(x, num, den) for every entry whose column is not fixed, change ← x_new − x
// (0 for fixed columns). Without fixed columns it is one loop over the entries, which vectorises.
template <typename T, typename Step>
NMFKIT_VECTOR_KERNEL void updateEntries(T* X, const T* num, const T* den, T* change, std::size_t rows, std::size_t cols,
                                        const std::uint8_t* fixed, Step step) {
  if (fixed == nullptr) {
    const std::size_t count = rows * cols;
    for (std::size_t k = 0; k < count; ++k) {
      const T x = X[k];
      const T xn = step(x, num[k], den[k]);
      X[k] = xn;
      change[k] = xn - x;
    }
    return;
  }
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t c = 0; c < cols; ++c) {
      const std::size_t k = i * cols + c;
      if (fixed[c] != 0) {
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
NMFKIT_VECTOR_KERNEL void updateMu(T* X, const T* num, const T* den, T* change, std::size_t rows, std::size_t cols,
                                   T eps, T l1, T l2, double gamma, const std::uint8_t* fixed) {
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
  if (gamma == 1) {
    detail::updateEntries(X, num, den, change, rows, cols, fixed,
                          [=](T x, T n, T d) { return x * (n / (((d + l1) + l2 * x) + eps)); });
    return;
  }
  const T g = static_cast<T>(gamma);
  detail::updateEntries(X, num, den, change, rows, cols, fixed,
                        [=](T x, T n, T d) { return x * polyPow(n / (((d + l1) + l2 * x) + eps), g); });
}

// KL with an L2 penalty (β = 1, l2 > 0): the exact MM step, the positive root of l2·x'² + b·x' − num·x = 0,
// written without cancellation (§2):
//   b = (den + l1) + eps;  q = (2·num) / (b + sqrt(b·b + 4·l2·x·num));  x = x·q
// with 4·l2·x·num evaluated left to right. Fixed columns and change as in updateMu.
template <typename T>
NMFKIT_VECTOR_KERNEL void updateMuKlL2(T* X, const T* num, const T* den, T* change, std::size_t rows, std::size_t cols,
                                       T eps, T l1, T l2, const std::uint8_t* fixed) {
  detail::updateEntries(X, num, den, change, rows, cols, fixed, [=](T x, T n, T d) {
    const T b = (d + l1) + eps;
    const T q = (T(2) * n) / (b + std::sqrt(b * b + T(4) * l2 * x * n));
    return x * q;
  });
}

// The MM step with an L2 penalty for β < 2 other than 1 (β ≤ 2 with l2 > 0; §2, "L2 for β < 2"): x' = x·t with t
// the positive root of
//   b·t^a + s·t^c = num,   b = (den + l1) + eps,  s = l2·x,  a = 1/γ(β),  c = 3 − β,
// which is convex and increasing in t, so Newton's method from above decreases to it: from the smaller of the two
// one-term roots (num/b)^γ and (num/s)^(1/c), both above the root and at most 2^(1/min(a, c)) times it, until a step
// no longer decreases t (or kMmNewtonSteps steps). At β = 1 the equation is KL's quadratic, at β = 2 the linear step
// num / (b + s): the step is continuous in β. t^a is b·t for a = 1; the other powers are polyPow.
constexpr int kMmNewtonSteps = 40;

template <typename T>
T mmL2Step(T x, T num, T den, T eps, T l1, T l2, T gamma, T a, T c) {
  const T b = (den + l1) + eps;
  const T s = l2 * x;
  T t = a == T(1) ? num / b : polyPow(num / b, gamma);
  if (!(s > T(0)) || !(num > T(0))) return x * t;
  const T u = polyPow(num / s, T(1) / c);
  if (u < t) t = u;
  for (int step = 0; step < kMmNewtonSteps; ++step) {
    const T p = a == T(1) ? b * t : b * polyPow(t, a);
    const T r = s * polyPow(t, c);
    const T f = (p + r) - num;
    const T next = t - (t * f) / ((a * p) + (c * r));
    if (!(next < t)) break;
    t = next;
  }
  return x * t;
}

// updateMu for β < 2, β ≠ 1, with l2 > 0: mmL2Step for every entry (β as a = 1/γ(β) and c = 3 − β, in T).
// Fixed columns and change as in updateMu.
template <typename T>
NMFKIT_VECTOR_KERNEL void updateMuL2(T* X, const T* num, const T* den, T* change, std::size_t rows, std::size_t cols,
                                     T eps, T l1, T l2, double beta, const std::uint8_t* fixed) {
  const T gamma = static_cast<T>(mmExponent(beta));
  const T a = static_cast<T>(1 / mmExponent(beta));
  const T c = static_cast<T>(3 - beta);
  detail::updateEntries(X, num, den, change, rows, cols, fixed,
                        [=](T x, T n, T d) { return mmL2Step(x, n, d, eps, l1, l2, gamma, a, c); });
}

namespace detail {

// Entries per chunk of the loops that stage values in a buffer on the stack.
constexpr std::size_t kChunk = 256;

// out = x^a for n ≤ kChunk entries, as power() takes it; the polynomial power in two loops, the logarithms and
// then the exponentials: each vectorises into a short chain, where one loop of both ran 1.6× slower (its entries
// overlapped less in the out-of-order core). The same bits as power().
template <Power P, typename T>
NMFKIT_VECTOR_KERNEL void powers(const T* x, T* out, std::size_t n, T a) {
  if constexpr (P == Power::Poly) {
    for (std::size_t j = 0; j < n; ++j) out[j] = a * polyLog(x[j]);
    for (std::size_t j = 0; j < n; ++j) out[j] = polyExp(out[j]);
  } else {
    for (std::size_t j = 0; j < n; ++j) out[j] = power<P>(x[j], a);
  }
}

// The ratio form's entries (§2) over `count` entries: from m (the mask, 1 without one), v = V_ij and λ = Λ_ij,
// writes P and (for β ≠ 1) Q. ṽ = m·v is formed here rather than stored (the same bits as precomputing it). One
// loop per kind, without branches, so that it vectorises.
template <typename T, BetaKind Kind, bool Masked>
NMFKIT_VECTOR_KERNEL void formRatiosOf(const T* V, const T* mask, const T* L, T* P, T* Q, std::size_t count, T eps) {
  NMF_INDEPENDENT_ITERATIONS
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
      } else {
        const T r = T(1) / l;
        P[k] = v * (r * r);
        Q[k] = Masked ? m * r : r;
      }
    }
  }
}

// The general β, chunk by chunk: Q's power is taken once. Below 2, l = max(λ, eps) > 0, r = 1/l, Q = m·l^(β−1)
// (√(1/x) as r's square root), P = ṽ·(l^(β−1)·r); above 2 (no floor, λ may be 0) both powers from one log,
// P = ṽ·exp((β−2)·log λ), Q = m·exp((β−1)·log λ).
template <typename T, Power QPower, bool Above2, bool Masked>
NMFKIT_VECTOR_KERNEL void formRatiosGeneral(const T* V, const T* mask, const T* L, T* P, T* Q, std::size_t count, T eps,
                                            T betaMinus2, T betaMinus1) {
  T l[kChunk], q[kChunk], p[kChunk];
  for (std::size_t k0 = 0; k0 < count; k0 += kChunk) {
    const std::size_t n = std::min(kChunk, count - k0);
    if constexpr (Above2) {
      for (std::size_t j = 0; j < n; ++j) l[j] = polyLog(L[k0 + j]);
      for (std::size_t j = 0; j < n; ++j) q[j] = polyExp(betaMinus1 * l[j]);
      for (std::size_t j = 0; j < n; ++j) p[j] = polyExp(betaMinus2 * l[j]);
    } else {
      for (std::size_t j = 0; j < n; ++j) {
        l[j] = L[k0 + j] < eps ? eps : L[k0 + j];
        p[j] = T(1) / l[j];
      }
      if constexpr (QPower == Power::RecipSqrt) {
        for (std::size_t j = 0; j < n; ++j) q[j] = std::sqrt(p[j]);
      } else {
        powers<QPower>(l, q, n, betaMinus1);
      }
      for (std::size_t j = 0; j < n; ++j) p[j] = q[j] * p[j];
    }
    for (std::size_t j = 0; j < n; ++j) {
      const std::size_t k = k0 + j;
      const T m = Masked ? mask[k] : T(1);
      const T v = Masked ? m * V[k] : V[k];
      P[k] = v * p[j];
      Q[k] = Masked ? m * q[j] : q[j];
    }
  }
}

template <typename T, BetaKind Kind>
void formRatiosKind(const T* V, const T* mask, const T* L, T* P, T* Q, std::size_t count, T eps) {
  if (mask != nullptr)
    formRatiosOf<T, Kind, true>(V, mask, L, P, Q, count, eps);
  else
    formRatiosOf<T, Kind, false>(V, mask, L, P, Q, count, eps);
}

template <typename T, Power QPower, bool Above2>
void formRatiosGeneralKind(const T* V, const T* mask, const T* L, T* P, T* Q, std::size_t count, T eps, T betaMinus2,
                           T betaMinus1) {
  if (mask != nullptr)
    formRatiosGeneral<T, QPower, Above2, true>(V, mask, L, P, Q, count, eps, betaMinus2, betaMinus1);
  else
    formRatiosGeneral<T, QPower, Above2, false>(V, mask, L, P, Q, count, eps, betaMinus2, betaMinus1);
}

}  // namespace detail

// P and Q of the ratio form (§2), entry by entry, from V, the mask (null: none) and Λ = W·H (L). P may be L
// itself (each entry of Λ is read before P's is written: the fit forms Λ of a block of rows and replaces it by
// P). Q is not written for β = 1: it is the mask itself (the caller multiplies by the mask), or all ones without
// one (the caller takes columnSums / rowSums instead).
//   β = 2 (masked): P = ṽ, Q = m·λ;  β = 1: P = ṽ/l;  β = 0: P = ṽ·(r·r), Q = m·r;
//   other β < 2: Q = m·l^(β−1), P = ṽ·(l^(β−1)·r);  β > 2: P = ṽ·λ^(β−2), Q = m·λ^(β−1);
//   l = max(λ, eps) for β < 2, r = 1/l; the powers as power() and formRatiosGeneral say.
template <typename T>
void formRatios(const T* V, const T* mask, const T* L, T* P, T* Q, std::size_t count, double beta, T eps) {
  const T bm2 = static_cast<T>(beta - 2);
  const T bm1 = static_cast<T>(beta - 1);
  switch (betaKind(beta)) {
    case BetaKind::Euclidean: detail::formRatiosKind<T, BetaKind::Euclidean>(V, mask, L, P, Q, count, eps); break;
    case BetaKind::KL: detail::formRatiosKind<T, BetaKind::KL>(V, mask, L, P, Q, count, eps); break;
    case BetaKind::IS: detail::formRatiosKind<T, BetaKind::IS>(V, mask, L, P, Q, count, eps); break;
    case BetaKind::General:
      if (beta > 2) {
        detail::formRatiosGeneralKind<T, Power::Poly, true>(V, mask, L, P, Q, count, eps, bm2, bm1);
        break;
      }
      withPower(powerKind(beta - 1), [&](auto q) {
        detail::formRatiosGeneralKind<T, q.value, false>(V, mask, L, P, Q, count, eps, bm2, bm1);
      });
      break;
  }
}

// The KL denominator of the H update without a mask (Q ≡ 1): den_H[k][j] = Σ_i A[i][k] for every j, A K×R,
// den R×N. The sums are gathered in den's first column, then spread along each row.
template <typename T>
NMFKIT_VECTOR_KERNEL void columnSums(const T* A, std::size_t K, std::size_t R, T* den, std::size_t N) {
  for (std::size_t k = 0; k < R; ++k) den[k * N] = 0;
  for (std::size_t i = 0; i < K; ++i) {
    for (std::size_t k = 0; k < R; ++k) den[k * N] = den[k * N] + A[i * R + k];
  }
  for (std::size_t k = 0; k < R; ++k) std::fill(den + k * N + 1, den + (k + 1) * N, den[k * N]);
}

// The KL denominator of the W update without a mask: den_W[i][k] = Σ_j X[k][j] for every i, X R×N, den K×R.
// The sums are formed in den's first row, then copied to the others.
template <typename T>
NMFKIT_VECTOR_KERNEL void rowSums(const T* X, std::size_t R, std::size_t N, T* den, std::size_t K) {
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
NMFKIT_VECTOR_KERNEL void halsSweepRowsStrided(T* X, const T* G, const T* B, T* change, std::size_t R, std::size_t N,
                                               std::size_t ld, T l1, T* g) {
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
NMFKIT_VECTOR_KERNEL void halsSweepColumns(T* W, const T* G, const T* B, T* change, std::size_t K, std::size_t R, T l1,
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

namespace detail {

// m·d_β(v | λ̂) of one entry (§1), in float64, 0 where m = 0 (a select: the entry is skipped, whatever d is
// there). l is λ̂ = max(λ, eps) for β < 2 (else λ), except KL at v = 0, which is λ itself: nothing divides by λ
// there, so it is not floored (a W·H of exactly 0 costs 0). a and b are the entry's logarithms or powers, taken
// beforehand: KL log(v/l) (klLogRatio); IS log(v/l); the general β v^β and l^(β−1) (power()), with
// λ^β = l·l^(β−1).
template <BetaKind Kind>
double divergenceTerm(double m, double v, double lambda, double l, double a, double b, double beta) {
  double d;
  if constexpr (Kind == BetaKind::Euclidean) {
    d = 0.5 * (v - l) * (v - l);
  } else if constexpr (Kind == BetaKind::KL) {
    const double kl = v * a - v + l;
    d = v > 0 ? kl : lambda;
  } else if constexpr (Kind == BetaKind::IS) {
    d = v / l - a - 1;
  } else {
    d = (a + (beta - 1) * (l * b) - beta * v * b) / (beta * (beta - 1));
  }
  return m == 0 ? 0.0 : m * d;
}

// log(v/l) for KL's term, n ≤ kChunk entries into a (q is scratch): one logarithm, except where v > 0 and v/l falls
// below the normal range (a subnormal v, or one that underflows: v = 1e-323 gave log 0 = −∞), where it is
// log v − log l. Such entries are rare, so they are found first and taken one by one.
inline void klLogRatios(const double* v, const double* l, double* a, double* q, std::size_t n) {
  int below = 0;
  for (std::size_t j = 0; j < n; ++j) {
    q[j] = v[j] / l[j];
    below |= v[j] > 0 && q[j] < 0x1p-1022;
  }
  for (std::size_t j = 0; j < n; ++j) a[j] = polyLog(q[j]);
  if (below == 0) return;
  for (std::size_t j = 0; j < n; ++j) {
    if (v[j] > 0 && q[j] < 0x1p-1022) a[j] = polyLog(v[j]) - polyLog(l[j]);
  }
}

// Σ divergenceTerm over `count` entries in two lanes, the even and the odd indices, then the lanes' sum and the
// last entry of an odd count (assembly/updates.ts sums in the same order). Chunk by chunk, through buffers on the
// stack, each logarithm or power in a loop of its own (as powers() does), so that every loop vectorises into a
// short chain.
template <typename T, BetaKind Kind, Power VPower = Power::Poly, Power LPower = Power::Poly>
double divergenceSumOf(const T* V, const T* mask, const T* lambda, std::size_t count, double beta, double eps) {
  double m[kChunk], v[kChunk], raw[kChunk], l[kChunk], a[kChunk], b[kChunk];
  double even = 0.0, odd = 0.0, sum = 0.0;
  for (std::size_t k0 = 0; k0 < count; k0 += kChunk) {
    const std::size_t n = std::min(kChunk, count - k0);
    for (std::size_t j = 0; j < n; ++j) {
      m[j] = mask != nullptr ? static_cast<double>(mask[k0 + j]) : 1.0;
      v[j] = static_cast<double>(V[k0 + j]);
      raw[j] = static_cast<double>(lambda[k0 + j]);
      l[j] = beta < 2 && raw[j] < eps ? eps : raw[j];
    }
    if constexpr (Kind == BetaKind::KL) {
      klLogRatios(v, l, a, b, n);
    } else if constexpr (Kind == BetaKind::IS) {
      for (std::size_t j = 0; j < n; ++j) a[j] = polyLog(v[j] / l[j]);
    } else if constexpr (Kind == BetaKind::General) {
      powers<VPower>(v, a, n, beta);
      powers<LPower>(l, b, n, beta - 1);
    }
    constexpr bool kA = Kind != BetaKind::Euclidean, kB = Kind == BetaKind::General;
    for (std::size_t j = 0; j < n; ++j) {
      a[j] = divergenceTerm<Kind>(m[j], v[j], raw[j], l[j], kA ? a[j] : 0.0, kB ? b[j] : 0.0, beta);
    }
    const std::size_t pairs = n / 2 * 2;
    for (std::size_t j = 0; j < pairs; j += 2) {
      even += a[j];
      odd += a[j + 1];
    }
    // Only the last chunk can be odd.
    if (pairs < n) sum = a[pairs];
  }
  return (even + odd) + sum;
}

}  // namespace detail

// D_β(V | Λ; M) = Σ m·d_β(v | λ̂) over `count` entries (§1), λ̂ = max(λ, eps) for β < 2 (KL at v = 0: λ); entries
// with m = 0 are skipped (mask null: m = 1). In float64, summed as divergenceSumOf says.
template <typename T>
double divergenceSum(const T* V, const T* mask, const T* lambda, std::size_t count, double beta, double eps) {
  switch (betaKind(beta)) {
    case BetaKind::Euclidean: return detail::divergenceSumOf<T, BetaKind::Euclidean>(V, mask, lambda, count, beta, eps);
    case BetaKind::KL: return detail::divergenceSumOf<T, BetaKind::KL>(V, mask, lambda, count, beta, eps);
    case BetaKind::IS: return detail::divergenceSumOf<T, BetaKind::IS>(V, mask, lambda, count, beta, eps);
    case BetaKind::General: break;
  }
  return withPower(powerKind(beta), [&](auto v) {
    return withPower(powerKind(beta - 1), [&](auto l) {
      return detail::divergenceSumOf<T, BetaKind::General, v.value, l.value>(V, mask, lambda, count, beta, eps);
    });
  });
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

// Lanes of the whole-array sums below: entry k goes to partial k mod kSumLanes, and the partials are added
// pairwise at the end. Independent partials let a sum over millions of entries run at memory speed instead of one
// dependent addition per entry; assembly/updates.ts sums in the same order.
constexpr std::size_t kSumLanes = 4;

// Σ x² over `count` entries, in float64 (‖V‖²_F for the Euclidean checkpoints), in kSumLanes partials.
template <typename T>
NMFKIT_VECTOR_KERNEL double sumSquares(const T* X, std::size_t count) {
  double s[kSumLanes] = {};
  std::size_t k = 0;
  for (; k + kSumLanes <= count; k += kSumLanes) {
    for (std::size_t l = 0; l < kSumLanes; ++l) {
      const double x = static_cast<double>(X[k + l]);
      s[l] += x * x;
    }
  }
  for (std::size_t l = 0; k < count; ++k, ++l) {
    const double x = static_cast<double>(X[k]);
    s[l] += x * x;
  }
  return (s[0] + s[1]) + (s[2] + s[3]);
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
// The sums run in kSumLanes partials as sumSquares's, the lanes of one Double4 so that they stay in registers (as
// an array of partials they went through memory at every entry); a NaN entry leaves the maximum as it was
// (std::fmax's rule).
template <typename T>
NMFKIT_VECTOR_KERNEL ResidualSums residualSums(T* E, const T* M, std::size_t count) {
  static_assert(kSumLanes == 4, "the lanes are a Double4");
  Double4 squares = {0.0, 0.0, 0.0, 0.0}, maxAbs = {0.0, 0.0, 0.0, 0.0};
  std::size_t k = 0;
  for (; k + kSumLanes <= count; k += kSumLanes) {
    if (M != nullptr) {
      for (std::size_t l = 0; l < kSumLanes; ++l) E[k + l] = E[k + l] * M[k + l];
    }
    Double4 e;
    if constexpr (std::is_same_v<T, double>) {
      e = loadDouble4(E + k);
    } else {
      for (std::size_t l = 0; l < kSumLanes; ++l) e[l] = static_cast<double>(E[k + l]);
    }
    squares += e * e;
    const Double4 a = e < 0.0 ? -e : e;  // |e| but for −0, which the maximum treats as +0
    maxAbs = a > maxAbs ? a : maxAbs;
  }
  double sums[kSumLanes], tops[kSumLanes];
  storeDouble4(sums, squares);
  storeDouble4(tops, maxAbs);
  for (std::size_t l = 0; k < count; ++k, ++l) {
    if (M != nullptr) E[k] = E[k] * M[k];
    const double e = static_cast<double>(E[k]);
    sums[l] += e * e;
    const double a = std::fabs(e);
    tops[l] = a > tops[l] ? a : tops[l];
  }
  const double top = std::fmax(std::fmax(tops[0], tops[1]), std::fmax(tops[2], tops[3]));
  return ResidualSums{(sums[0] + sums[1]) + (sums[2] + sums[3]), top};
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
