// NMFD kernels (nmfd.h). The products are shifted GEMMs on the BLAS: shift(H, t) is H's first N − t columns placed
// at column t, so W_t·shift(H, t) adds into columns t … N − 1 of Λ, and Q·shift(H, t)ᵀ and W_tᵀ·shift(Q, −t) read
// columns t … N − 1 of Q; no shifted copy is formed. Each product is split over the team by rows of its result (or
// columns, for W_tᵀ·Q, whose rows are the R components), each part computed as the whole would be.
#include "nmfd.h"

#include <algorithm>
#include <cmath>

#include "blas.h"

namespace nmf {

namespace {

blas_int bi(std::size_t n) { return static_cast<blas_int>(n); }

// Σ over [0, count) of part(i0, i1), each team member summing its share, the shares added in member order.
template <typename Part>
double sumShares(Team& team, std::size_t count, const Part& part) {
  double partial[kMaxTeamThreads] = {};
  team.run([&](std::size_t member) {
    const Share s = split(count, team.size(), member);
    if (s.end > s.begin) partial[member] = part(s.begin, s.end);
  });
  double sum = 0.0;
  for (std::size_t m = 0; m < team.size(); ++m) sum += partial[m];
  return sum;
}

}  // namespace

double nmfdScale(double* V, double* H, const NmfdSizes& z, double eps) {
  double total = 0.0;
  for (std::size_t i = 0; i < z.K * z.N; ++i) total += V[i];
  const double scale = eps + total;
  for (std::size_t i = 0; i < z.K * z.N; ++i) V[i] /= scale;
  for (std::size_t i = 0; i < z.R * z.N; ++i) H[i] /= scale;
  return scale;
}

void nmfdModel(Team& team, const double* W, const double* H, double* L, const NmfdSizes& z, double eps) {
  const std::size_t K = z.K, N = z.N, R = z.R;
  team.forEach(K, [&](std::size_t i0, std::size_t i1) {
    std::fill(L + i0 * N, L + i1 * N, 0.0);
    for (std::size_t t = 0; t < z.T; ++t) {
      cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, bi(i1 - i0), bi(N - t), bi(R), 1.0, W + t * K * R + i0 * R,
                  bi(R), H, bi(N), 1.0, L + i0 * N + t, bi(N));
    }
    for (std::size_t i = i0 * N; i < i1 * N; ++i) L[i] += eps;
  });
}

double nmfdDivergence(Team& team, const double* V, const double* L, std::size_t count) {
  return sumShares(team, count, [&](std::size_t i0, std::size_t i1) {
    double sum = 0.0;
    for (std::size_t i = i0; i < i1; ++i) {
      const double v = V[i], l = L[i];
      sum += (v > 0 ? v * std::log(v / l) : 0.0) - v + l;
    }
    return sum;
  });
}

double nmfdResidualNorm(Team& team, const double* V, const double* L, std::size_t count, double eps) {
  return std::sqrt(sumShares(team, count, [&](std::size_t i0, std::size_t i1) {
    double sum = 0.0;
    for (std::size_t i = i0; i < i1; ++i) {
      const double e = V[i] - (L[i] - eps);
      sum += e * e;
    }
    return sum;
  }));
}

void nmfdIterate(Team& team, const NmfdBuffers& b, const NmfdSizes& z, double eps, bool updateW, bool updateH,
                 double* hChange, double* wChange) {
  const std::size_t K = z.K, N = z.N, R = z.R, T = z.T;
  nmfdModel(team, b.W, b.H, b.L, z, eps);
  team.forEach(K * N, [&](std::size_t i0, std::size_t i1) {
    for (std::size_t i = i0; i < i1; ++i) b.L[i] = b.V[i] / (b.L[i] + eps);
  });
  std::copy(b.W, b.W + T * K * R, b.oldW);
  std::fill(b.multH, b.multH + R * N, 0.0);
  for (std::size_t t = 0; t < T; ++t) {
    double* Wt = b.W + t * K * R;
    const std::size_t n = N - t;
    if (updateW) {
      team.forEach(K, [&](std::size_t i0, std::size_t i1) {
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, bi(i1 - i0), bi(R), bi(n), 1.0, b.L + i0 * N + t, bi(N),
                    b.H, bi(N), 0.0, b.numW + i0 * R, bi(R));
      });
      for (std::size_t r = 0; r < R; ++r) {
        double sum = 0.0;
        for (std::size_t j = 0; j < n; ++j) sum += b.H[r * N + j];
        b.sums[r] = sum + eps;
      }
      for (std::size_t k = 0; k < K; ++k) {
        for (std::size_t r = 0; r < R; ++r) Wt[k * R + r] *= b.numW[k * R + r] / b.sums[r];
      }
    }
    for (std::size_t r = 0; r < R; ++r) b.sums[r] = 0.0;
    for (std::size_t k = 0; k < K; ++k) {
      for (std::size_t r = 0; r < R; ++r) b.sums[r] += Wt[k * R + r];
    }
    for (std::size_t r = 0; r < R; ++r) b.sums[r] += eps;
    team.forEach(n, [&](std::size_t j0, std::size_t j1) {
      cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, bi(R), bi(j1 - j0), bi(K), 1.0, Wt, bi(R), b.L + t + j0,
                  bi(N), 0.0, b.WtQ + j0, bi(N));
      for (std::size_t r = 0; r < R; ++r) {
        for (std::size_t j = j0; j < j1; ++j) b.multH[r * N + j] += b.WtQ[r * N + j] / b.sums[r];
      }
    });
  }
  double dh = 0.0;
  if (updateH) {
    for (std::size_t i = 0; i < R * N; ++i) {
      const double old = b.H[i];
      b.H[i] = old * (b.multH[i] / static_cast<double>(T));
      dh += (b.H[i] - old) * (b.H[i] - old);
    }
  }
  for (std::size_t r = 0; r < R; ++r) b.sums[r] = 0.0;
  for (std::size_t t = 0; t < T; ++t) {
    for (std::size_t k = 0; k < K; ++k) {
      for (std::size_t r = 0; r < R; ++r) b.sums[r] += b.W[(t * K + k) * R + r];
    }
  }
  for (std::size_t r = 0; r < R; ++r) b.sums[r] = 1.0 / (eps + b.sums[r]);
  double dw = 0.0;
  for (std::size_t i = 0; i < T * K * R; ++i) {
    b.W[i] *= b.sums[i % R];
    dw += (b.W[i] - b.oldW[i]) * (b.W[i] - b.oldW[i]);
  }
  *hChange = std::sqrt(dh);
  *wChange = std::sqrt(dw);
}

}  // namespace nmf
