#include "fit.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

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

// The crossover between the two kernels, measured (docs/kernels.md, "Choosing the kernel"): on the 2-core
// development machine the fused sweep was 0–11% faster than the plain kernel from V = 8 MB up (1025×2000 R 32:
// 9.82 vs 10.56 ms in float64, level in float32 on 1 thread, 3.08 vs 3.43 ms on 2; 4096×4096 R 64: 132.8 vs 135.9
// ms in float64, 62.2 vs 70.0 ms in float32; 500×20000 R 20 level to 2%), and neither was ahead by more than the
// ±4% noise below 4 MB (64×64 to 1024×256, 512×512).
namespace {

// A block of the fused sweep fills at least this much of V and W: half of the 1 MiB L2 of the development machine.
constexpr std::size_t kBlockBytes = 512 * 1024;

// The fused sweep is chosen for V of at least this many bytes (and at least two blocks).
constexpr double kFusedMinBytes = 4.0 * 1024 * 1024;

// Rows of V per block of the fused sweep when none were asked for: at least 4R rows (each block's BLAS calls pass
// over all of H and WᵀV, R×N each, and pack H, so a block must be tall beside R: blocks of 2R to 8R rows ran
// alike, while L2-sized blocks ran up to 1.7× slower than the plain kernel: 4096×4096 R 64 float64 in blocks of
// 15 rows, 247 vs 146 ms; 500×20000 R 20 in blocks of 8, 46.5 vs 40.2 ms), and at least as many as fill
// kBlockBytes, and at least 8.
std::size_t autoBlockRows(std::size_t N, std::size_t R, std::size_t bytes) {
  return std::max({std::size_t{8}, 4 * R, kBlockBytes / ((N + R) * bytes)});
}

// Whether the automatic choice is the fused sweep: V large enough and at least two blocks.
bool fusedIsFaster(std::size_t K, std::size_t N, std::size_t R, Dtype dtype) {
  const double vBytes = static_cast<double>(K) * static_cast<double>(N) * static_cast<double>(elementBytes(dtype));
  return vBytes >= kFusedMinBytes && K >= 2 * autoBlockRows(N, R, elementBytes(dtype));
}

}  // namespace

std::size_t chooseBlockRows(std::size_t K, std::size_t N, std::size_t R, Dtype dtype, Kernel kernel,
                            std::size_t blockRows) {
  if (kernel == Kernel::Plain || (kernel == Kernel::Auto && !fusedIsFaster(K, N, R, dtype))) return 0;
  const std::size_t rows = blockRows > 0 ? blockRows : autoBlockRows(N, R, elementBytes(dtype));
  return std::max<std::size_t>(1, std::min(rows, K));
}

void checkFitSizes(std::size_t K, std::size_t N, std::size_t R, Dtype dtype) {
  if (K == 0 || N == 0 || R == 0) {
    throw std::invalid_argument("rows, cols and rank must be at least 1, got " + shape(K, N, R));
  }
  // The BLAS takes every dimension (and leading dimension) as a blas_int, usually 32-bit.
  const auto blasMax = static_cast<std::size_t>(std::numeric_limits<blas_int>::max());
  if (K > blasMax || N > blasMax || R > blasMax) {
    throw std::length_error("matrix too large: " + shape(K, N, R) + " exceeds the BLAS dimension limit of " +
                            std::to_string(blasMax));
  }
  // Everything the constructor allocates at most (the plain kernel; the fused one needs less): V; W and three K×R
  // buffers; H and three R×N buffers; three R×R — all of the fit's dtype — and, in float64, the R×R change Gram
  // and kWideChunk·R doubles of widening scratch.
  const std::size_t KR = checkedMul(K, R, K, N, R);
  const std::size_t RN = checkedMul(R, N, K, N, R);
  const std::size_t RR = checkedMul(R, R, K, N, R);
  std::size_t elements = checkedMul(K, N, K, N, R);
  elements = checkedAdd(elements, checkedMul(KR, 4, K, N, R), K, N, R);
  elements = checkedAdd(elements, checkedMul(RN, 4, K, N, R), K, N, R);
  elements = checkedAdd(elements, checkedMul(RR, 3, K, N, R), K, N, R);
  const std::size_t doubles = checkedAdd(RR, checkedMul(kWideChunk, R, K, N, R), K, N, R);
  std::size_t bytes = checkedMul(elements, elementBytes(dtype), K, N, R);
  bytes = checkedAdd(bytes, checkedMul(doubles, sizeof(double), K, N, R), K, N, R);
  // std::vector cannot hold more than PTRDIFF_MAX bytes.
  if (bytes > static_cast<std::size_t>(std::numeric_limits<std::ptrdiff_t>::max())) tooLarge(K, N, R);
}

