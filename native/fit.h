// One fit: created from a resolved specification (spec.h, generated from src/spec.ts) and its arrays, run in
// chunks, finished once. The program itself is in fit.cc, which assembly/fit.ts follows function by function
// (docs/kernels.md pairs them).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "spec.h"

namespace nmf {

// The arrays of a fit, row-major float64 (V float64 or float32), read (copied, in the fit's dtype) by Fit::create only.
struct FitArrays {
  const double* V;                    // spec.nnz entries, finite, ≥ 0: K×N, or the stored entries of a CSR V
  const float* V32;                   // V given in float32 instead (then V is null), else null
  const double* W;                    // K×R (NMFD: T stacked K×R, T = spec.templateFrames), the initial W
  const double* H;                    // R×N, the initial H
  const double* mask;                 // K×N weights in [0, 1] when spec.masked and V is dense, else null
  const std::uint8_t* fixedColumnsW;  // R bytes, 1 = column r of W is never updated
  const std::int32_t* indptr;         // CSR: K + 1 row offsets from 0 to nnz, never decreasing; else null
  const std::int32_t* indices;        // CSR: nnz column indices, in [0, N) and increasing along each row; else null
};

// Throws std::length_error("matrix too large: …") when the fit's buffers cannot be represented: a dimension above
// the BLAS's integer limit, or more bytes than the address space holds. Allocates nothing, so the glue calls it
// before anything else. Throws std::invalid_argument for a zero dimension.
void checkFitSizes(const FitSpec& spec);

// What finish reports besides the factors (KernelResult in src/contract.ts).
struct FitErrors {
  double spectral;          // ‖E‖₂, E = V − W·H (with a mask: M ⊙ (V − W·H))
  double frobenius;         // ‖E‖_F
  double objective;         // F of the returned (normalised) factors
  double initialObjective;  // F(W0, H0)
};

class Fit {
 public:
  // Copies the arrays into one allocation that holds every buffer the iterations need (so that iterating never
  // allocates), rounded to float32 when spec.dtype is Float32. O(K·N) work: creation runs on the JavaScript
  // thread. Throws std::length_error (checkFitSizes) or std::bad_alloc.
  static std::unique_ptr<Fit> create(const FitSpec& spec, const FitArrays& arrays);
  virtual ~Fit() = default;
  Fit(const Fit&) = delete;
  Fit& operator=(const Fit&) = delete;

  // Before the first run (fit.cc, multiplyV): out = V·X (X N×cols, out K×cols) or, with `transpose`, Vᵀ·X (X
  // K×cols, out N×cols), row-major float64, from the fit's own copy of V (the product in the fit's dtype, over its
  // team): the products of an initialisation computed from V (src/init). Throws std::logic_error once the fit has
  // started.
  virtual void multiplyV(const double* X, std::size_t cols, bool transpose, double* out) = 0;
  // Before the first run: replaces the initial factors (W K×R or T×K×R, H R×N; rounded to float32 for a float32 fit).
  // Throws std::logic_error once the fit has started.
  virtual void setFactors(const double* W, const double* H) = 0;

  // Runs at most `steps` iterations (fit.cc, run), writing iteration i's change norms to hOut[i] and wOut[i] and,
  // when objOut is not null, F to objOut[i] at checkpoints (NaN elsewhere). Stops after the first iteration that
  // passes the stop rule, or before an iteration once cancel() was called. Returns the iterations executed.
  virtual std::size_t run(std::size_t steps, double* hOut, double* wOut, double* objOut) = 0;
  // Whether the last iteration of the last run passed the stop rule.
  virtual bool converged() const = 0;
  // Normalises, evaluates the final objective and errors (fit.cc, finish). May be called again after it threw
  // (an allocation of the Lanczos workspace that failed).
  virtual FitErrors finish() = 0;
  // W (K×R, NMFD: T×K×R) and H (R×N), widened to float64 (any fit) or as float32 (the results of a float32 fit, which
  // are returned as they were computed).
  virtual void copyW(double* out) const = 0;
  virtual void copyH(double* out) const = 0;
  virtual void copyW(float* out) const = 0;
  virtual void copyH(float* out) const = 0;
  // Bytes held (reported to V8, so that garbage collection sees the fit's real size).
  virtual std::size_t bytes() const = 0;

  // Stops the fit for good. Thread-safe: run() may be executing on a pool thread meanwhile.
  void cancel() { cancelRequested_.store(true, std::memory_order_relaxed); }
  // Whether cancel() was called.
  bool cancelled() const { return cancelRequested_.load(std::memory_order_relaxed); }

  const FitSpec spec;

 protected:
  explicit Fit(const FitSpec& s) : spec(s) {}
  const std::atomic<bool>& cancelFlag() const { return cancelRequested_; }

 private:
  std::atomic<bool> cancelRequested_{false};
};

}  // namespace nmf
