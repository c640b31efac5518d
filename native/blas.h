// Which BLAS nmfkit is built against, in one place.
//
// Linux builds use OpenBLAS (found by pkg-config in binding.gyp); macOS builds use Apple's Accelerate, whose
// CBLAS has the same signatures. Everything else in native/ includes this header instead of a vendor header, so
// the choice of BLAS never leaks into the numerical code.
#pragma once

#include <cstddef>
#include <string>

#if defined(__APPLE__)
#include <Accelerate/Accelerate.h>
namespace nmf {
// Accelerate's CBLAS takes `__LAPACK_int` with ACCELERATE_NEW_LAPACK (32-bit unless ILP64 is requested).
using blas_int = __LAPACK_int;
}  // namespace nmf
#else
#include <cblas.h>
namespace nmf {
// OpenBLAS's integer type: int, or a 64-bit integer when the library was built with INTERFACE64.
using blas_int = blasint;
}  // namespace nmf
#endif

namespace nmf {

// What backendInfo() reports about the BLAS in use. `threads` is the size of the BLAS's own thread pool
// (0 when the library does not say).
struct BlasInfo {
  std::string vendor;
  std::string version;
  std::string config;
  int threads;
};

BlasInfo blasInfo();

// Sets the size of the BLAS's own thread pool (OpenBLAS only; a no-op on Accelerate, which manages its own).
void setBlasThreads(int threads);

// Whether the BLAS computes small products without packing its operands: OpenBLAS on its AVX-512 cores (SkylakeX,
// Cooperlake, Sapphire Rapids) has such kernels, and there they beat nmfkit's own (products.h). False where the BLAS
// does not say.
bool blasHasSmallMatrixKernels();

}  // namespace nmf
