// The state of one fit, one iteration (plain or fused), the run loop and finish (docs/kernels.md). Parallel to
// assembly/fit.ts.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>

namespace nmf {

// The element type a fit stores and computes in (FitProblem.dtype). The change Grams, their eigen-solve and the
// final errors are float64 either way.
enum class Dtype { Float64, Float32 };

// Which iteration kernel a fit runs (FitProblem.kernel): chosen by size (Auto), the two-pass one (Plain) or the
// sweep that reads V once per iteration (Fused).
enum class Kernel { Auto, Plain, Fused };

inline std::size_t elementBytes(Dtype dtype) { return dtype == Dtype::Float32 ? 4 : 8; }

// Rows of V per block of the fused sweep, or 0 for the plain kernel: `kernel` and `blockRows` (0 = automatic) as
// requested, decided by the measured crossover (fit.cc). assembly/fit.ts's chooseBlockRows has the same structure
// with the WebAssembly backend's own measurements.
std::size_t chooseBlockRows(std::size_t K, std::size_t N, std::size_t R, Dtype dtype, Kernel kernel,
                            std::size_t blockRows);

// Throws std::length_error("matrix too large: …") when a K×N fit of rank R cannot be represented: a dimension
// above the BLAS's integer limit, or a buffer size that overflows the address space (with dtype's element size).
// Allocates nothing, so the glue can call it on any input before building a fit. Throws std::invalid_argument
// for a zero dimension.
void checkFitSizes(std::size_t K, std::size_t N, std::size_t R, Dtype dtype = Dtype::Float64);

// The errors of a finished fit (KernelResult in src/contract.ts).
struct FitErrors {
  double spectral;   // ‖V − W·H‖₂
  double frobenius;  // ‖V − W·H‖_F
};

class Fit {
 public:
  // Copies V (K×N), W (K×R) and H (R×N), rounded to float32 when dtype is Float32, and allocates every buffer
  // the iterations need, so that iterating never allocates. `blockRows` is chooseBlockRows's answer (0: plain).
  // Throws std::length_error (see checkFitSizes) or std::bad_alloc.
  static std::unique_ptr<Fit> create(std::size_t K, std::size_t N, std::size_t R, const double* V, const double* W,
                                     const double* H, double eps, double tol, Dtype dtype, std::size_t blockRows);
  virtual ~Fit() = default;
  Fit(const Fit&) = delete;
  Fit& operator=(const Fit&) = delete;

  // Runs at most `steps` iterations, writing iteration i's norms to hOut[i] and wOut[i]; stops after the first
  // iteration whose two norms are both < tol, or before an iteration once cancel() was called. Returns the
  // number of iterations executed.
  virtual std::size_t run(std::size_t steps, double* hOut, double* wOut) = 0;

  // Stops the fit for good: run() executes no further iteration. Thread-safe: run() may be executing on a pool
  // thread while the JavaScript thread calls this.
  void cancel() { cancelRequested_.store(true, std::memory_order_relaxed); }

  // Normalises W and H when `normalize` (max-normalisation), forms E = V − W·H once in place of V and its
  // Frobenius norm (all of this only on the first call), then computes ‖E‖₂ by Lanczos. A call that fails while
  // allocating the Lanczos workspace can be repeated.
  virtual FitErrors finish(bool normalize) = 0;

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
};

}  // namespace nmf
