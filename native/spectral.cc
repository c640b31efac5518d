#include "spectral.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "products.h"
#include "team.h"
#include "updates.h"
#include "vector-kernel.h"

namespace nmf {

namespace {

// Jacobi stops when the off-diagonal Frobenius norm is ≤ kJacobiTol · the matrix's Frobenius norm …
constexpr double kJacobiTol = 1e-15;
// … or after this many sweeps (a cap, not the expected count: cyclic Jacobi converges quadratically).
constexpr int kJacobiMaxSweeps = 64;
// QL deflates at e[k] when |e[k]| ≤ kTridiagonalTol · ‖T‖∞ (ε of float64; ‖T‖∞ is taken once, on entry) …
constexpr double kTridiagonalTol = 2.220446049250313e-16;
// … and gives up on an eigenvalue after this many iterations (a cap: with Wilkinson shifts ~2 is usual).
constexpr int kTridiagonalMaxIterations = 64;
// Laguerre's method (topEigenvalue) starts kLaguerreMargin·|bound| above Gershgorin's bound, stops once a step is
// ≤ kLaguerreTol·x (2^-50: within a few rounding errors of x, as its steps converge cubically near θ) …
constexpr double kLaguerreMargin = 0.0009765625;        // 2^-10
constexpr double kLaguerreTol = 8.881784197001252e-16;  // 2^-50
// … and gives up after this many steps (a cap: from Gershgorin's bound it takes ~5–10).
constexpr int kLaguerreMaxSteps = 64;
// Lanczos stops when β_j · |s| (the residual of its Ritz pair, which bounds |θ − λ|) ≤ kLanczosTol · θ …
constexpr double kLanczosTol = 1e-11;
// … or when the gap bound (lanczosConverged), which rests on an estimated gap, is ≤ kLanczosGapTol · θ, a tenth of
// kLanczosTol for a margin; it is used only once the residual is ≤ kLanczosGapFrom · θ, when θ and the next Ritz
// value have settled and the gap they show is the spectrum's.
constexpr double kLanczosGapTol = 1e-12;
constexpr double kLanczosGapFrom = 1e-5;
// … or when β_j ≤ kLanczosBreakdown (invariant subspace found: T_j already holds the exact eigenvalue).
constexpr double kLanczosBreakdown = 1e-300;
// A check that finds the residual above kLanczosSkipAbove·θ leaves the next step unchecked: a residual falls far less
// than the factor kLanczosSkipAbove / kLanczosGapFrom = 100 in one step, so the step skipped would not have stopped
// the run (were it to, the run stops one step later, with a θ at least as close).
constexpr double kLanczosSkipAbove = 1e-3;
// Q, the Lanczos vectors, starts with room for kLanczosRoomSteps steps, or fewer where they would take more than
// kLanczosRoomBytes; beyond that it grows geometrically.
constexpr std::size_t kLanczosRoomSteps = 64;
constexpr std::size_t kLanczosRoomBytes = std::size_t{1} << 20;

// Index of the largest of x[0], x[stride], …, x[(n − 1)·stride] (the first one on ties).
std::size_t argmax(const double* x, std::size_t n, std::size_t stride) {
  std::size_t best = 0;
  double value = x[0];
  for (std::size_t k = 1; k < n; ++k) {
    if (x[k * stride] > value) {
      value = x[k * stride];
      best = k;
    }
  }
  return best;
}

// sqrt(a² + b²), scaled by the larger magnitude so that the squares cannot overflow or underflow.
double pythag(double a, double b) {
  const double x = std::fabs(a);
  const double y = std::fabs(b);
  const double big = x > y ? x : y;
  const double small = x > y ? y : x;
  if (big == 0.0) return 0.0;
  const double t = small / big;
  return big * std::sqrt(1.0 + t * t);
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
        if (i == j)
          diag2 += x * x;
        else
          off2 += x * x;
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
        if (std::fabs(tau) > 1e150)
          t = 0.5 / tau;  // τ² would overflow; t = 1/(2τ) to working precision
        else
          t = (tau >= 0.0 ? 1.0 : -1.0) / (std::fabs(tau) + std::sqrt(1.0 + tau * tau));
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

int tridiagonalEigen(double* d, double* e, double* z, std::size_t n) {
  if (n == 0) return 0;
  // z: the last row of the accumulated rotations, which start as the identity.
  std::fill(z, z + n, 0.0);
  z[n - 1] = 1.0;
  // ‖T‖∞ ≥ ‖T‖₂, the scale of the deflation test (the rotations keep ‖T‖₂, so every |d[k]| stays ≤ ‖T‖∞).
  double norm = 0.0;
  for (std::size_t k = 0; k < n; ++k) {
    double row = std::fabs(d[k]);
    if (k > 0) row += std::fabs(e[k - 1]);
    if (k + 1 < n) row += std::fabs(e[k]);
    if (row > norm) norm = row;
  }
  int iterations = 0;
  for (std::size_t l = 0; l < n; ++l) {
    // Rows and columns above l are split off (e[l − 1] negligible); iterate on l until e[l] is negligible too,
    // and d[l] is an eigenvalue.
    for (int iter = 0;; ++iter) {
      // The unreduced block l … m: m is the first index ≥ l with e[m] negligible, or n − 1. (A NaN counts as
      // negligible, so bad input cannot keep the scan going.)
      std::size_t m = l;
      while (m + 1 < n && std::fabs(e[m]) > kTridiagonalTol * norm) ++m;
      if (m == l || iter == kTridiagonalMaxIterations) break;
      iterations++;
      // Wilkinson shift: the eigenvalue of the block's leading 2×2 [[d_l, e_l], [e_l, d_{l+1}]] nearer d_l,
      // μ = d_l − e_l / (δ + sign(δ)·sqrt(δ² + 1)) with δ = (d_{l+1} − d_l) / (2·e_l), a form without
      // cancellation (δ² cannot overflow: |δ| ≤ ‖T‖∞ / |e_l| < 1 / kTridiagonalTol).
      const double delta = (d[l + 1] - d[l]) / (2.0 * e[l]);
      const double root = std::sqrt(delta * delta + 1.0);
      const double mu = d[l] - e[l] / (delta >= 0.0 ? delta + root : delta - root);
      // One implicit QL step T ← GᵀTG with G = G_{m−1} ⋯ G_l, G_i a rotation in the plane (i, i+1): identity
      // but for G[i][i] = G[i+1][i+1] = c, G[i][i+1] = s, G[i+1][i] = −s, with (c, s) = (x, y) / sqrt(x² + y²).
      // G_{m−1} is the first rotation of the QL factorisation of T − μI, so (x, y) = (d_m − μ, e_{m−1}), the
      // last two entries of its last column; it leaves a bulge y = T[m−2][m] = T[m][m−2], and every later G_i
      // takes (x, y) = (T[i+1][i+2], T[i][i+2]), zeroes the bulge and moves it up to (i−1, i+1), until it
      // leaves the block at the top. f is T[i][i+1] just before G_i.
      double x = d[m] - mu;
      double y = e[m - 1];
      double f = e[m - 1];
      for (std::size_t i = m; i-- > l;) {
        const double r = pythag(x, y);
        double c = 1.0;  // x = y = 0 (underflow): nothing to zero, so no rotation
        double s = 0.0;
        if (r > 0.0) {
          c = x / r;
          s = y / r;
        }
        if (i + 1 < m) e[i + 1] = r;  // T[i+1][i+2] = s·y + c·x = r, and the bulge T[i][i+2] = c·y − s·x = 0
        // The 2×2 block [[a, f], [f, b]] on rows and columns i, i+1 becomes its GᵀBG.
        const double a = d[i];
        const double b = d[i + 1];
        d[i] = c * c * a - 2.0 * c * s * f + s * s * b;
        d[i + 1] = s * s * a + 2.0 * c * s * f + c * c * b;
        x = c * s * (a - b) + (c * c - s * s) * f;  // T[i][i+1]
        // Row i − 1: T[i−1][i] = e_{i−1} becomes c·e_{i−1}, and the bulge T[i−1][i+1] = s·e_{i−1} appears.
        if (i > l) {
          f = c * e[i - 1];
          y = s * e[i - 1];
        }
        // The last row of the eigenvector matrix: z ← z·G_i.
        const double zi = z[i];
        const double zj = z[i + 1];
        z[i] = c * zi - s * zj;
        z[i + 1] = s * zi + c * zj;
      }
      e[l] = x;
    }
  }
  return iterations;
}

namespace {

// The pivots of T − xI = LDLᵀ (p_0 = d_0 − x, p_k = d_k − x − e_{k−1}²/p_{k−1}) and, in the same pass, what
// Laguerre's method needs from them. det(T − xI) = Π p_k = Π (θ_i − x), so Σ p_k′/p_k = Σ 1/(x − θ_i) and
// −(Σ p_k′/p_k)′ = Σ 1/(x − θ_i)², with p_k′ = −1 + e_{k−1}²·p_{k−1}′/p_{k−1}² and
// p_k″ = e_{k−1}²·(p_{k−1}″/p_{k−1}² − 2·p_{k−1}′²/p_{k−1}³).
struct Pivots {
  double g = 0.0;         // Σ 1/(x − θ_i)
  double h = 0.0;         // Σ 1/(x − θ_i)²
  std::size_t above = 0;  // positive pivots: the eigenvalues > x
  bool finite = false;    // no pivot was zero and no sum overflowed
};

Pivots pivotsAt(const double* d, const double* e, std::size_t n, double x) {
  Pivots at;
  double r = 0.0, u = 0.0, v = 0.0;  // 1/p, p′/p and p″/p of the previous pivot
  for (std::size_t k = 0; k < n; ++k) {
    const double b2 = k > 0 ? e[k - 1] * e[k - 1] : 0.0;
    const double p = d[k] - x - b2 * r;
    const double slope = -1.0 + b2 * u * r;
    const double curve = b2 * r * (v - 2.0 * u * u);
    r = 1.0 / p;
    u = slope * r;
    v = curve * r;
    at.g += u;
    at.h += u * u - v;
    if (p > 0.0) at.above++;
  }
  at.finite = std::isfinite(at.g) && std::isfinite(at.h);
  return at;
}

// |s|, the magnitude of the last component of θ's unit eigenvector, by one step of inverse iteration:
// y = (T − σI)⁻¹·1 for a σ ≥ θ just above it. There T − σI is negative definite, so its LDLᵀ without pivoting is
// stable; y's part along θ's eigenvector is 1/(σ − θ) times that of 1 and the others at most 1/gap times theirs, so
// y is that eigenvector to about ε·‖T‖/gap of its length (QL's accuracy), as long as 1 has a fair part along it:
// for Lanczos's T_j, whose off-diagonal is positive, that eigenvector is positive (Perron–Frobenius). work: 2n
// doubles. NaN where a pivot is not negative or y is not finite.
double lastComponent(const double* d, const double* e, std::size_t n, double sigma, double* work) {
  double* l = work;      // L's subdiagonal: l_k = e_{k−1}/p_{k−1}
  double* y = work + n;  // D⁻¹L⁻¹·1, then y = L⁻ᵀD⁻¹L⁻¹·1
  // The pivots as pivotsAt and eigenvaluesAbove compute them, to the bit, so a σ they found all negative is.
  double r = 0.0, z = 0.0;
  for (std::size_t k = 0; k < n; ++k) {
    const double ek = k > 0 ? e[k - 1] : 0.0;
    const double p = d[k] - sigma - ek * ek * r;
    if (!(p < 0.0)) return std::numeric_limits<double>::quiet_NaN();
    const double lk = ek * r;
    z = 1.0 - lk * z;
    r = 1.0 / p;
    l[k] = lk;
    y[k] = z * r;
  }
  for (std::size_t k = n - 1; k-- > 0;) y[k] = y[k] - l[k + 1] * y[k + 1];
  // |y_{n−1}| / ‖y‖, on y / max |y| so that the squares cannot overflow.
  double big = 0.0;
  for (std::size_t k = 0; k < n; ++k) big = std::max(big, std::fabs(y[k]));
  if (!(big > 0.0) || !std::isfinite(big)) return std::numeric_limits<double>::quiet_NaN();
  double sum = 0.0;
  for (std::size_t k = 0; k < n; ++k) sum += (y[k] / big) * (y[k] / big);
  return (std::fabs(y[n - 1]) / big) / std::sqrt(sum);
}

}  // namespace

bool topEigenvalue(const double* d, const double* e, std::size_t n, double* theta, double* sigma) {
  if (n == 0) return false;
  // Start above Gershgorin's bound max_k d_k + |e_{k−1}| + |e_k| ≥ θ (by a margin, as θ may equal the bound), where
  // every pivot is negative. From above the largest root of a polynomial with real roots, Laguerre's steps
  // x ← x − n / (G + sqrt((n − 1)(n·H − G²))) decrease monotonically to it (cubically once it is isolated), and
  // each is at least Newton's 1/G ≥ (x − θ)/n, so a step ≤ kLaguerreTol·x leaves x within n·kLaguerreTol·x of θ.
  double x = -std::numeric_limits<double>::infinity();
  for (std::size_t k = 0; k < n; ++k) {
    double row = d[k];
    if (k > 0) row += std::fabs(e[k - 1]);
    if (k + 1 < n) row += std::fabs(e[k]);
    x = std::max(x, row);
  }
  x += std::fabs(x) * kLaguerreMargin;
  Pivots at = pivotsAt(d, e, n, x);
  if (!at.finite || at.above != 0) return false;
  const double dn = static_cast<double>(n);
  bool found = false;
  double above = x;  // a point ≥ θ where every pivot is negative
  for (int step = 0; step < kLaguerreMaxSteps; ++step) {
    const double spread = std::max((dn - 1.0) * (dn * at.h - at.g * at.g), 0.0);
    const double a = dn / (at.g + std::sqrt(spread));
    if (!(a > 0.0)) return false;
    if (a <= kLaguerreTol * std::fabs(x)) {
      found = true;
      above = x;
      break;
    }
    x = x - a;
    at = pivotsAt(d, e, n, x);
    if (at.finite && at.above == 0) continue;
    // The step landed on θ (a zero pivot) or crossed it, which exact arithmetic never does: by rounding, so θ lies
    // just above x. Accept x once a count just above it finds no eigenvalue there.
    above = x + (std::fabs(x) + a) * kLaguerreTol;
    if (eigenvaluesAbove(d, e, n, above) != 0) return false;
    found = true;
    break;
  }
  if (!found) return false;
  *theta = x;
  *sigma = above;
  return true;
}

bool topEigenpair(const double* d, const double* e, std::size_t n, double* work, double* theta, double* last) {
  double top, sigma;
  if (!topEigenvalue(d, e, n, &top, &sigma)) return false;
  const double s = lastComponent(d, e, n, sigma, work);
  if (!(s >= 0.0)) return false;
  *theta = top;
  *last = s;
  return true;
}

std::size_t eigenvaluesAbove(const double* d, const double* e, std::size_t n, double x) {
  std::size_t above = 0;
  double r = 0.0;
  for (std::size_t k = 0; k < n; ++k) {
    const double b2 = k > 0 ? e[k - 1] * e[k - 1] : 0.0;
    const double p = d[k] - x - b2 * r;
    if (!(p != 0.0) || !std::isfinite(p)) return n + 1;
    if (p > 0.0) above++;
    r = 1.0 / p;
  }
  return above;
}

void tridiagonalize(double* A, std::size_t n) {
  for (std::size_t k = 0; k + 2 < n; ++k) {
    // x = A[k+1 … n−1][k], read from row k (A is symmetric): u overwrites it there, q goes to column k.
    double* u = A + k * n + k + 1;
    const std::size_t m = n - k - 1;
    double tail = 0.0;
    for (std::size_t i = 1; i < m; ++i) tail += std::fabs(u[i]);
    if (tail == 0.0) continue;  // x is already a multiple of e₁: no reflection, e_k = x₀ stays at A[k+1][k]
    const double scale = std::fabs(u[0]) + tail;
    double sigma = 0.0;
    for (std::size_t i = 0; i < m; ++i) {
      u[i] = u[i] / scale;
      sigma += u[i] * u[i];
    }
    const double g = u[0] >= 0.0 ? -std::sqrt(sigma) : std::sqrt(sigma);
    const double h = sigma - u[0] * g;
    u[0] = u[0] - g;
    // p = A₂₂u / h into column k, then K = uᵀp / 2h and q = p − K·u.
    double K = 0.0;
    for (std::size_t i = 0; i < m; ++i) {
      const double* row = A + (k + 1 + i) * n + k + 1;
      double s = 0.0;
      for (std::size_t j = 0; j < m; ++j) s += row[j] * u[j];
      const double p = s / h;
      A[(k + 1 + i) * n + k] = p;
      K += u[i] * p;
    }
    K = K / (2.0 * h);
    for (std::size_t i = 0; i < m; ++i) A[(k + 1 + i) * n + k] = A[(k + 1 + i) * n + k] - K * u[i];
    // A₂₂ ← A₂₂ − u·qᵀ − q·uᵀ, both triangles (the same two products, summed in either order: exactly symmetric).
    for (std::size_t i = 0; i < m; ++i) {
      double* row = A + (k + 1 + i) * n + k + 1;
      const double ui = u[i];
      const double qi = A[(k + 1 + i) * n + k];
      for (std::size_t j = 0; j < m; ++j) row[j] = row[j] - (ui * A[(k + 1 + j) * n + k] + qi * u[j]);
    }
    A[(k + 1) * n + k] = scale * g;  // e_k
  }
}

double largestSingularValueFromGram(double* G, std::size_t n) {
  double lambda;
  if (n == 1) {
    lambda = G[0];
  } else if (n == 2) {
    // λmax of [[a, b], [b, c]]: (a + c)/2 + sqrt(((a − c)/2)² + b²).
    lambda = 0.5 * (G[0] + G[3]) + pythag(0.5 * (G[0] - G[3]), G[1]);
  } else {
    tridiagonalize(G, n);
    // Pack d (the diagonal) into G[0 … n−1] and e (the subdiagonal) into G[n … 2n−2], in increasing order, which
    // never overwrites an entry not yet read; z takes G[2n … 3n−1] (n² ≥ 3n).
    for (std::size_t i = 0; i < n; ++i) G[i] = G[i * n + i];
    for (std::size_t i = 0; i + 1 < n; ++i) G[n + i] = G[(i + 1) * n + i];
    double sigma;
    if (!topEigenvalue(G, G + n, n, &lambda, &sigma)) {
      tridiagonalEigen(G, G + n, G + 2 * n, n);
      lambda = G[argmax(G, n, 1)];
    }
  }
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

// E's rows or columns per block of the one-pass Gram product: a block of about kGramBlockBytes stays in cache
// between its two reads; a block of columns is at least kGramMinColumns wide, so that each of its row segments
// spans whole cache lines.
constexpr std::size_t kGramBlockBytes = std::size_t{256} << 10;
constexpr std::size_t kGramMinColumns = 64;
// The Gram of E's columns (EᵀE, vectors of length N) is applied by rows of E, which are contiguous; it is used
// unless E is more than kGramMaxAspect times wider than tall, where the reorthogonalisation against Lanczos vectors
// of length N costs more than reading E by blocks of columns saves.
constexpr std::size_t kGramMaxAspect = 4;

// t (rows) = E_B·q and then w += E_Bᵀ·t for the block E_B of `rows` rows (N columns) of E: the block's share of
// EᵀE·q.
void addRowBlockGram(const double* EB, std::size_t rows, std::size_t N, const double* q, double* t, double* w,
                     double*) {
  cblas_dgemv(CblasRowMajor, CblasNoTrans, bi(rows), bi(N), 1.0, EB, bi(N), q, 1, 0.0, t, 1);
  cblas_dgemv(CblasRowMajor, CblasTrans, bi(rows), bi(N), 1.0, EB, bi(N), t, 1, 1.0, w, 1);
}
// A float32 block goes by rows instead, each entry widened as it is read: t_i = E_i·q in kSumLanes partials, then
// w += t_i·E_i while the rows are in cache. Widening the block into a copy first would cost a third pass over it.
// Rows go kGramRows together (addRowsGram), so that each entry of q and w is loaded once for all of them; every w_j
// still receives t_i·E_ij row after row, in order, so the sums are those of one row at a time.
constexpr std::size_t kGramRows = 4;

// The float32 Gram kernel sums in Double4 lanes (vector-kernel.h); written out, the partial sums would not stay in
// registers.
typedef float Float4 __attribute__((vector_size(16)));

inline __attribute__((always_inline)) Double4 widen4(const float* p) {
  Float4 f;
  std::memcpy(&f, p, sizeof f);
  return __builtin_convertvector(f, Double4);
}

template <std::size_t Rows>
inline __attribute__((always_inline)) void addRowsGram(const float* E, std::size_t N, const double* q, double* w) {
  static_assert(kSumLanes == 4, "the lanes are a Double4");
  Double4 s[Rows] = {};
  std::size_t j = 0;
  for (; j + 4 <= N; j += 4) {
    const Double4 qj = loadDouble4(q + j);
    for (std::size_t r = 0; r < Rows; ++r) s[r] += widen4(E + r * N + j) * qj;
  }
  for (std::size_t l = 0; j < N; ++j, ++l) {
    for (std::size_t r = 0; r < Rows; ++r) s[r][l] += static_cast<double>(E[r * N + j]) * q[j];
  }
  double t[Rows];
  for (std::size_t r = 0; r < Rows; ++r) t[r] = (s[r][0] + s[r][1]) + (s[r][2] + s[r][3]);
  for (j = 0; j + 4 <= N; j += 4) {
    Double4 x = loadDouble4(w + j);
    for (std::size_t r = 0; r < Rows; ++r) x += t[r] * widen4(E + r * N + j);
    storeDouble4(w + j, x);
  }
  for (; j < N; ++j) {
    double x = w[j];
    for (std::size_t r = 0; r < Rows; ++r) x += t[r] * static_cast<double>(E[r * N + j]);
    w[j] = x;
  }
}

NMFKIT_VECTOR_KERNEL void addRowBlockGram(const float* EB, std::size_t rows, std::size_t N, const double* q, double*,
                                          double* w, double*) {
  std::size_t i = 0;
  for (; i + kGramRows <= rows; i += kGramRows) addRowsGram<kGramRows>(EB + i * N, N, q, w);
  for (; i < rows; ++i) addRowsGram<1>(EB + i * N, N, q, w);
}

// u (cols) = E_Jᵀ·q and then w += E_J·u for the block E_J of `cols` columns (K rows, row stride N) of E: the
// block's share of E·Eᵀ·q. A float32 block is first widened into `wide` (K×cols doubles, row stride cols).
void addColumnBlockGram(const double* EJ, std::size_t K, std::size_t cols, std::size_t ld, const double* q, double* u,
                        double* w, double*) {
  cblas_dgemv(CblasRowMajor, CblasTrans, bi(K), bi(cols), 1.0, EJ, bi(ld), q, 1, 0.0, u, 1);
  cblas_dgemv(CblasRowMajor, CblasNoTrans, bi(K), bi(cols), 1.0, EJ, bi(ld), u, 1, 1.0, w, 1);
}
void addColumnBlockGram(const float* EJ, std::size_t K, std::size_t cols, std::size_t ld, const double* q, double* u,
                        double* w, double* wide) {
  for (std::size_t i = 0; i < K; ++i) std::copy(EJ + i * ld, EJ + i * ld + cols, wide + i * cols);
  addColumnBlockGram(wide, K, cols, cols, q, u, w, nullptr);
}

// The one-pass Gram product of the Lanczos run: w ← G·q, with G = EᵀE (vectors of length N, applied by blocks of
// E's rows) unless E is much wider than tall, else G = E·Eᵀ (length K, by blocks of columns); never formed. E is
// read once per product, block by block (its two products with a block follow each other while the block is in
// cache), where two matrix–vector products would read it twice. Each member of the team adds the blocks of its
// share into a partial of its own, and the partials are added in member order, so the product is the same for a
// given team size.
template <typename T>
class GramProduct {
 public:
  GramProduct(Team& team, const T* E, std::size_t K, std::size_t N)
      : team_(team),
        E_(E),
        K_(K),
        N_(N),
        byRows_(N <= kGramMaxAspect * K),
        n_(byRows_ ? N : K),
        count_(byRows_ ? K : N),
        members_(std::min(team.size(), count_)),
        block_(byRows_ ? std::max<std::size_t>(1, kGramBlockBytes / (N * sizeof(T)))
                       : std::max(kGramMinColumns, kGramBlockBytes / (K * sizeof(T)))),
        wideBlock_(sizeof(T) == sizeof(double) || byRows_ ? 0 : block_ * K),
        work_(members_ * (n_ + block_ + wideBlock_)) {}

  // The dimension of G: the length of the Lanczos vectors.
  std::size_t dimension() const { return n_; }

  void apply(const double* q, double* w) {
    auto share = [&](std::size_t member) {
      const Share s = split(count_, members_, member);
      double* partial = partial_(member);
      double* t = work_.data() + members_ * n_ + member * block_;
      double* wide = wideBlock_ == 0 ? nullptr : work_.data() + members_ * (n_ + block_) + member * wideBlock_;
      std::fill(partial, partial + n_, 0.0);
      for (std::size_t b0 = s.begin; b0 < s.end; b0 += block_) {
        const std::size_t size = std::min(block_, s.end - b0);
        if (byRows_)
          addRowBlockGram(E_ + b0 * N_, size, N_, q, t, partial, wide);
        else
          addColumnBlockGram(E_ + b0, K_, size, N_, q, t, partial, wide);
      }
    };
    if (members_ == 1)
      share(0);
    else
      team_.run([&](std::size_t member) {
        if (member < members_) share(member);
      });
    std::copy(partial_(0), partial_(0) + n_, w);
    for (std::size_t m = 1; m < members_; ++m) {
      const double* partial = partial_(m);
      for (std::size_t i = 0; i < n_; ++i) w[i] += partial[i];
    }
  }

 private:
  Team& team_;
  const T* E_;
  const std::size_t K_, N_;
  const bool byRows_;
  const std::size_t n_, count_, members_, block_;
  const std::size_t wideBlock_;  // float32 E by columns only: a member's block, widened (else 0)
  // One allocation for every member's partial of w (n_ each), its block's scratch vector (block_ each) and its
  // widened block (wideBlock_ each), in that order.
  std::vector<double> work_;

  double* partial_(std::size_t member) { return work_.data() + member * n_; }
};

// Where Kato–Temple makes θ, the largest eigenvalue of T_j (its Ritz pair with residual ρ = β_j·|s|), close enough:
// where λ, the Gram's eigenvalue near θ, is separated from the rest of the spectrum by a gap δ,
// |θ − λ| ≤ ρ²/δ, and that is ≤ kLanczosGapTol·θ once T_j's second largest eigenvalue θ₂ (which estimates the rest
// of the spectrum) is at most θ − ρ²/(kLanczosGapTol·θ).
double katoTempleBound(double rho, double theta) { return theta - rho * rho / (kLanczosGapTol * theta); }

// Whether θ is close enough to an eigenvalue λ of the Gram: ρ bounds |θ − λ|, and the gap bound (secondBelowBound:
// θ₂ ≤ katoTempleBound) lets Lanczos stop about a quarter of its steps sooner.
bool lanczosConverged(double rho, double theta, bool secondBelowBound) {
  return rho <= kLanczosTol * theta || (rho <= kLanczosGapFrom * theta && secondBelowBound);
}

// The largest of d[0 … j−1] other than d[top], or d[top] when j = 1.
double secondLargest(const double* d, std::size_t j, std::size_t top) {
  double second = d[top];
  bool found = false;
  for (std::size_t k = 0; k < j; ++k) {
    if (k != top && (!found || d[k] > second)) {
      second = d[k];
      found = true;
    }
  }
  return second;
}

// q_j = w / β_j, appended to the rows of Q.
void appendLanczosVector(std::vector<double>& Q, const double* w, double b, std::size_t j, std::size_t n) {
  Q.resize((j + 1) * n);
  double* next = &Q[j * n];
  for (std::size_t i = 0; i < n; ++i) next[i] = w[i] / b;
}

template <typename T>
double lanczos(Team& team, const T* E, std::size_t K, std::size_t N, double maxAbs) {
  // Either Gram has the same nonzero eigenvalues; its largest is ‖E‖₂². A Krylov space of either has at most
  // min(K, N) + 1 dimensions (the start vector's part in G's null space never grows).
  GramProduct<T> gram(team, E, K, N);
  const std::size_t n = gram.dimension();
  const std::size_t steps = std::min(K, N) + 1;
  // Q holds the Lanczos vectors q_0 … q_{j−1} as rows; it grows with j (geometrically, so the number of
  // allocations is logarithmic in the steps taken), from room for the steps a small run takes, so that such a run
  // allocates it once instead of at every doubling.
  std::vector<double> Q(n);
  const std::size_t room = std::min({steps, kLanczosRoomSteps, std::max<std::size_t>(1, kLanczosRoomBytes / (8 * n))});
  Q.reserve(room * n);
  // Everything else the run keeps, for as many steps as it can take (O(steps) doubles), in one allocation: T_j's
  // diagonal α and off-diagonal β, the coefficients of the reorthogonalisation, QL's copies d and e and its
  // work z (or topEigenpair's, 2j doubles), and w.
  const std::size_t most = std::min(n, steps);
  std::vector<double> work(7 * most + n);
  double* const alpha = work.data();
  double* const beta = alpha + most;
  double* const coef = beta + most;
  double* const d = coef + most;
  double* const e = d + most;
  double* const z = e + most;
  double* const w = z + 2 * most;

  // E's entries are scaled by c (exactly) so that its Gram neither overflows nor underflows: θ is λ·c².
  const double c = scaleFor(maxAbs);

  // q_0: the hashed start vector, normalised.
  for (std::size_t i = 0; i < n; ++i) Q[i] = lanczosStart(static_cast<std::uint32_t>(i));
  const double norm0 = std::sqrt(dot(Q.data(), Q.data(), n));
  for (std::size_t i = 0; i < n; ++i) Q[i] = Q[i] / norm0;

  bool unchecked = false;  // the next step goes unchecked (kLanczosSkipAbove)
  for (std::size_t j = 1;; ++j) {
    // Step j: w = G q_{j−1}, orthogonalised twice against q_0 … q_{j−1} (classical Gram–Schmidt). In floating
    // point the three-term recurrence alone loses orthogonality and yields spurious copies of the top Ritz value.
    // On c·E (scaleOf): w = c·G(c·q_{j−1}); the product reads its input before it writes w, so w may hold it.
    for (std::size_t i = 0; i < n; ++i) w[i] = Q[(j - 1) * n + i] * c;
    gram.apply(w, w);
    for (std::size_t i = 0; i < n; ++i) w[i] = w[i] * c;
    for (int pass = 0; pass < 2; ++pass) {
      mulAx(Q.data(), w, coef, j, n);             // coef = Q·w
      if (pass == 0) alpha[j - 1] = coef[j - 1];  // α_j = q_{j−1}·G q_{j−1}
      subAtx(Q.data(), coef, w, j, n);            // w ← w − Qᵀ·coef
    }
    const double b = std::sqrt(dot(w, w, n));
    beta[j - 1] = b;

    const bool last = b <= kLanczosBreakdown || j == most;
    if (unchecked && !last) {
      unchecked = false;
    } else {
      // θ, the largest eigenvalue of the j×j tridiagonal T_j (α on the diagonal, β_1 … β_{j−1} beside it), and s,
      // the last component of its unit eigenvector: by Laguerre's method, O(j) per check; by QL where that cannot
      // vouch for its result.
      double theta, s;
      bool secondBelow;
      if (topEigenpair(alpha, beta, j, z, &theta, &s)) {
        // The count only where lanczosConverged would use it.
        secondBelow = j > 1 && b * s <= kLanczosGapFrom * theta &&
                      eigenvaluesAbove(alpha, beta, j, katoTempleBound(b * s, theta)) == 1;
      } else {
        // Every eigenvalue of T_j and the last components of its unit eigenvectors, on copies (QL destroys its
        // input).
        std::copy(alpha, alpha + j, d);
        std::copy(beta, beta + j - 1, e);
        tridiagonalEigen(d, e, z, j);
        const std::size_t top = argmax(d, j, 1);
        theta = d[top];
        s = std::fabs(z[top]);
        secondBelow = j > 1 && secondLargest(d, j, top) <= katoTempleBound(b * s, theta);
      }
      if (lanczosConverged(b * s, theta, secondBelow) || last) return std::sqrt(std::max(theta, 0.0)) / c;
      unchecked = b * s > kLanczosSkipAbove * theta;
    }
    appendLanczosVector(Q, w, b, j, n);
  }
}

}  // namespace

double residualSpectralNorm(Team& team, const double* E, std::size_t K, std::size_t N, double maxAbs) {
  return lanczos(team, E, K, N, maxAbs);
}
double residualSpectralNorm(Team& team, const float* E, std::size_t K, std::size_t N, double maxAbs) {
  return lanczos(team, E, K, N, maxAbs);
}

}  // namespace nmf
