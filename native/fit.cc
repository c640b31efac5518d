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

void checkFitSizes(std::size_t K, std::size_t N, std::size_t R, Dtype dtype, const Algorithm& algorithm) {
  if (K == 0 || N == 0 || R == 0) {
    throw std::invalid_argument("rows, cols and rank must be at least 1, got " + shape(K, N, R));
  }
  // The BLAS takes every dimension (and leading dimension) as a blas_int, usually 32-bit.
  const auto blasMax = static_cast<std::size_t>(std::numeric_limits<blas_int>::max());
  if (K > blasMax || N > blasMax || R > blasMax) {
    throw std::length_error("matrix too large: " + shape(K, N, R) + " exceeds the BLAS dimension limit of " +
                            std::to_string(blasMax));
  }
  // Everything the constructor allocates at most (the plain kernel; the fused one needs less): V and the
  // algorithm's K×N buffers (Λ/P, Q, mask: ratioBuffers); W and three K×R buffers; H and three R×N buffers; three
  // R×R — all of the fit's dtype — and, in float64, the R×R change Gram and kWideChunk·R doubles of widening
  // scratch; R bytes of fixed-column flags.
  const std::size_t KR = checkedMul(K, R, K, N, R);
  const std::size_t RN = checkedMul(R, N, K, N, R);
  const std::size_t RR = checkedMul(R, R, K, N, R);
  const std::size_t KN = checkedMul(K, N, K, N, R);
  std::size_t elements = checkedMul(KN, checkedAdd(1, algorithm.ratioBuffers(), K, N, R), K, N, R);
  elements = checkedAdd(elements, checkedMul(KR, 4, K, N, R), K, N, R);
  elements = checkedAdd(elements, checkedMul(RN, 4, K, N, R), K, N, R);
  elements = checkedAdd(elements, checkedMul(RR, 3, K, N, R), K, N, R);
  const std::size_t doubles = checkedAdd(RR, checkedMul(kWideChunk, R, K, N, R), K, N, R);
  std::size_t bytes = checkedMul(elements, elementBytes(dtype), K, N, R);
  bytes = checkedAdd(bytes, checkedMul(doubles, sizeof(double), K, N, R), K, N, R);
  bytes = checkedAdd(bytes, R, K, N, R);
  // std::vector cannot hold more than PTRDIFF_MAX bytes.
  if (bytes > static_cast<std::size_t>(std::numeric_limits<std::ptrdiff_t>::max())) tooLarge(K, N, R);
}

