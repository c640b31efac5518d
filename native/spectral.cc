#include "spectral.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "products.h"

namespace nmf {

namespace {

// Jacobi stops when the off-diagonal Frobenius norm is ≤ kJacobiTol · the matrix's Frobenius norm …
constexpr double kJacobiTol = 1e-15;
// … or after this many sweeps (a cap, not the expected count: cyclic Jacobi converges quadratically).
constexpr int kJacobiMaxSweeps = 64;
// Lanczos stops when β_j · |s| (the residual of its Ritz pair) ≤ kLanczosTol · θ …
constexpr double kLanczosTol = 1e-14;
// … or when β_j ≤ kLanczosBreakdown (invariant subspace found: T_j already holds the exact eigenvalue).
constexpr double kLanczosBreakdown = 1e-300;

// Index of the largest diagonal entry of the n×n matrix A (the first one on ties).
std::size_t argmaxDiagonal(const double* A, std::size_t n) {
  std::size_t best = 0;
  double value = A[0];
  for (std::size_t k = 1; k < n; ++k) {
    if (A[k * n + k] > value) {
      value = A[k * n + k];
      best = k;
    }
  }
  return best;
}

double dot(const double* x, const double* y, std::size_t n) {
  double sum = 0.0;
  for (std::size_t i = 0; i < n; ++i) sum += x[i] * y[i];
  return sum;
}

}  // namespace

int jacobiEigen(double* A, std::size_t n, double* Z) {
  if (Z != nullptr) {
    std::fill(Z, Z + n * n, 0.0);
    for (std::size_t k = 0; k < n; ++k) Z[k * n + k] = 1.0;
  }
  int sweeps = 0;
  while (true) {
    double off2 = 0.0;
    double diag2 = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = 0; j < n; ++j) {
        const double x = A[i * n + j];
        if (i == j) diag2 += x * x;
        else off2 += x * x;
      }
    }
    // A zero matrix (0 ≤ 0) stops here at once.
    if (std::sqrt(off2) <= kJacobiTol * std::sqrt(off2 + diag2)) break;
    if (sweeps >= kJacobiMaxSweeps) break;
    sweeps++;
    for (std::size_t p = 0; p + 1 < n; ++p) {
      for (std::size_t q = p + 1; q < n; ++q) {
        const double apq = A[p * n + q];
        if (apq == 0.0) continue;
        const double app = A[p * n + p];
        const double aqq = A[q * n + q];
        // The rotation J = [[c, s], [−s, c]] in the (p, q) plane with (JᵀAJ)[p][q] = 0 (Golub & Van Loan):
        // t = tan of the angle is the root of t² + 2τt − 1 = 0 of smaller magnitude (a rotation below 45°,
        // which is what makes cyclic Jacobi converge).
        const double tau = (aqq - app) / (2.0 * apq);
        double t;
        if (std::fabs(tau) > 1e150) t = 0.5 / tau;  // τ² would overflow; t = 1/(2τ) to working precision
        else t = (tau >= 0.0 ? 1.0 : -1.0) / (std::fabs(tau) + std::sqrt(1.0 + tau * tau));
        const double c = 1.0 / std::sqrt(1.0 + t * t);
        const double s = t * c;
        // The 2×2 block from the closed forms (more accurate than rotating it), A[p][q] exactly zero.
        A[p * n + p] = app - t * apq;
        A[q * n + q] = aqq + t * apq;
        A[p * n + q] = 0.0;
        A[q * n + p] = 0.0;
        for (std::size_t k = 0; k < n; ++k) {
          if (k == p || k == q) continue;
          const double akp = A[k * n + p];
          const double akq = A[k * n + q];
          const double nkp = c * akp - s * akq;
          const double nkq = s * akp + c * akq;
          A[k * n + p] = nkp;
          A[p * n + k] = nkp;
          A[k * n + q] = nkq;
          A[q * n + k] = nkq;
        }
        if (Z != nullptr) {
          for (std::size_t k = 0; k < n; ++k) {
            const double zkp = Z[k * n + p];
            const double zkq = Z[k * n + q];
            Z[k * n + p] = c * zkp - s * zkq;
            Z[k * n + q] = s * zkp + c * zkq;
          }
        }
      }
    }
  }
  return sweeps;
}

