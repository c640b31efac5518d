// exp, log and x^y of the kernels' own, in float64 and float32: range reduction and a polynomial, written without
// branches or tables so that a loop over entries vectorises (SSE here, NEON on arm64; the build's
// -fno-trapping-math lets the compiler turn the selects below into blends). assembly/exp-log.ts computes the same
// operations in the same order, lane by lane, so both backends get the same bits (docs/algorithms.md §2,
// "Powers").
//
// Accuracy, measured against long double exp/log over 4·10⁶ arguments each (test/backends/exp-log.test.ts keeps
// a check against Math.exp/Math.log): polyExp and polyLog are within 1 ulp (float64: ≤ 0.98 ulp, 1.5e-16 relative;
// float32: ≤ 0.97 ulp, 7.9e-8 relative), subnormal arguments and results included. polyPow(x, y) =
// polyExp(y·polyLog(x)) adds the rounding of y·log x, which exp turns into a relative error of about
// |y·log x|·2^-53 (2^-24 in float32): 1e-15 for |y·log x| ≈ 5, 1e-13 for x = 1e-300.
//
// Special values: polyExp(NaN) = NaN, polyExp(+∞) = +∞, polyExp(−∞) = +0, overflow to +∞ and underflow through
// the subnormals to +0 as exp does. polyLog(NaN or x < 0) = NaN, polyLog(±0) = −∞, polyLog(+∞) = +∞.
// polyPow is meant for x ≥ 0 and y ≠ 0 (0^y = 0 for y > 0, +∞ for y < 0); it does not special-case x = 1 or
// y = 0 (polyPow(0, 0) is NaN).
#pragma once

#include <cstdint>
#include <cstring>
#include <limits>

// Inlined into the loops that call them, or those loops cannot vectorise (the compiler keeps a call otherwise).
#if defined(__GNUC__) || defined(__clang__)
#define NMF_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define NMF_ALWAYS_INLINE inline
#endif