namespace {

// E ← V − W·H in place of V (V is not needed after the loop, and a separate K×N residual would double the fit's
// memory at its end). W·H goes through the product kernel R rows at a time into the R×N scratch, and is then
// subtracted: W·H formed first and subtracted after, as numpy evaluates it. Returns Σ e² (float64), from which
// finish takes the Euclidean data term.
double formResidual(double* V, const double* W, const double* H, double* scratch, std::size_t K, std::size_t N,
                    std::size_t R) {
  double squares = 0.0;
  for (std::size_t i0 = 0; i0 < K; i0 += R) {
    const std::size_t rows = std::min(R, K - i0);
    mulSmallInner(W + i0 * R, H, scratch, rows, R, N);
    double* e = V + i0 * N;
    for (std::size_t i = 0; i < rows * N; ++i) {
      const double d = e[i] - scratch[i];
      e[i] = d;
      squares += d * d;
    }
  }
  return squares;
}

// The same for a float32 fit, with W·H and the subtraction in float64 and only E rounded to float32, so that E is
// accurate relative to itself, not to V (a small residual would otherwise drown in V's rounding). W and H are
// widened once, into buffers allocated here (finish runs once; they are small beside V). Σ e² is taken before
// the rounding.
double formResidual(float* V, const float* W, const float* H, float*, std::size_t K, std::size_t N,
                    std::size_t R) {
  const std::vector<double> Wd(W, W + K * R);
  const std::vector<double> Hd(H, H + R * N);
  std::vector<double> scratch(R * N);
  double squares = 0.0;
  for (std::size_t i0 = 0; i0 < K; i0 += R) {
    const std::size_t rows = std::min(R, K - i0);
    mulSmallInner(Wd.data() + i0 * R, Hd.data(), scratch.data(), rows, R, N);
    float* e = V + i0 * N;
    for (std::size_t i = 0; i < rows * N; ++i) {
      const double d = static_cast<double>(e[i]) - scratch[i];
      e[i] = static_cast<float>(d);
      squares += d * d;
    }
  }
  return squares;
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
//
// The products an iteration forms are tracked by "fresh" flags (this factor has not changed since the product
// was formed), so that none is formed twice: the Euclidean checkpoint's WᵀW of the new W is the next H
// half-step's Gram; a factor that is never updated (updateW/updateH false) keeps its products (WᵀV and WᵀW, or
// VHᵀ and HHᵀ) for the whole fit; Λ formed for a ratio-form checkpoint is the next half-step's Λ. A product
// formed again from the same factor has the same bits, so the flags change the cost, never the results.
template <typename T>
class FitOf final : public Fit {
 public:
  FitOf(std::size_t K, std::size_t N, std::size_t R, const double* V, const double* W, const double* H, double eps,
        double tol, std::size_t blockRows, const Algorithm& a)
      : Fit(K, N, R, blockRows),
        eps_(static_cast<T>(eps)),
        tol_(tol),
        beta_(a.beta),
        kind_(betaKind(a.beta)),
        gamma_(mmExponent(a.beta)),
        hals_(a.solver == Solver::Hals),
        ratio_(!a.gramForm()),
        updateW_(a.updateW),
        updateH_(a.updateH),
        stop_(a.stop),
        errorEvery_(a.errorEvery > 0 ? a.errorEvery : 1),
        l1W_(a.l1W),
        l2W_(a.l2W),
        l1H_(a.l1H),
        l2H_(a.l2H),
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
        wtw_(R * R),
        hht_(R * R),
        ghals_(hals_ ? R * R : 0),
        gram_(R * R),
        wide_(sizeof(T) < sizeof(double) ? kWideChunk * R : 0),
        lp_(ratio_ ? K * N : 0),
        q_(ratio_ && kind_ != BetaKind::KL ? K * N : 0),
        mask_(ratio_ && a.mask != nullptr ? K * N : 0),
        fixed_(a.fixedColumnsW != nullptr ? R : 0) {
    if (!mask_.empty()) std::copy(a.mask, a.mask + K * N, mask_.begin());
    bool anyFixed = false;
    for (std::size_t r = 0; r < fixed_.size(); ++r) {
      fixed_[r] = a.fixedColumnsW[r] != 0 ? 1 : 0;
      anyFixed = anyFixed || fixed_[r] != 0;
    }
    if (!anyFixed) fixed_.clear();
  }

 private:
  const T* maskData() const { return mask_.empty() ? nullptr : mask_.data(); }
  const std::uint8_t* fixedData() const { return fixed_.empty() ? nullptr : fixed_.data(); }

  // The factors changed: the products formed from them are stale.
  void hChanged() { hhtFresh_ = vhtFresh_ = lambdaFresh_ = false; }
  void wChanged() { wtwFresh_ = wtvFresh_ = lambdaFresh_ = false; }

  // WᵀV into numH_ and WᵀW into wtw_, unless they are those of the current W.
  void formWProducts() {
    if (!wtvFresh_) mulAtB(W_.data(), V_.data(), numH_.data(), R_, K_, N_);
    if (!wtwFresh_) gramAtA(W_.data(), wtw_.data(), K_, R_);
    wtvFresh_ = wtwFresh_ = true;
  }

  // VHᵀ into numW_ and HHᵀ into hht_, unless they are those of the current H (plain kernel only: the fused
  // sweep's numW_ holds one block).
  void formHProducts() {
    if (!vhtFresh_) mulABt(V_.data(), H_.data(), numW_.data(), K_, N_, R_);
    if (!hhtFresh_) gramAAt(H_.data(), hht_.data(), R_, N_);
    vhtFresh_ = hhtFresh_ = true;
  }

  // ghals_ ← G + l2·I: HALS's Gram with the L2 penalty on the diagonal; G itself stays unpenalised for the
  // objective.
  const T* halsGram(const T* G, double l2) {
    std::copy(G, G + R_ * R_, ghals_.begin());
    const T shift = static_cast<T>(l2);
    for (std::size_t k = 0; k < R_; ++k) ghals_[k * R_ + k] = ghals_[k * R_ + k] + shift;
    return ghals_.data();
  }

  // The MU step of a ratio-form half-step: KL with L2 takes its exact MM step, everything else updateMu.
  void muStep(T* X, const T* num, const T* den, T* change, std::size_t rows, std::size_t cols, double l1, double l2,
              const std::uint8_t* fixed) {
    if (kind_ == BetaKind::KL && l2 > 0) {
      updateMuKlL2(X, num, den, change, rows, cols, eps_, static_cast<T>(l1), static_cast<T>(l2), fixed);
    } else {
      updateMu(X, num, den, change, rows, cols, eps_, static_cast<T>(l1), static_cast<T>(l2), gamma_, fixed);
    }
  }

  // hChange = ‖ΔH‖₂ from the R×R Gram ΔHΔHᵀ, wChange from ΔWᵀΔW (float64).
  double hChangeNorm() {
    changeGramAAt(dH_.data(), gram_.data(), R_, N_, wide_.data());
    return largestSingularValueFromGram(gram_.data(), R_);
  }
  double wChangeNorm() {
    changeGramAtA(dW_.data(), gram_.data(), K_, R_, wide_.data());
    return largestSingularValueFromGram(gram_.data(), R_);
  }

  // One iteration of the plain kernel in the Gram form, MU or HALS: H half-step, W half-step with the new H, then
  // the spectral norms of both changes (0 for a factor not updated). Reads V twice (WᵀV, VHᵀ), or not at all
  // for a factor that is never updated (its products are kept).
  void iteratePlain(double* hOut, double* wOut) {
    const std::size_t K = K_, N = N_, R = R_;
    T* W = W_.data();
    T* H = H_.data();
    if (updateH_) {
      formWProducts();
      if (hals_) {
        // The H sweep: G = WᵀW + l2H·I, B = WᵀV − l1H; denH_ is its scratch row.
        halsSweepRows(H, halsGram(wtw_.data(), l2H_), numH_.data(), dH_.data(), R, N, static_cast<T>(l1H_),
                      denH_.data());
      } else {
        // H ← H ⊙ (WᵀV) ⊘ ((WᵀW)H + l1H + l2H·H + eps).
        mulSmallInner(wtw_.data(), H, denH_.data(), R, R, N);
        updateMu(H, numH_.data(), denH_.data(), dH_.data(), R, N, eps_, static_cast<T>(l1H_), static_cast<T>(l2H_),
                 1.0, nullptr);
      }
      hChanged();
    }
    if (updateW_) {
      formHProducts();
      if (hals_) {
        halsSweepColumns(W, halsGram(hht_.data(), l2W_), numW_.data(), dW_.data(), K, R, static_cast<T>(l1W_),
                         fixedData());
      } else {
        // W ← W ⊙ (VHᵀ) ⊘ (W(HHᵀ) + l1W + l2W·W + eps) with the new H.
        mulSmallInner(W, hht_.data(), denW_.data(), K, R, R);
        updateMu(W, numW_.data(), denW_.data(), dW_.data(), K, R, eps_, static_cast<T>(l1W_), static_cast<T>(l2W_),
                 1.0, fixedData());
      }
      wChanged();
    }
    *hOut = updateH_ ? hChangeNorm() : 0.0;
    *wOut = updateW_ ? wChangeNorm() : 0.0;
  }

  // One iteration of the fused kernel (MU, Gram form, both factors updated): the same updates, but V is read
  // once, by a sweep over blocks of its rows that updates W block by block and accumulates WᵀV and WᵀW of the new
  // W for the next iteration's H update, and ΔWᵀΔW for wChange. The first iteration gets WᵀV and WᵀW of the
  // initial W from one extra pass.
  void iterateFused(double* hOut, double* wOut) {
    const std::size_t K = K_, N = N_, R = R_, B = blockRows_;
    const T* V = V_.data();
    T* W = W_.data();
    T* H = H_.data();
    T* numH = numH_.data();
    T* WtW = wtw_.data();
    T* HHt = hht_.data();
    double* G = gram_.data();
    const T l1W = static_cast<T>(l1W_), l2W = static_cast<T>(l2W_);
    formWProducts();

    // H ← H ⊙ (WᵀV) ⊘ ((WᵀW)H + l1H + l2H·H + eps) with WᵀV and WᵀW from the last sweep; ΔH; hChange.
    mulSmallInner(WtW, H, denH_.data(), R, R, N);
    updateMu(H, numH, denH_.data(), dH_.data(), R, N, eps_, static_cast<T>(l1H_), static_cast<T>(l2H_), 1.0,
             nullptr);
    hChanged();
    *hOut = hChangeNorm();

    // The sweep: for each block of rows i, W_i ← W_i ⊙ (V_iHᵀ) ⊘ (W_i(HHᵀ) + l1W + l2W·W_i + eps); then, with
    // the new W_i, ΔWᵀΔW += ΔW_iᵀΔW_i, WᵀV += W_iᵀV_i and WᵀW += W_iᵀW_i.
    gramAAt(H, HHt, R, N);
    for (std::size_t i0 = 0; i0 < K; i0 += B) {
      const std::size_t rows = std::min(B, K - i0);
      const bool first = i0 == 0;
      const T* Vi = V + i0 * N;
      T* Wi = W + i0 * R;
      mulABt(Vi, H, numW_.data(), rows, N, R);
      mulSmallInner(Wi, HHt, denW_.data(), rows, R, R);
      updateMu(Wi, numW_.data(), denW_.data(), dW_.data(), rows, R, eps_, l1W, l2W, 1.0, fixedData());
      changeGramAtAAdd(dW_.data(), G, rows, R, wide_.data(), first);
      mulAtBAdd(Wi, Vi, numH, R, rows, N, first);
      gramAtAAdd(Wi, WtW, rows, R, first);
    }
    mirrorUpperToLower(WtW, R);
    mirrorUpperToLower(G, R);
    *wOut = largestSingularValueFromGram(G, R);
    // numH_ and wtw_ now hold WᵀV and WᵀW of the new W, hht_ HHᵀ of the new H; numW_ only the last block.
    wtvFresh_ = wtwFresh_ = hhtFresh_ = true;
    vhtFresh_ = lambdaFresh_ = false;
  }

  // Λ = W·H of the current factors into lp_, unless it is there already.
  void formLambda() {
    if (!lambdaFresh_) mulSmallInner(W_.data(), H_.data(), lp_.data(), K_, R_, N_);
    lambdaFresh_ = true;
  }

  // P (in place of Λ) and Q of the current factors.
  void formPQ() {
    formLambda();
    formRatios(V_.data(), maskData(), lp_.data(), lp_.data(), q_.empty() ? nullptr : q_.data(), K_ * N_, beta_,
               eps_);
    lambdaFresh_ = false;
  }

  // Q of the ratio form for the products: q_, or the mask for KL (Q = M); null for KL without a mask (Q ≡ 1, the
  // denominators are sums).
  const T* qData() const { return kind_ == BetaKind::KL ? maskData() : q_.data(); }

  // One iteration of the ratio form (β ≠ 2 or a mask; MU): H half-step with num = WᵀP, den = WᵀQ (Λ = W·H), W
  // half-step with num = P·Hᵀ, den = Q·Hᵀ (Λ = W·H_new), then the change norms.
  void iterateRatio(double* hOut, double* wOut) {
    const std::size_t K = K_, N = N_, R = R_;
    T* W = W_.data();
    T* H = H_.data();
    if (updateH_) {
      formPQ();
      mulAtB(W, lp_.data(), numH_.data(), R, K, N);
      if (const T* Q = qData()) mulAtB(W, Q, denH_.data(), R, K, N);
      else columnSums(W, K, R, denH_.data(), N);
      muStep(H, numH_.data(), denH_.data(), dH_.data(), R, N, l1H_, l2H_, nullptr);
      hChanged();
    }
    if (updateW_) {
      formPQ();
      mulABt(lp_.data(), H, numW_.data(), K, N, R);
      if (const T* Q = qData()) mulABt(Q, H, denW_.data(), K, N, R);
      else rowSums(H, R, N, denW_.data(), K);
      muStep(W, numW_.data(), denW_.data(), dW_.data(), K, R, l1W_, l2W_, fixedData());
      wChanged();
    }
    *hOut = updateH_ ? hChangeNorm() : 0.0;
    *wOut = updateW_ ? wChangeNorm() : 0.0;
  }

  double penalties() const {
    return penaltySum(W_.data(), K_ * R_, l1W_, l2W_) + penaltySum(H_.data(), R_ * N_, l1H_, l2H_);
  }

  // D of the current factors, explicitly from Λ = W·H: in the ratio form into lp_ (kept for the next half-step);
  // in the Gram form R rows of Λ at a time into the R×N scratch dH_ (free between iterations).
  double explicitDivergence() {
    if (ratio_) {
      formLambda();
      return divergenceSum(V_.data(), maskData(), lp_.data(), K_ * N_, beta_, static_cast<double>(eps_));
    }
    const std::size_t K = K_, N = N_, R = R_;
    double sum = 0.0;
    for (std::size_t i0 = 0; i0 < K; i0 += R) {
      const std::size_t rows = std::min(R, K - i0);
      mulSmallInner(W_.data() + i0 * R, H_.data(), dH_.data(), rows, R, N);
      sum += divergenceSum(V_.data() + i0 * N, static_cast<const T*>(nullptr), dH_.data(), rows * N, beta_, 0.0);
    }
    return sum;
  }

  // F of the current factors in a run (docs/algorithms.md §7). The ratio form evaluates D explicitly (and keeps
  // Λ for the next half-step). The Gram form takes the Euclidean term from products at hand: after a W half-step
  // (VHᵀ, W) with HHᵀ of that half-step and WᵀW of the new W, formed here (the next H half-step's Gram); after an
  // H half-step or the fused sweep (WᵀV, H) with its WᵀW and HHᵀ of the new H (formed here by the plain kernel,
  // at hand in the fused one).
  double checkpoint() {
    double d;
    if (ratio_) {
      d = explicitDivergence();
    } else if (vhtFresh_ && hhtFresh_) {
      if (!wtwFresh_) gramAtA(W_.data(), wtw_.data(), K_, R_);
      wtwFresh_ = true;
      d = euclideanFromProducts(normV2_, numW_.data(), W_.data(), K_ * R_, wtw_.data(), hht_.data(), R_);
    } else if (wtvFresh_ && wtwFresh_) {
      if (!hhtFresh_) gramAAt(H_.data(), hht_.data(), R_, N_);
      hhtFresh_ = true;
      d = euclideanFromProducts(normV2_, numH_.data(), H_.data(), R_ * N_, wtw_.data(), hht_.data(), R_);
    } else {
      d = explicitDivergence();
    }
    return d + penalties();
  }

  // Before the first iteration: ‖V‖² and F(W0, H0). The Gram form forms the products its first half-step needs
  // (WᵀV and WᵀW, or VHᵀ and HHᵀ when H is not updated) and takes F(W0, H0) from them with one O((K + N)·R²)
  // Gram more, instead of a product as large as an iteration's (the fit's first product is formed once either
  // way). The ratio form forms Λ = W0·H0, which the first half-step then uses.
  void start() {
    if (!ratio_) {
      normV2_ = sumSquares(V_.data(), K_ * N_);
      if (updateH_) formWProducts();
      else formHProducts();
    }
    initialObjective_ = checkpoint();
    previousObjective_ = initialObjective_;
    started_ = true;
  }

 public:
  std::size_t run(std::size_t steps, double* hOut, double* wOut, double* objOut) override {
    std::size_t done = 0;
    converged_ = false;
    while (done < steps) {
      // Checked before each iteration, so a cancel takes effect after the iteration in progress.
      if (cancelRequested_.load(std::memory_order_relaxed)) break;
      if (!started_) start();
      double* h = hOut + done;
      double* w = wOut + done;
      if (blockRows_ > 0) iterateFused(h, w);
      else if (ratio_) iterateRatio(h, w);
      else iteratePlain(h, w);
      done++;
      iteration_++;
      const bool isCheckpoint = iteration_ % errorEvery_ == 0;
      double objective = std::numeric_limits<double>::quiet_NaN();
      if (isCheckpoint && (objOut != nullptr || stop_ == StopRule::Objective)) objective = checkpoint();
      if (objOut != nullptr) objOut[done - 1] = objective;
      if (stop_ == StopRule::Change) {
        converged_ = *h < tol_ && *w < tol_;
      } else if (stop_ == StopRule::Objective && isCheckpoint) {
        const double previous = previousObjective_;
        converged_ = previous == 0 || (previous - objective) / previous < tol_;
        previousObjective_ = objective;
      }
      if (converged_) break;
    }
    return done;
  }

  FitErrors finish(Normalize normalize) override {
    if (!residualFormed_) {
      if (!started_) {
        initialObjective_ = explicitDivergence() + penalties();
        started_ = true;
      }
      // Only learned components are rescaled: a factor or column that is not updated is returned as given.
      if (updateW_ && updateH_) normalizeColumns(W_.data(), H_.data(), K_, N_, R_, normalize, fixedData());
      lambdaFresh_ = false;
      double d = ratio_ ? explicitDivergence() : 0.0;
      const double squares = formResidual(V_.data(), W_.data(), H_.data(), dH_.data(), K_, N_, R_);
      if (!ratio_) d = 0.5 * squares;
      objective_ = d + penalties();
      if (const T* M = maskData()) maskResidual(V_.data(), M, K_ * N_);
      frobenius_ = frobenius(V_.data(), K_ * N_);
      residualFormed_ = true;
    }
    return FitErrors{residualSpectralNorm(V_.data(), K_, N_), frobenius_, objective_, initialObjective_};
  }

  void copyW(double* out) const override { std::copy(W_.begin(), W_.end(), out); }
  void copyH(double* out) const override { std::copy(H_.begin(), H_.end(), out); }

  std::size_t bytes() const override {
    std::size_t elements = 0;
    for (const auto* b : {&V_, &W_, &H_, &dH_, &numH_, &denH_, &dW_, &numW_, &denW_, &wtw_, &hht_, &ghals_, &lp_,
                          &q_, &mask_}) {
      elements += b->size();
    }
    return elements * sizeof(T) + (gram_.size() + wide_.size()) * sizeof(double) + fixed_.size();
  }

 private:
  const T eps_;
  const double tol_;
  const double beta_;
  const BetaKind kind_;
  const double gamma_;      // γ(β); 1 in the Gram form
  const bool hals_;         // HALS (Gram form only), else MU
  const bool ratio_;        // the ratio form (β ≠ 2 or a mask), else the Gram form
  const bool updateW_;
  const bool updateH_;
  const StopRule stop_;
  const std::size_t errorEvery_;
  const double l1W_, l2W_, l1H_, l2H_;  // penalties (rounded to T where they meet T data)

  std::vector<T> V_;      // K×N (becomes E = V − W·H in finish)
  std::vector<T> W_;      // K×R
  std::vector<T> H_;      // R×N
  std::vector<T> dH_;     // R×N: the change H − H_old of the last iteration (scratch of formResidual and of the
                          // Gram form's explicit objective)
  std::vector<T> numH_;   // R×N: WᵀV or WᵀP (fused: accumulated by the sweep for the next iteration)
  std::vector<T> denH_;   // R×N: (WᵀW)H or WᵀQ (HALS: the sweep's scratch row)
  std::vector<T> dW_;     // K×R (fused: one block): the change W − W_old
  std::vector<T> numW_;   // K×R (fused: one block): VHᵀ or PHᵀ
  std::vector<T> denW_;   // K×R (fused: one block): W(HHᵀ) or QHᵀ
  std::vector<T> wtw_;    // R×R: WᵀW (fused: accumulated by the sweep for the next iteration)
  std::vector<T> hht_;    // R×R: HHᵀ
  std::vector<T> ghals_;  // R×R, HALS only: the Gram with l2 on the diagonal
  std::vector<double> gram_;  // R×R: Gram of a change, float64 (destroyed by Jacobi)
  std::vector<double> wide_;  // float32 only: kWideChunk·R doubles to widen a change into
  std::vector<T> lp_;     // K×N, ratio form only: Λ = W·H, replaced by P
  std::vector<T> q_;      // K×N, ratio form with β ≠ 1 only: Q
  std::vector<T> mask_;   // K×N, ratio form with a mask only: M
  std::vector<std::uint8_t> fixed_;  // R, only when some column of W is fixed: 1 = fixed

  // Which products hold those of the current factors (see the class comment).
  bool wtvFresh_ = false;     // numH_ = WᵀV
  bool wtwFresh_ = false;     // wtw_ = WᵀW
  bool vhtFresh_ = false;     // numW_ = VHᵀ (plain kernel)
  bool hhtFresh_ = false;     // hht_ = HHᵀ
  bool lambdaFresh_ = false;  // lp_ = Λ = W·H

  bool started_ = false;          // F(W0, H0) evaluated (and ‖V‖²)
  std::size_t iteration_ = 0;     // iterations since the fit began
  double normV2_ = 0.0;           // ‖V‖²_F (Gram form)
  double initialObjective_ = 0.0;
  double previousObjective_ = 0.0;  // F at the last checkpoint (or F(W0, H0)), for StopRule::Objective
  bool residualFormed_ = false;
  double frobenius_ = 0.0;
  double objective_ = 0.0;
};

}  // namespace

std::unique_ptr<Fit> Fit::create(std::size_t K, std::size_t N, std::size_t R, const double* V, const double* W,
                                 const double* H, double eps, double tol, Dtype dtype, std::size_t blockRows,
                                 const Algorithm& algorithm) {
  checkFitSizes(K, N, R, dtype, algorithm);  // before anything is allocated
  if (!algorithm.fusedAllowed()) blockRows = 0;
  if (dtype == Dtype::Float32) {
    return std::make_unique<FitOf<float>>(K, N, R, V, W, H, eps, tol, blockRows, algorithm);
  }
  return std::make_unique<FitOf<double>>(K, N, R, V, W, H, eps, tol, blockRows, algorithm);
}

}  // namespace nmf
