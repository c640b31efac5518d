#include "fit.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "blas.h"
#include "products.h"
#include "spectral.h"

namespace nmf {

namespace {

std::string shape(std::size_t K, std::size_t N, std::size_t R) {
  return std::to_string(K) + "×" + std::to_string(N) + " with rank " + std::to_string(R);
}

[[noreturn]] void tooLarge(std::size_t K, std::size_t N, std::size_t R) {
  throw std::length_error("matrix too large: " + shape(K, N, R) + " overflows the address space");
}

std::size_t checkedMul(std::size_t a, std::size_t b, std::size_t K, std::size_t N, std::size_t R) {
  if (a != 0 && b > std::numeric_limits<std::size_t>::max() / a) tooLarge(K, N, R);
  return a * b;
}

std::size_t checkedAdd(std::size_t a, std::size_t b, std::size_t K, std::size_t N, std::size_t R) {
  if (b > std::numeric_limits<std::size_t>::max() - a) tooLarge(K, N, R);
  return a + b;
}

}  // namespace

void checkFitSizes(std::size_t K, std::size_t N, std::size_t R) {
  if (K == 0 || N == 0 || R == 0) {
    throw std::invalid_argument("rows, cols and rank must be at least 1, got " + shape(K, N, R));
  }
  // The BLAS takes every dimension (and leading dimension) as a blas_int, usually 32-bit.
  const auto blasMax = static_cast<std::size_t>(std::numeric_limits<blas_int>::max());
  if (K > blasMax || N > blasMax || R > blasMax) {
    throw std::length_error("matrix too large: " + shape(K, N, R) + " exceeds the BLAS dimension limit of " +
                            std::to_string(blasMax));
  }
  // Everything the constructor allocates: V; W and three K×R buffers; H and three R×N buffers; two R×R.
  const std::size_t KR = checkedMul(K, R, K, N, R);
  const std::size_t RN = checkedMul(R, N, K, N, R);
  std::size_t doubles = checkedMul(K, N, K, N, R);
  doubles = checkedAdd(doubles, checkedMul(KR, 4, K, N, R), K, N, R);
  doubles = checkedAdd(doubles, checkedMul(RN, 4, K, N, R), K, N, R);
  doubles = checkedAdd(doubles, checkedMul(checkedMul(R, R, K, N, R), 2, K, N, R), K, N, R);
  // std::vector cannot hold more than PTRDIFF_MAX bytes.
  if (doubles > static_cast<std::size_t>(std::numeric_limits<std::ptrdiff_t>::max()) / sizeof(double)) {
    tooLarge(K, N, R);
  }
}

Fit::Fit(std::size_t K, std::size_t N, std::size_t R, const double* V, const double* W, const double* H, double eps,
         double tol)
    : K_((checkFitSizes(K, N, R), K)),  // checked before any member is allocated
      N_(N),
      R_(R),
      eps_(eps),
      tol_(tol),
      V_(V, V + K * N),
      W_(W, W + K * R),
      H_(H, H + R * N),
      hOld_(R * N),
      wOld_(K * R),
      numH_(R * N),
      denH_(R * N),
      numW_(K * R),
      denW_(K * R),
      rr_(R * R),
      gram_(R * R) {}

std::size_t Fit::bytes() const {
  std::size_t doubles = 0;
  for (const auto* buffer : {&V_, &W_, &H_, &hOld_, &wOld_, &numH_, &denH_, &numW_, &denW_, &rr_, &gram_}) {
    doubles += buffer->size();
  }
  return doubles * sizeof(double);
}

namespace {

// X ← X ⊙ (num ⊘ (den + eps)) over `count` entries, and at the same time change ← X_new − X_old. The factor is
// formed as libfmp does: x · (num / (den + eps)).
void updateFactor(double* X, const double* num, const double* den, double* change, std::size_t count, double eps) {
  for (std::size_t i = 0; i < count; ++i) {
    const double x = X[i];
    const double xn = x * (num[i] / (den[i] + eps));
    X[i] = xn;
    change[i] = xn - x;
  }
}

}  // namespace

void Fit::iterate(double* hOut, double* wOut) {
  const std::size_t K = K_, N = N_, R = R_;
  const double* V = V_.data();
  double* W = W_.data();
  double* H = H_.data();
  double* RR = rr_.data();
  double* G = gram_.data();

  // H ← H ⊙ (WᵀV) ⊘ ((WᵀW)H + eps); H_old ← H − H_old.
  mulAtB(W, V, numH_.data(), R, K, N);
  gramAtA(W, RR, K, R);
  mulSmallInner(RR, H, denH_.data(), R, R, N);
  updateFactor(H, numH_.data(), denH_.data(), hOld_.data(), R * N, eps_);

  // W ← W ⊙ (VHᵀ) ⊘ (W(HHᵀ) + eps) with the new H; W_old ← W − W_old.
  mulABt(V, H, numW_.data(), K, N, R);
  gramAAt(H, RR, R, N);
  mulSmallInner(W, RR, denW_.data(), K, R, R);
  updateFactor(W, numW_.data(), denW_.data(), wOld_.data(), K * R, eps_);

  // hChange = ‖H − H_old‖₂ from the R×R Gram (H − H_old)(H − H_old)ᵀ, wChange from (W − W_old)ᵀ(W − W_old).
  gramAAt(hOld_.data(), G, R, N);
  *hOut = largestSingularValueFromGram(G, R);
  gramAtA(wOld_.data(), G, K, R);
  *wOut = largestSingularValueFromGram(G, R);
}

std::size_t Fit::run(std::size_t steps, double* hOut, double* wOut) {
  std::size_t done = 0;
  while (done < steps) {
    // Checked before each iteration, so a cancel takes effect after the iteration in progress.
    if (cancelRequested_.load(std::memory_order_relaxed)) break;
    double* h = hOut + done;
    double* w = wOut + done;
    iterate(h, w);
    done++;
    if (*h < tol_ && *w < tol_) break;
  }
  return done;
}

namespace {

// For each column r of W whose maximum is > 0: divide the column by it and multiply row r of H by it.
void normalizeMax(double* W, double* H, std::size_t K, std::size_t N, std::size_t R) {
  for (std::size_t r = 0; r < R; ++r) {
    double m = W[r];
    for (std::size_t k = 1; k < K; ++k) m = std::max(m, W[k * R + r]);
    if (!(m > 0)) continue;
    for (std::size_t k = 0; k < K; ++k) W[k * R + r] = W[k * R + r] / m;
    for (std::size_t j = 0; j < N; ++j) H[r * N + j] = H[r * N + j] * m;
  }
}

// E ← V − W·H in place of V (V is not needed after the loop, and a separate K×N residual would double the fit's
// memory at its end). W·H goes through the product kernel R rows at a time into the R×N scratch, and is then
// subtracted: W·H formed first and subtracted after, as numpy evaluates it.
void formResidual(double* V, const double* W, const double* H, double* scratch, std::size_t K, std::size_t N,
                  std::size_t R) {
  for (std::size_t i0 = 0; i0 < K; i0 += R) {
    const std::size_t rows = std::min(R, K - i0);
    mulSmallInner(W + i0 * R, H, scratch, rows, R, N);
    double* e = V + i0 * N;
    for (std::size_t i = 0; i < rows * N; ++i) e[i] = e[i] - scratch[i];
  }
}

// sqrt(Σ x²) over `count` entries.
double frobenius(const double* X, std::size_t count) {
  double s = 0.0;
  for (std::size_t i = 0; i < count; ++i) s += X[i] * X[i];
  return std::sqrt(s);
}

}  // namespace

FitErrors Fit::finish(bool normalize) {
  if (!residualFormed_) {
    if (normalize) normalizeMax(W_.data(), H_.data(), K_, N_, R_);
    formResidual(V_.data(), W_.data(), H_.data(), hOld_.data(), K_, N_, R_);
    frobenius_ = frobenius(V_.data(), K_ * N_);
    residualFormed_ = true;
  }
  return FitErrors{residualSpectralNorm(V_.data(), K_, N_), frobenius_};
}

}  // namespace nmf
