// libFuzzer target `fit`: every specification the native glue accepts (glue-spec.h), with small arrays, through
// what the glue calls on a fit: nmf::Fit::create, multiplyV and setFactors before the first run, run in a few
// chunks (with cancel before or between them), converged, finish (once or twice), copyW, copyH. The arrays hold
// any values — the glue copies them without looking (the facade checks them) — from a palette of edge cases
// (0, subnormals, 1e±300, NaN, ±Infinity, negative) or only the finite nonnegative ones the facade lets through.
//
// Sizes stay small so that an iteration takes microseconds: specifications beyond K, N ≤ 64, R ≤ 16,
// K·N ≤ 1024, K·N·R ≤ 4096, threads ≤ 3, blockRows ≤ 256 and halsSweeps ≤ 8 are decoded and size-checked, then
// skipped. Besides the sanitizers' reports, the harness aborts on a broken contract of fit.h: run returning more
// than asked, stopping early without converging or being cancelled, multiplyV/setFactors accepted after the fit
// started, or an exception other than std::bad_alloc/std::system_error (the glue turns those into RangeErrors;
// anything else would surface as a generic "nmfkit native:" Error). checked-cblas.cc checks every BLAS call's
// operands against ASan's view of memory, and the fit's arena puts a poisoned redzone after each of its parts in
// sanitized builds (arena.h), so a kernel that runs past a buffer is reported even inside the one allocation.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <memory>
#include <new>
#include <stdexcept>
#include <system_error>
#include <vector>

#include "blas.h"
#include "fit.h"
#include "glue-spec.h"
#include "slots.h"

