// The state of one fit, one iteration, the run loop and finish (docs/kernels.md). Parallel to assembly/fit.ts.
#pragma once

#include <atomic>
#include <cstddef>
#include <vector>

namespace nmf {

// Throws std::length_error("matrix too large: …") when a K×N fit of rank R cannot be represented: a dimension
// above the BLAS's integer limit, or a buffer size that overflows the address space. Allocates nothing, so the
// glue can call it on any input before building a fit. Throws std::invalid_argument for a zero dimension.
void checkFitSizes(std::size_t K, std::size_t N, std::size_t R);

// The errors of a finished fit (KernelResult in src/contract.ts).
struct FitErrors {
  double spectral;   // ‖V − W·H‖₂
  double frobenius;  // ‖V − W·H‖_F
};

class Fit {
 public:
  // Copies V (K×N), W (K×R) and H (R×N) and allocates every buffer the iterations need, so that iterate() never
  // allocates. Throws std::length_error (see checkFitSizes) or std::bad_alloc.
  Fit(std::size_t K, std::size_t N, std::size_t R, const double* V, const double* W, const double* H, double eps,
      double tol);
  Fit(const Fit&) = delete;
  Fit& operator=(const Fit&) = delete;

  // One iteration: H update, W update (with the new H), then the spectral norms of both changes.
  void iterate(double* hOut, double* wOut);

  // Runs at most `steps` iterations, writing iteration i's norms to hOut[i] and wOut[i]; stops after the first
  // iteration whose two norms are both < tol, or before an iteration once cancel() was called. Returns the
  // number of iterations executed.
  std::size_t run(std::size_t steps, double* hOut, double* wOut);

  // Stops the fit for good: run() executes no further iteration. Thread-safe: run() may be executing on a pool
  // thread while the JavaScript thread calls this.
  void cancel() { cancelRequested_.store(true, std::memory_order_relaxed); }

  // Normalises W and H when `normalize` (max-normalisation), forms E = V − W·H once in place of V and its
  // Frobenius norm (all of this only on the first call), then computes ‖E‖₂ by Lanczos. A call that fails while
  // allocating the Lanczos workspace can be repeated.
  FitErrors finish(bool normalize);

  const std::vector<double>& W() const { return W_; }
  const std::vector<double>& H() const { return H_; }

  // Bytes held by the fit's buffers (reported to V8 so that garbage collection sees the fit's real size).
  std::size_t bytes() const;

 private:
  const std::size_t K_, N_, R_;
  const double eps_, tol_;

  std::vector<double> V_;     // K×N (becomes E = V − W·H in finish)
  std::vector<double> W_;     // K×R
  std::vector<double> H_;     // R×N
  std::vector<double> hOld_;  // R×N: the change H − H_old of the last iteration
  std::vector<double> wOld_;  // K×R: the same for W
  std::vector<double> numH_;  // R×N: WᵀV
  std::vector<double> denH_;  // R×N: (WᵀW)H
  std::vector<double> numW_;  // K×R: VHᵀ
  std::vector<double> denW_;  // K×R: W(HHᵀ)
  std::vector<double> rr_;    // R×R: WᵀW, then HHᵀ
  std::vector<double> gram_;  // R×R: Gram of a change (destroyed by Jacobi)

  bool residualFormed_ = false;
  double frobenius_ = 0.0;
  std::atomic<bool> cancelRequested_{false};
};

}  // namespace nmf
