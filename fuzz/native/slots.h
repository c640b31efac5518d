// Decodes a fuzzer's bytes into the 23 float64 slots of a fit specification. Each slot takes one selector byte
// and its payload: a small integer, a value from a list of edge cases (NaN, ±Infinity, −0, fractions, 2^31, 2^53,
// 2^53 + 2, 2^64, the extremes of float64 …), a 16-bit integer, or 8 raw bytes — so that mutations reach valid
// encodings and every kind of invalid one alike (libFuzzer does not trace floating-point comparisons, so raw bytes
// alone would seldom form an integer-valued double).
#pragma once

#include <fuzzer/FuzzedDataProvider.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "spec.h"

namespace fuzz {

constexpr double kEdgeValues[] = {
    0.0,
    1.0,
    2.0,
    3.0,
    -1.0,
    -0.0,
    0.5,
    1.5,
    std::numeric_limits<double>::quiet_NaN(),
    std::numeric_limits<double>::infinity(),
    -std::numeric_limits<double>::infinity(),
    2147483647.0,
    2147483648.0,
    4294967296.0,
    9007199254740991.0,
    9007199254740992.0,
    9007199254740994.0,
    9223372036854775808.0,
    18446744073709551616.0,
    1.7976931348623157e308,
    4.9406564584124654e-324,
    2.2250738585072014e-308,
    1.1920928955078125e-7,  // 2^-23, the default eps
    1e-3,
    1e-300,
    1e300,
    257.0,
    4097.0,
};
constexpr std::size_t kEdgeCount = sizeof(kEdgeValues) / sizeof(kEdgeValues[0]);

inline double edgeValue(std::size_t i) { return kEdgeValues[i % kEdgeCount]; }

inline double slotValue(FuzzedDataProvider& in) {
  const std::uint8_t selector = in.ConsumeIntegral<std::uint8_t>();
  switch (selector & 3) {
    case 0: return static_cast<double>(selector >> 2);  // 0 … 63
    case 1: return edgeValue(selector >> 2);
    case 2: return static_cast<double>(in.ConsumeIntegral<std::uint16_t>());
    default: {
      std::uint64_t bits = in.ConsumeIntegral<std::uint64_t>();
      double x;
      std::memcpy(&x, &bits, sizeof x);
      return x;
    }
  }
}

inline void readSlots(FuzzedDataProvider& in, double* slots) {
  for (std::size_t i = 0; i < nmf::kSpecSlots; ++i) slots[i] = slotValue(in);
}

}  // namespace fuzz