namespace {

// X ← X ⊙ (num ⊘ (den + eps)) over `count` entries, and at the same time change ← X_new − X_old. The factor is
// formed as libfmp does: x · (num / (den + eps)).
template <typename T>
void updateFactor(T* X, const T* num, const T* den, T* change, std::size_t count, T eps) {
  for (std::size_t i = 0; i < count; ++i) {
    const T x = X[i];
    const T xn = x * (num[i] / (den[i] + eps));
    X[i] = xn;
    change[i] = xn - x;
  }
}

// For each column r of W whose maximum is > 0: divide the column by it and multiply row r of H by it.
template <typename T>
void normalizeMax(T* W, T* H, std::size_t K, std::size_t N, std::size_t R) {
  for (std::size_t r = 0; r < R; ++r) {
    T m = W[r];
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

// The same for a float32 fit, with W·H and the subtraction in float64 and only E rounded to float32, so that E is
// accurate relative to itself, not to V (a small residual would otherwise drown in V's rounding). W and H are
// widened once, into buffers allocated here (finish runs once; they are small beside V).
void formResidual(float* V, const float* W, const float* H, float*, std::size_t K, std::size_t N, std::size_t R) {
  const std::vector<double> Wd(W, W + K * R);
  const std::vector<double> Hd(H, H + R * N);
  std::vector<double> scratch(R * N);
  for (std::size_t i0 = 0; i0 < K; i0 += R) {
    const std::size_t rows = std::min(R, K - i0);
    mulSmallInner(Wd.data() + i0 * R, Hd.data(), scratch.data(), rows, R, N);
    float* e = V + i0 * N;
    for (std::size_t i = 0; i < rows * N; ++i) e[i] = static_cast<float>(static_cast<double>(e[i]) - scratch[i]);
  }
}

// sqrt(Σ x²) over `count` entries, summed in float64, on c·X (scaleOf: exact, and no square overflows or
// underflows), divided by c.
template <typename T>
double frobenius(const T* X, std::size_t count) {
  const double c = scaleOf(X, count);
  double s = 0.0;
  for (std::size_t i = 0; i < count; ++i) {
    const double x = static_cast<double>(X[i]) * c;
    s += x * x;
  }
  return std::sqrt(s) / c;
}

// A fit whose matrices are stored and multiplied in T (double or float).
template <typename T>
class FitOf final : public Fit {
 public:
  FitOf(std::size_t K, std::size_t N, std::size_t R, const double* V, const double* W, const double* H, double eps,
        double tol, std::size_t blockRows)
      : Fit(K, N, R, blockRows),
        eps_(static_cast<T>(eps)),
        tol_(tol),
        V_(V, V + K * N),
        W_(W, W + K * R),
        H_(H, H + R * N),
        dH_(R * N),
        numH_(R * N),
        denH_(R * N),
        // K×R for the plain kernel; one block (blockRows×R) for the fused sweep, which finishes a block of W
        // before the next.
        dW_((blockRows > 0 ? blockRows : K) * R),
        numW_(dW_.size()),
        denW_(dW_.size()),
        rr_(R * R),
        wtw_(blockRows > 0 ? R * R : 0),
        gram_(R * R),
        wide_(sizeof(T) < sizeof(double) ? kWideChunk * R : 0) {}

 private:
  // One iteration of the plain kernel: H update, W update (with the new H), then the spectral norms of both
  // changes. Reads V twice (WᵀV, VHᵀ).
  void iteratePlain(double* hOut, double* wOut) {
    const std::size_t K = K_, N = N_, R = R_;
    const T* V = V_.data();
    T* W = W_.data();
    T* H = H_.data();
    T* RR = rr_.data();
    double* G = gram_.data();

    // H ← H ⊙ (WᵀV) ⊘ ((WᵀW)H + eps); ΔH ← H − H_old.
    mulAtB(W, V, numH_.data(), R, K, N);
    gramAtA(W, RR, K, R);
    mulSmallInner(RR, H, denH_.data(), R, R, N);
    updateFactor(H, numH_.data(), denH_.data(), dH_.data(), R * N, eps_);

    // W ← W ⊙ (VHᵀ) ⊘ (W(HHᵀ) + eps) with the new H; ΔW ← W − W_old.
    mulABt(V, H, numW_.data(), K, N, R);
    gramAAt(H, RR, R, N);
    mulSmallInner(W, RR, denW_.data(), K, R, R);
    updateFactor(W, numW_.data(), denW_.data(), dW_.data(), K * R, eps_);

    // hChange = ‖ΔH‖₂ from the R×R Gram ΔHΔHᵀ, wChange from ΔWᵀΔW (float64).
    changeGramAAt(dH_.data(), G, R, N, wide_.data());
    *hOut = largestSingularValueFromGram(G, R);
    changeGramAtA(dW_.data(), G, K, R, wide_.data());
    *wOut = largestSingularValueFromGram(G, R);
  }

  // One iteration of the fused kernel: the same updates, but V is read once, by a sweep over blocks of its rows
  // that updates W block by block and accumulates WᵀV and WᵀW of the new W for the next iteration's H update,
  // and ΔWᵀΔW for wChange. The first iteration gets WᵀV and WᵀW of the initial W from one extra pass (prime).
  void iterateFused(double* hOut, double* wOut) {
    const std::size_t K = K_, N = N_, R = R_, B = blockRows_;
    const T* V = V_.data();
    T* W = W_.data();
    T* H = H_.data();
    T* numH = numH_.data();
    T* WtW = wtw_.data();
    T* HHt = rr_.data();
    double* G = gram_.data();
    if (!primed_) {
      mulAtB(W, V, numH, R, K, N);
      gramAtA(W, WtW, K, R);
      primed_ = true;
    }

    // H ← H ⊙ (WᵀV) ⊘ ((WᵀW)H + eps) with WᵀV and WᵀW from the last sweep; ΔH ← H − H_old; hChange.
    mulSmallInner(WtW, H, denH_.data(), R, R, N);
    updateFactor(H, numH, denH_.data(), dH_.data(), R * N, eps_);
    changeGramAAt(dH_.data(), G, R, N, wide_.data());
    *hOut = largestSingularValueFromGram(G, R);

    // The sweep: for each block of rows i, W_i ← W_i ⊙ (V_iHᵀ) ⊘ (W_i(HHᵀ) + eps); then, with the new W_i,
    // ΔWᵀΔW += ΔW_iᵀΔW_i, WᵀV += W_iᵀV_i and WᵀW += W_iᵀW_i.
    gramAAt(H, HHt, R, N);
    for (std::size_t i0 = 0; i0 < K; i0 += B) {
      const std::size_t rows = std::min(B, K - i0);
      const bool first = i0 == 0;
      const T* Vi = V + i0 * N;
      T* Wi = W + i0 * R;
      mulABt(Vi, H, numW_.data(), rows, N, R);
      mulSmallInner(Wi, HHt, denW_.data(), rows, R, R);
      updateFactor(Wi, numW_.data(), denW_.data(), dW_.data(), rows * R, eps_);
      changeGramAtAAdd(dW_.data(), G, rows, R, wide_.data(), first);
      mulAtBAdd(Wi, Vi, numH, R, rows, N, first);
      gramAtAAdd(Wi, WtW, rows, R, first);
    }
    mirrorUpperToLower(WtW, R);
    mirrorUpperToLower(G, R);
    *wOut = largestSingularValueFromGram(G, R);
  }

 public:
  std::size_t run(std::size_t steps, double* hOut, double* wOut) override {
    std::size_t done = 0;
    while (done < steps) {
      // Checked before each iteration, so a cancel takes effect after the iteration in progress.
      if (cancelRequested_.load(std::memory_order_relaxed)) break;
      double* h = hOut + done;
      double* w = wOut + done;
      if (blockRows_ > 0) iterateFused(h, w);
      else iteratePlain(h, w);
      done++;
      if (*h < tol_ && *w < tol_) break;
    }
    return done;
  }

  FitErrors finish(bool normalize) override {
    if (!residualFormed_) {
      if (normalize) normalizeMax(W_.data(), H_.data(), K_, N_, R_);
      formResidual(V_.data(), W_.data(), H_.data(), dH_.data(), K_, N_, R_);
      frobenius_ = frobenius(V_.data(), K_ * N_);
      residualFormed_ = true;
    }
    return FitErrors{residualSpectralNorm(V_.data(), K_, N_), frobenius_};
  }

  void copyW(double* out) const override { std::copy(W_.begin(), W_.end(), out); }
  void copyH(double* out) const override { std::copy(H_.begin(), H_.end(), out); }

  std::size_t bytes() const override {
    std::size_t elements = 0;
    for (const auto* b : {&V_, &W_, &H_, &dH_, &numH_, &denH_, &dW_, &numW_, &denW_, &rr_, &wtw_}) {
      elements += b->size();
    }
    return elements * sizeof(T) + (gram_.size() + wide_.size()) * sizeof(double);
  }

 private:
  const T eps_;
  const double tol_;

  std::vector<T> V_;     // K×N (becomes E = V − W·H in finish)
  std::vector<T> W_;     // K×R
  std::vector<T> H_;     // R×N
  std::vector<T> dH_;    // R×N: the change H − H_old of the last iteration (scratch of formResidual)
  std::vector<T> numH_;  // R×N: WᵀV (fused: accumulated by the sweep for the next iteration)
  std::vector<T> denH_;  // R×N: (WᵀW)H
  std::vector<T> dW_;    // K×R (fused: one block): the change W − W_old
  std::vector<T> numW_;  // K×R (fused: one block): VHᵀ
  std::vector<T> denW_;  // K×R (fused: one block): W(HHᵀ)
  std::vector<T> rr_;    // R×R: WᵀW, then HHᵀ (fused: HHᵀ only)
  std::vector<T> wtw_;   // R×R, fused only: WᵀW, accumulated by the sweep for the next iteration
  std::vector<double> gram_;  // R×R: Gram of a change, float64 (destroyed by Jacobi)
  std::vector<double> wide_;  // float32 only: kWideChunk·R doubles to widen a change into

  bool primed_ = false;  // fused: numH_ and wtw_ hold WᵀV and WᵀW of the current W
  bool residualFormed_ = false;
  double frobenius_ = 0.0;
};

}  // namespace

std::unique_ptr<Fit> Fit::create(std::size_t K, std::size_t N, std::size_t R, const double* V, const double* W,
                                 const double* H, double eps, double tol, Dtype dtype, std::size_t blockRows) {
  checkFitSizes(K, N, R, dtype);  // before anything is allocated
  if (dtype == Dtype::Float32) return std::make_unique<FitOf<float>>(K, N, R, V, W, H, eps, tol, blockRows);
  return std::make_unique<FitOf<double>>(K, N, R, V, W, H, eps, tol, blockRows);
}

}  // namespace nmf