namespace nmf {

namespace detail {

NMF_ALWAYS_INLINE double fromBits(std::uint64_t b) {
  double x;
  std::memcpy(&x, &b, sizeof x);
  return x;
}
NMF_ALWAYS_INLINE float fromBits(std::uint32_t b) {
  float x;
  std::memcpy(&x, &b, sizeof x);
  return x;
}
NMF_ALWAYS_INLINE std::uint64_t toBits(double x) {
  std::uint64_t b;
  std::memcpy(&b, &x, sizeof b);
  return b;
}
NMF_ALWAYS_INLINE std::uint32_t toBits(float x) {
  std::uint32_t b;
  std::memcpy(&b, &x, sizeof b);
  return b;
}

// The constants of each width. shifter = 1.5·2^m (m the mantissa bits): (x + shifter) − shifter rounds x to an
// integer, and the integer sits in the low bits of x + shifter. ln2Hi has its low bits zero, so k·ln2Hi is exact
// for the k that occur; ln2Hi + ln2Lo is ln 2 to twice the precision. exp's argument is clamped to [low, high],
// beyond which the result is 0 or ∞ anyway (and the scale factors below stay normal numbers). log scales
// subnormal arguments (below `normal`) by 2^m first. sqrtHalf is √½ rounded down to 20 (float32: 23) bits: log
// reduces x to 2^k·a with a in [sqrtHalf, 2·sqrtHalf).
template <typename T>
struct Width;
template <>
struct Width<double> {
  using Bits = std::uint64_t;
  static constexpr int kMantissa = 52, kBias = 1023;
  static constexpr double kShifter = 0x1.8p52, kLog2e = 0x1.71547652b82fep+0;
  static constexpr double kLn2Hi = 0x1.62e42feep-1, kLn2Lo = 0x1.a39ef35793c76p-33;
  static constexpr double kHigh = 710.0, kLow = -746.0, kNormal = 0x1p-1022, kSubnormalScale = 0x1p52;
  static constexpr Bits kSqrtHalf = 0x3fe6a09e00000000, kOne = 0x3ff0000000000000, kMantissaMask = 0x000fffffffffffff;
};
template <>
struct Width<float> {
  using Bits = std::uint32_t;
  static constexpr int kMantissa = 23, kBias = 127;
  static constexpr float kShifter = 0x1.8p23f, kLog2e = 0x1.715476p+0f;
  static constexpr float kLn2Hi = 0x1.62e4p-1f, kLn2Lo = 0x1.7f7d1cp-20f;
  static constexpr float kHigh = 89.0f, kLow = -104.0f, kNormal = 0x1p-126f, kSubnormalScale = 0x1p23f;
  static constexpr Bits kSqrtHalf = 0x3f3504f3, kOne = 0x3f800000, kMantissaMask = 0x007fffff;
};

// q(r) ≈ (e^r − 1 − r)/r² on |r| ≤ ln2/2, by Estrin's scheme (a shallow tree, so that the out-of-order core
// overlaps the entries of a loop). Near-minimax (Chebyshev) fits; the error of the fit is 1.4e-18 relative to
// e^r in float64 (degree 10) and 1.4e-9 in float32 (degree 5), below half an ulp.
NMF_ALWAYS_INLINE double expTail(double r) {
  const double r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;
  const double p01 = 0.5 + 0x1.5555555555557p-3 * r;
  const double p23 = 0x1.5555555555556p-5 + 0x1.11111111100dfp-7 * r;
  const double p45 = 0x1.6c16c16c162d6p-10 + 0x1.a01a01abe62ddp-13 * r;
  const double p67 = 0x1.a01a01a6d7808p-16 + 0x1.71de02375656cp-19 * r;
  const double p89 = 0x1.27e4db67b4303p-22 + 0x1.af4ddd84882fep-26 * r;
  const double p03 = p01 + p23 * r2, p47 = p45 + p67 * r2, p810 = p89 + 0x1.1f72fc730b4ffp-29 * r2;
  return (p03 + p47 * r4) + p810 * r8;
}
NMF_ALWAYS_INLINE float expTail(float r) {
  const float r2 = r * r, r4 = r2 * r2;
  const float p01 = 0.5f + 0x1.555556p-3f * r;
  const float p23 = 0x1.5554eap-5f + 0x1.1110ep-7f * r;
  const float p45 = 0x1.6d4316p-10f + 0x1.a124e4p-13f * r;
  return (p01 + p23 * r2) + p45 * r4;
}

// t(z) ≈ (log((1 + s)/(1 − s)) − 2s)/s³, z = s² ≤ 0.0295 (|s| ≤ (√2 − 1)/(√2 + 1)), by Estrin's scheme; the
// fit's error is 4.6e-18 relative to log (float64, degree 6) and 1.7e-11 (float32, degree 3).
NMF_ALWAYS_INLINE double logTail(double z) {
  const double z2 = z * z, z4 = z2 * z2;
  const double t01 = 0x1.5555555555558p-1 + 0x1.99999999952e2p-2 * z;
  const double t23 = 0x1.2492492df148dp-2 + 0x1.c71c62e5800a1p-3 * z;
  const double t45 = 0x1.7462b4ab2ef6bp-3 + 0x1.39fe606542ddep-3 * z;
  return (t01 + t23 * z2) + (t45 + 0x1.2b584aae78a57p-3 * z2) * z4;
}
NMF_ALWAYS_INLINE float logTail(float z) {
  const float z2 = z * z;
  return (0x1.555556p-1f + 0x1.9999ecp-2f * z) + (0x1.245c44p-2f + 0x1.ddced8p-3f * z) * z2;
}

// 2^k for an integer-valued k with kBias + k in [1, 2·kBias]: k + shifter + bias holds kBias + k in its low
// bits, which a shift moves into the exponent field.
template <typename T>
NMF_ALWAYS_INLINE T twoTo(T k) {
  using C = Width<T>;
  return fromBits(static_cast<typename C::Bits>(toBits(k + (C::kShifter + T(C::kBias))) << C::kMantissa));
}

}  // namespace detail

// e^x: k = round(x/ln 2), r = x − k·ln 2 (Cody–Waite, in two parts), e^x = (1 + (r + r²·q(r)))·2^k, with 2^k
// applied as two factors 2^k₁·2^k₂ (k₁ = round(k/2)) so that results near overflow and in the subnormal range
// are rounded once, at the last product.
template <typename T>
NMF_ALWAYS_INLINE T polyExp(T x) {
  using C = detail::Width<T>;
  x = x > C::kHigh ? C::kHigh : x;  // NaN passes both clamps
  x = x < C::kLow ? C::kLow : x;
  const T k = (x * C::kLog2e + C::kShifter) - C::kShifter;
  const T r = (x - k * C::kLn2Hi) - k * C::kLn2Lo;
  const T y = T(1) + (r + (r * r) * detail::expTail(r));
  const T k1 = (k * T(0.5) + C::kShifter) - C::kShifter;
  return (y * detail::twoTo(k1)) * detail::twoTo(k - k1);
}

// log x: x = 2^k·a with a in [√½, √2) (by the bits: adding 1 − √½ to the exponent field carries exactly when the
// mantissa reaches √2), f = a − 1, s = f/(2 + f), log a = f − (f²/2 − s·(f²/2 + z·t(z))), z = s² (fdlibm's
// arrangement: f is exact and enters last), log x = k·ln2Hi − ((f²/2 − (s·(f²/2 + R) + k·ln2Lo)) − f).
template <typename T>
NMF_ALWAYS_INLINE T polyLog(T x) {
  using C = detail::Width<T>;
  using Bits = typename C::Bits;
  const T inf = std::numeric_limits<T>::infinity();
  const bool subnormal = x < C::kNormal;
  const T scaled = x * C::kSubnormalScale;
  const Bits bits = detail::toBits(subnormal ? scaled : x) + (C::kOne - C::kSqrtHalf);
  // The biased exponent as a float: its bits under the shifter's, minus the shifter.
  const T biased =
      detail::fromBits(static_cast<Bits>((bits >> C::kMantissa) | detail::toBits(C::kShifter))) - C::kShifter;
  const T k = (biased - T(C::kBias)) - (subnormal ? T(C::kMantissa) : T(0));
  const T f = detail::fromBits(static_cast<Bits>((bits & C::kMantissaMask) + C::kSqrtHalf)) - T(1);
  const T hfsq = T(0.5) * f * f;
  const T s = f / (T(2) + f);
  const T z = s * s;
  const T R = z * detail::logTail(z);
  T result = k * C::kLn2Hi - ((hfsq - (s * (hfsq + R) + k * C::kLn2Lo)) - f);
  result = x == inf ? x : result;
  result = x == T(0) ? -inf : result;
  result = x < T(0) ? std::numeric_limits<T>::quiet_NaN() : result;
  return x != x ? x : result;
}

// x^y = e^(y·log x), for x ≥ 0 and y ≠ 0 (see the top of this file).
template <typename T>
NMF_ALWAYS_INLINE T polyPow(T x, T y) {
  return polyExp(y * polyLog(x));
}

}  // namespace nmf
