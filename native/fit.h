// The state of one fit, one iteration (plain or fused), the run loop and finish (docs/kernels.md). Parallel to
// assembly/fit.ts.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "updates.h"

namespace nmf {

// The element type a fit stores and computes in (FitProblem.dtype). The change Grams, their eigen-solve and the
// final errors are float64 either way.
enum class Dtype { Float64, Float32 };

// Which iteration kernel a fit runs (FitProblem.kernel): chosen by size (Auto), the two-pass one (Plain) or the
// sweep that reads V once per iteration (Fused).
enum class Kernel { Auto, Plain, Fused };

inline std::size_t elementBytes(Dtype dtype) { return dtype == Dtype::Float32 ? 4 : 8; }

enum class Solver { Mu, Hals };

// The stop rule of run (docs/algorithms.md §6).
enum class StopRule { Change, Objective, None };

// What a fit minimises and how (FitAlgorithm in src/contract.ts, docs/algorithms.md §1–§7). The defaults are the
// seed: β = 2, MU, no penalties, both factors updated, nothing fixed, no mask, stop on change, errorEvery 1.
struct Algorithm {
  double beta = 2.0;
  Solver solver = Solver::Mu;
  double l1W = 0.0;
  double l2W = 0.0;
  double l1H = 0.0;
  double l2H = 0.0;
  bool updateW = true;
  bool updateH = true;
  // R entries, nonzero = column r of W is never updated; null: none fixed. Read (copied) by Fit::create only.
  const std::uint8_t* fixedColumnsW = nullptr;
  // K×N weights in [0, 1]; null: no mask. Read (copied, in the fit's dtype) by Fit::create only.
  const double* mask = nullptr;
  StopRule stop = StopRule::Change;
  std::size_t errorEvery = 1;

  // The updates have the Gram form (β = 2, no mask: num = WᵀV, den = (WᵀW)H …); otherwise the ratio form, which
  // forms Λ = W·H, P and Q (K×N each) every half-step.
  bool gramForm() const { return beta == 2 && mask == nullptr; }
  // The fused sweep computes MU in the Gram form with both factors updated (penalties and fixed columns only
  // change its per-entry step).
  bool fusedAllowed() const { return solver == Solver::Mu && gramForm() && updateW && updateH; }
  // K×N buffers beyond V: none for the Gram form; Λ (which P replaces), Q unless β = 1 (for KL, Q is the mask or
  // all ones), and the mask when there is one.
  std::size_t ratioBuffers() const {
    if (gramForm()) return 0;
    return 1 + (beta != 1 ? 1 : 0) + (mask != nullptr ? 1 : 0);
  }
};

// Rows of V per block of the fused sweep, or 0 for the plain kernel: `kernel` and `blockRows` (0 = automatic) as
// requested, decided by the measured crossover (fit.cc). assembly/fit.ts's chooseBlockRows has the same structure
// with the WebAssembly backend's own measurements.
std::size_t chooseBlockRows(std::size_t K, std::size_t N, std::size_t R, Dtype dtype, Kernel kernel,
                            std::size_t blockRows);

// Throws std::length_error("matrix too large: …") when a K×N fit of rank R cannot be represented: a dimension
// above the BLAS's integer limit, or a buffer size that overflows the address space (with dtype's element size,
// and the algorithm's extra K×N buffers). Allocates nothing (and reads only the algorithm's fields, not its
// arrays), so the glue can call it on any input before building a fit. Throws std::invalid_argument for a zero
// dimension.
void checkFitSizes(std::size_t K, std::size_t N, std::size_t R, Dtype dtype = Dtype::Float64,
                   const Algorithm& algorithm = Algorithm());

// What finish reports (KernelResult in src/contract.ts, besides the factors).
struct FitErrors {
  double spectral;          // ‖V − W·H‖₂
  double frobenius;         // ‖V − W·H‖_F
  double objective;         // F of the returned (normalised) factors, evaluated explicitly
  double initialObjective;  // F(W0, H0)
};

class Fit {
 public:
  // Copies V (K×N), W (K×R), H (R×N) and the algorithm's mask and fixed columns, rounded to float32 when dtype is
  // Float32, and allocates every buffer the iterations need, so that iterating never allocates. `blockRows` is
  // chooseBlockRows's answer (0: plain), ignored (plain) when the algorithm is not one the fused sweep computes.
  // Does O(K·N) work only (copies): creation runs on the JavaScript thread. Throws std::length_error (see
  // checkFitSizes) or std::bad_alloc.
  static std::unique_ptr<Fit> create(std::size_t K, std::size_t N, std::size_t R, const double* V, const double* W,
                                     const double* H, double eps, double tol, Dtype dtype, std::size_t blockRows,
                                     const Algorithm& algorithm = Algorithm());
  virtual ~Fit() = default;
  Fit(const Fit&) = delete;
  Fit& operator=(const Fit&) = delete;

  // Runs at most `steps` iterations, writing iteration i's norms to hOut[i] and wOut[i] and, when objOut is not
  // null, F after it to objOut[i] if it is a checkpoint (its 1-based number since the fit began is a multiple of
  // errorEvery), NaN otherwise. Stops after the first iteration that passes the stop rule (converged() then says
  // so), or before an iteration once cancel() was called. The first call evaluates F(W0, H0) first. Returns the
  // number of iterations executed.
  virtual std::size_t run(std::size_t steps, double* hOut, double* wOut, double* objOut) = 0;

  // Whether the last iteration of the last run passed the stop rule.
  bool converged() const { return converged_; }

  // Stops the fit for good: run() executes no further iteration. Thread-safe: run() may be executing on a pool
  // thread while the JavaScript thread calls this.
  void cancel() { cancelRequested_.store(true, std::memory_order_relaxed); }

  // Evaluates F(W0, H0) if run never did, normalises the learned components (docs/algorithms.md §8), evaluates F
  // of the normalised factors explicitly, forms E = V − W·H once in place of V and its Frobenius norm (all of this
  // only on the first call), then computes ‖E‖₂ by Lanczos. A call that fails while allocating the Lanczos
  // workspace can be repeated.
  virtual FitErrors finish(Normalize normalize) = 0;

  // W (K×R) and H (R×N), widened to float64.
  virtual void copyW(double* out) const = 0;
  virtual void copyH(double* out) const = 0;

  std::size_t rows() const { return K_; }
  std::size_t cols() const { return N_; }
  std::size_t rank() const { return R_; }
  // Reads of V per iteration: 1 for the fused sweep, 2 for the plain kernel.
  std::size_t vPasses() const { return blockRows_ > 0 ? 1 : 2; }

  // Bytes held by the fit's buffers (reported to V8 so that garbage collection sees the fit's real size).
  virtual std::size_t bytes() const = 0;

 protected:
  Fit(std::size_t K, std::size_t N, std::size_t R, std::size_t blockRows)
      : K_(K), N_(N), R_(R), blockRows_(blockRows) {}

  const std::size_t K_, N_, R_;
  const std::size_t blockRows_;  // 0: plain kernel
  std::atomic<bool> cancelRequested_{false};
  bool converged_ = false;
};

}  // namespace nmf
