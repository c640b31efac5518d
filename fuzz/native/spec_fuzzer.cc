// libFuzzer target `spec`: the native glue's decoding of a fit specification (glue-spec.h: nmf::specSlotError,
// nmf::readSpec, the errorEvery check, nmf::checkFitSizes) on any 23 slots, against the specification table. Fast
// (no fit is created), so it explores the decoding far more often than the `fit` target. Built and run by
// scripts/fuzz.sh with AddressSanitizer and UndefinedBehaviorSanitizer.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>

#include "glue-spec.h"
#include "slots.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  double slots[nmf::kSpecSlots];
  fuzz::readSlots(in, slots);
  nmf::FitSpec spec;
  fuzz::glueDecode(slots, spec);
  return 0;
}