namespace {

// NMFKIT_FUZZ_VERBOSE=1: one line per input on stderr (what was created and how far it ran), to read a finding.
bool verbose = false;

// Values an array entry can take besides n / 16 for n < 192: edge cases of float64 and float32.
constexpr double kPalette[] = {0.0,
                               1e-300,
                               4.9406564584124654e-324,
                               1e300,
                               1e150,
                               1e-150,
                               1e20,
                               3.4028234663852886e38,
                               1.401298464324817e-45,
                               1e-20,
                               1e19,
                               1.1920928955078125e-7,
                               std::numeric_limits<double>::quiet_NaN(),
                               std::numeric_limits<double>::infinity(),
                               -std::numeric_limits<double>::infinity(),
                               -1.0,
                               -0.0,
                               -1e-300};
constexpr std::size_t kPaletteCount = sizeof(kPalette) / sizeof(kPalette[0]);

// One array of `count` entries. `anyValue` false: only what the facade lets through (finite, ≥ 0).
std::vector<double> array(FuzzedDataProvider& in, std::size_t count, bool anyValue) {
  std::vector<double> out(count);
  for (double& x : out) {
    const std::uint8_t b = in.ConsumeIntegral<std::uint8_t>();
    x = b < 192 ? b / 16.0 : kPalette[(b - 192) % kPaletteCount];
    if (!anyValue && !(x >= 0 && x <= std::numeric_limits<double>::max())) x = 1.0;
  }
  return out;
}

// Calls `body`; true if it returned, false if it threw what the glue reports as a RangeError for an allocation
// (std::bad_alloc) or a thread that could not start (std::system_error). Anything else is a finding.
template <typename Body>
bool allowed(Body&& body) {
  try {
    body();
    return true;
  } catch (const std::bad_alloc&) {
    return false;
  } catch (const std::system_error&) {
    return false;
  } catch (...) {
    fuzz::fail("an unexpected exception from the fit");
  }
}

// multiplyV or setFactors after the fit started must throw std::logic_error, and change nothing.
template <typename Body>
void mustRefuse(Body&& body) {
  try {
    body();
  } catch (const std::logic_error&) {
    return;
  } catch (...) {
    fuzz::fail("a call after the fit started threw something other than std::logic_error");
  }
  fuzz::fail("a call after the fit started was accepted");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  nmf::setBlasThreads(1);  // the fit's own team splits the work; OpenBLAS's pool would only add threads
  const char* v = std::getenv("NMFKIT_FUZZ_VERBOSE");
  verbose = v != nullptr && v[0] == '1';
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  double slots[nmf::kSpecSlots];
  fuzz::readSlots(in, slots);
  nmf::FitSpec spec;
  if (!fuzz::glueDecode(slots, spec)) return 0;

  const std::size_t K = spec.rows, N = spec.cols, R = spec.rank;
  if (K > 64 || N > 64 || R > 16 || K * N > 1024 || K * N * R > 4096 || spec.threads > 3 || spec.blockRows > 256 ||
      spec.halsSweeps > 8 || spec.templateFrames > 8)
    return 0;

  const bool csr = spec.storage == nmf::Storage::Csr;
  if (csr && spec.nnz > 1024) return 0;
  const std::uint8_t flags = in.ConsumeIntegral<std::uint8_t>();
  const bool anyValue = (flags & 1) != 0;
  const std::vector<double> V = array(in, csr ? spec.nnz : K * N, anyValue);
  // V as a synchronous fit may borrow it: a Float32Array (its values rounded to float32, beyond its range ±∞).
  const bool vFloat32 = (flags & 2) != 0;
  std::vector<float> V32;
  if (vFloat32) {
    constexpr double kFloatMax = static_cast<double>(std::numeric_limits<float>::max());
    constexpr float kInf = std::numeric_limits<float>::infinity();
    for (const double v : V) V32.push_back(v > kFloatMax ? kInf : v < -kFloatMax ? -kInf : static_cast<float>(v));
  }
  // A CSR pattern as the glue lets it through (addon.cc, patternError): offsets from 0 to nnz, never decreasing,
  // indices in [0, N) — in any order and with repeats, which only the facade refuses.
  std::vector<std::int32_t> indptr, indices;
  if (csr) {
    indptr.assign(K + 1, 0);
    for (std::size_t i = 1; i < K; ++i)
      indptr[i] = in.ConsumeIntegralInRange<std::int32_t>(indptr[i - 1], static_cast<std::int32_t>(spec.nnz));
    indptr[K] = static_cast<std::int32_t>(spec.nnz);
    indices.resize(spec.nnz);
    for (auto& j : indices) j = in.ConsumeIntegralInRange<std::int32_t>(0, static_cast<std::int32_t>(N - 1));
  }
  const std::vector<double> W = array(in, K * R * spec.templateFrames, anyValue);
  const std::vector<double> H = array(in, R * N, anyValue);
  std::vector<double> mask;
  if (spec.masked && !csr) {
    mask = array(in, K * N, anyValue);
    if (!anyValue)
      for (double& m : mask) m = std::min(m, 1.0);  // the facade's weights are in [0, 1]
  }
  std::vector<std::uint8_t> fixed(R);
  for (auto& f : fixed) f = in.ConsumeIntegral<std::uint8_t>() % 4 == 0 ? 1 : 0;

  std::unique_ptr<nmf::Fit> fit;
  const nmf::FitArrays arrays{vFloat32 ? nullptr : V.data(),
                              vFloat32 ? V32.data() : nullptr,
                              W.data(),
                              H.data(),
                              spec.masked && !csr ? mask.data() : nullptr,
                              fixed.data(),
                              csr ? indptr.data() : nullptr,
                              csr ? indices.data() : nullptr};
  if (!allowed([&] { fit = nmf::Fit::create(spec, arrays); })) return 0;
  if (verbose)
    std::fprintf(stderr,
                 "fit: %zux%zu rank %zu dtype %d solver %d masked %d blockRows %zu threads %zu beta %g eps %g\n", K, N,
                 R, static_cast<int>(spec.dtype), static_cast<int>(spec.solver), spec.masked ? 1 : 0, spec.blockRows,
                 spec.threads, spec.beta, spec.eps);

  const std::uint8_t ops = in.ConsumeIntegral<std::uint8_t>();
  // Before the first run: an initialisation's products with V, and new initial factors.
  if (ops & 1) {
    const bool transpose = (ops & 2) != 0;
    const std::size_t cols = 1 + in.ConsumeIntegral<std::uint8_t>() % std::max(K, N);
    const std::vector<double> X = array(in, (transpose ? K : N) * cols, anyValue);
    std::vector<double> out((transpose ? N : K) * cols);
    allowed([&] { fit->multiplyV(X.data(), cols, transpose, out.data()); });
  }
  if (ops & 4) {
    const std::vector<double> W0 = array(in, K * R * spec.templateFrames, anyValue);
    const std::vector<double> H0 = array(in, R * N, anyValue);
    allowed([&] { fit->setFactors(W0.data(), H0.data()); });
  }

  bool cancelled = false;
  if (ops & 8) {
    fit->cancel();
    cancelled = true;
  }
  std::size_t total = 0;
  const int chunks = 1 + in.ConsumeIntegral<std::uint8_t>() % 3;
  for (int c = 0; c < chunks; ++c) {
    const std::size_t steps = 1 + in.ConsumeIntegral<std::uint8_t>() % 8;
    std::vector<double> hOut(steps), wOut(steps), objOut((ops & 16) ? steps : 0);
    std::size_t done = 0;
    if (!allowed([&] { done = fit->run(steps, hOut.data(), wOut.data(), objOut.empty() ? nullptr : objOut.data()); }))
      return 0;
    if (done > steps) fuzz::fail("run did more iterations than asked");
    if (cancelled && done != 0) fuzz::fail("run iterated after cancel");
    if (!cancelled && done < steps && !fit->converged()) fuzz::fail("run stopped early without converging");
    total += done;
    if ((ops & 32) && c == 0) {
      fit->cancel();
      cancelled = true;
    }
  }
  if (total > 0) {
    std::vector<double> X(N), out(K);
    mustRefuse([&] { fit->multiplyV(X.data(), 1, false, out.data()); });
    mustRefuse([&] { fit->setFactors(W.data(), H.data()); });
  }

  for (int f = 0; f < ((ops & 64) ? 2 : 1); ++f) {
    if (!allowed([&] { fit->finish(); })) return 0;
  }
  std::vector<double> outW(K * R * spec.templateFrames), outH(R * N);
  fit->copyW(outW.data());
  fit->copyH(outH.data());
  if (fit->bytes() == 0) fuzz::fail("a fit that holds no memory");
  if (verbose) std::fprintf(stderr, "fit: %zu iterations, finished\n", total);
  return 0;
}