double largestSingularValueFromGram(double* G, std::size_t n) {
  jacobiEigen(G, n, nullptr);
  const std::size_t top = argmaxDiagonal(G, n);
  const double lambda = G[top * n + top];
  // A Gram matrix is positive semidefinite; rounding can push a zero eigenvalue slightly below zero.
  return std::sqrt(std::max(lambda, 0.0));
}

double lanczosStart(std::uint32_t i) {
  // Unsigned 32-bit arithmetic wraps mod 2^32, which is exactly what the specification asks for.
  std::uint32_t h = (i + 1u) * 0x9E3779B1u;
  h ^= h >> 16;
  h *= 0x85EBCA6Bu;
  h ^= h >> 13;
  return static_cast<double>(h) / 4294967296.0 + 0.1;
}

namespace {

// w ← G·q with G = E·Eᵀ (K ≤ N, q and w of length K) or Eᵀ·E (K > N, length N); u is scratch of max(K, N).
// G is never formed: two matrix–vector products cost 4KN flops, forming G would cost K·N·min(K, N).
void applyGram(const double* E, std::size_t K, std::size_t N, const double* q, double* w, double* u) {
  if (K <= N) {
    mulAtx(E, q, u, K, N);  // u = Eᵀq (N)
    mulAx(E, u, w, K, N);   // w = E·u (K)
  } else {
    mulAx(E, q, u, K, N);   // u = E·q (K)
    mulAtx(E, u, w, K, N);  // w = Eᵀu (N)
  }
}

}  // namespace

double residualSpectralNorm(const double* E, std::size_t K, std::size_t N) {
  // The smaller Gram (dimension n) has the same nonzero eigenvalues as the larger; its largest is ‖E‖₂².
  const std::size_t n = std::min(K, N);
  const std::size_t o = std::max(K, N);
  // Q holds the Lanczos vectors q_0 … q_{j−1} as rows; it, α, β, T and Z grow with j (geometrically, so the
  // number of allocations is logarithmic in the steps taken, and the usual handful of steps costs little).
  std::vector<double> Q(n), w(n), u(o), coef, alpha, beta, T, Z;

  // q_0: the hashed start vector, normalised.
  for (std::size_t i = 0; i < n; ++i) Q[i] = lanczosStart(static_cast<std::uint32_t>(i));
  const double norm0 = std::sqrt(dot(Q.data(), Q.data(), n));
  for (std::size_t i = 0; i < n; ++i) Q[i] = Q[i] / norm0;

  for (std::size_t j = 1;; ++j) {
    // Step j: w = G q_{j−1}, orthogonalised twice against q_0 … q_{j−1} (classical Gram–Schmidt). In floating
    // point the three-term recurrence alone loses orthogonality and yields spurious copies of the top Ritz value.
    applyGram(E, K, N, &Q[(j - 1) * n], w.data(), u.data());
    coef.resize(j);
    for (int pass = 0; pass < 2; ++pass) {
      mulAx(Q.data(), w.data(), coef.data(), j, n);  // coef = Q·w
      if (pass == 0) alpha.push_back(coef[j - 1]);   // α_j = q_{j−1}·G q_{j−1}
      subAtx(Q.data(), coef.data(), w.data(), j, n);  // w ← w − Qᵀ·coef
    }
    const double b = std::sqrt(dot(w.data(), w.data(), n));
    beta.push_back(b);

    // Eigenpairs of the j×j tridiagonal T_j (α on the diagonal, β_1 … β_{j−1} beside it).
    T.assign(j * j, 0.0);
    for (std::size_t k = 0; k < j; ++k) {
      T[k * j + k] = alpha[k];
      if (k + 1 < j) {
        T[k * j + k + 1] = beta[k];
        T[(k + 1) * j + k] = beta[k];
      }
    }
    Z.resize(j * j);
    jacobiEigen(T.data(), j, Z.data());
    const std::size_t top = argmaxDiagonal(T.data(), j);
    const double theta = T[top * j + top];
    const double s = Z[(j - 1) * j + top];  // last component of θ's unit eigenvector

    if (b * std::fabs(s) <= kLanczosTol * theta || b <= kLanczosBreakdown || j == n) {
      return std::sqrt(std::max(theta, 0.0));
    }
    // q_j = w / β_j
    Q.resize((j + 1) * n);
    double* next = &Q[j * n];
    for (std::size_t i = 0; i < n; ++i) next[i] = w[i] / b;
  }
}

}  // namespace nmf
