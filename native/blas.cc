// Reports on and configures the BLAS library. Kept apart from addon.cc so the glue never names a vendor.
#include "blas.h"

#include <algorithm>
#include <cctype>

namespace nmf {

#if defined(__APPLE__)

BlasInfo blasInfo() {
  // Accelerate has no version or configuration query; the OS version is the library version.
  return BlasInfo{"Accelerate", "", "", 0};
}

void setBlasThreads(int) {}

bool blasHasSmallMatrixKernels() { return false; }

#else

namespace {

// The version of the library actually loaded: openblas_get_config() starts with "OpenBLAS 0.3.21 ...". The
// header's OPENBLAS_VERSION is only the version we compiled against, which differs for a prebuilt binary, so it is
// the fallback.
std::string versionFromConfig(const std::string& config) {
  const std::string prefix = "OpenBLAS ";
  if (config.compare(0, prefix.size(), prefix) == 0) {
    const std::size_t start = prefix.size();
    const std::size_t end = config.find(' ', start);
    return config.substr(start, end == std::string::npos ? std::string::npos : end - start);
  }
#ifdef OPENBLAS_VERSION
  std::string v = OPENBLAS_VERSION;  // " OpenBLAS 0.3.21 "
  const std::size_t first = v.find_first_of("0123456789");
  const std::size_t last = v.find_last_of("0123456789");
  if (first != std::string::npos) return v.substr(first, last - first + 1);
#endif
  return "";
}

}  // namespace

BlasInfo blasInfo() {
  const char* raw = openblas_get_config();
  const std::string config = raw != nullptr ? raw : "";
  return BlasInfo{"OpenBLAS", versionFromConfig(config), config, openblas_get_num_threads()};
}

void setBlasThreads(int threads) { openblas_set_num_threads(threads); }

bool blasHasSmallMatrixKernels() {
  // The core OpenBLAS chose when it loaded (its CPU detection, or OPENBLAS_CORETYPE), e.g. "Haswell", "Cooperlake".
  const char* raw = openblas_get_corename();
  std::string core = raw != nullptr ? raw : "";
  std::transform(core.begin(), core.end(), core.begin(), [](unsigned char c) { return std::tolower(c); });
  return core == "skylakex" || core == "cooperlake" || core == "sapphirerapids";
}

#endif

}  // namespace nmf
