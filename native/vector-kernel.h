// Kernels whose loops the compiler vectorises get a second version for CPUs with AVX2, chosen once when the addon
// loads (GCC's target_clones): the binaries are built for x86-64-v2 so that they run on every x86-64 CPU since about
// 2009, and AVX2 doubles the lanes of those loops. Both versions do the same operations in the same order on each
// element (-ffp-contract=off keeps fused multiply-adds out), so they give the same bits. Elsewhere (other
// compilers and systems, musl, arm64, sanitizer builds) a kernel has its one version.
#pragma once

#include <cstdlib>  // defines __GLIBC__ with glibc, whose loader resolves the choice (musl has no ifunc)

#if defined(__x86_64__) && defined(__linux__) && defined(__GLIBC__) && defined(__GNUC__) && !defined(__clang__) && \
    !defined(__SANITIZE_ADDRESS__)
#define NMFKIT_VECTOR_KERNEL __attribute__((target_clones("avx2", "default")))
#define NMFKIT_AVX2_CLONES 1
#else
#define NMFKIT_VECTOR_KERNEL
#define NMFKIT_AVX2_CLONES 0
#endif

#include <cstring>

namespace nmf {

// Four float64 lanes (GCC and Clang vector extensions, 32 bytes). Each operation is IEEE lane by lane, with no fused
// multiply–add (-ffp-contract=off), so every version of a kernel (its AVX2 clone or not) gives the same bits. A
// kernel that uses them inlines every helper that takes or returns one, so that the helper is compiled for the
// kernel's target and no such vector crosses a call (hence -Wno-psabi in binding.gyp).
typedef double Double4 __attribute__((vector_size(32)));

inline __attribute__((always_inline)) Double4 loadDouble4(const double* p) {
  Double4 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline __attribute__((always_inline)) void storeDouble4(double* p, Double4 v) { std::memcpy(p, &v, sizeof v); }

}  // namespace nmf
