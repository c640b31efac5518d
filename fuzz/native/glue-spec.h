// What the Node-API glue does with a fit specification before it creates a fit (native/addon.cc, specArg), for the
// fuzz harnesses, which cannot load the glue itself: nmf::specSlotError, nmf::readSpec, the errorEvery check and
// nmf::checkFitSizes, in that order. Each step's outcome is checked against what the specification table says
// (src/spec.ts: which slots are sizes, choices and booleans), independently of the generated decoder.
#pragma once

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <stdexcept>

#include "blas.h"
#include "fit.h"
#include "spec.h"
#include "team.h"

namespace fuzz {

[[noreturn]] inline void fail(const char* what) {
  std::fprintf(stderr, "fuzz harness: %s\n", what);
  std::abort();
}

// Slot kinds, in slot order (src/spec.ts, FIT_SPEC_FIELDS): 's' size, 'c' choice (with its count), 'b' boolean,
// 'r' real.
struct SlotKind {
  char type;
  int choices;
};
constexpr SlotKind kSlotKinds[] = {{'s', 0}, {'s', 0}, {'s', 0}, {'c', 2}, {'c', 4}, {'c', 2}, {'s', 0},
                                   {'b', 0}, {'s', 0}, {'s', 0}, {'r', 0}, {'r', 0}, {'r', 0}, {'r', 0},
                                   {'r', 0}, {'r', 0}, {'r', 0}, {'b', 0}, {'b', 0}, {'c', 4}, {'s', 0},
                                   {'c', 4}, {'b', 0}, {'s', 0}, {'r', 0}, {'s', 0}, {'c', 2}};

// A field added to src/spec.ts must be added here (and to the round trip in glueDecode) too.
static_assert(sizeof(kSlotKinds) / sizeof(kSlotKinds[0]) == nmf::kSpecSlots,
              "kSlotKinds: one entry per slot of spec.h");

inline bool validSlot(const SlotKind& kind, double x) {
  switch (kind.type) {
    case 's': return x >= 0 && x <= 9007199254740992.0 && std::trunc(x) == x;
    case 'c': return x >= 0 && x < kind.choices && std::trunc(x) == x;
    case 'b': return x == 0 || x == 1;
    default: return true;
  }
}

// The glue's decoding of `slots`: false where it throws a RangeError (invalid slot, errorEvery 0, sizes
// checkFitSizes refuses), true with `spec` set where it goes on to create the fit. Aborts (a finding) where a step
// disagrees with the table, or throws anything but what the glue turns into a RangeError.
inline bool glueDecode(const double* slots, nmf::FitSpec& spec) {
  int firstInvalid = -1;
  for (int i = 0; i < static_cast<int>(nmf::kSpecSlots) && firstInvalid < 0; ++i) {
    if (!validSlot(kSlotKinds[i], slots[i])) firstInvalid = i;
  }
  const char* field = nmf::specSlotError(slots);
  if ((field == nullptr) != (firstInvalid < 0)) fail("specSlotError disagrees with the specification table");
  if (field != nullptr) return false;

  spec = nmf::readSpec(slots);
  // Every slot round-trips: what the kernels read is what the facade encoded.
  const double read[] = {static_cast<double>(spec.rows),
                         static_cast<double>(spec.cols),
                         static_cast<double>(spec.rank),
                         static_cast<double>(spec.dtype),
                         static_cast<double>(spec.solver),
                         static_cast<double>(spec.storage),
                         static_cast<double>(spec.nnz),
                         spec.masked ? 1.0 : 0.0,
                         static_cast<double>(spec.blockRows),
                         static_cast<double>(spec.threads),
                         spec.beta,
                         spec.eps,
                         spec.tol,
                         spec.l1W,
                         spec.l2W,
                         spec.l1H,
                         spec.l2H,
                         spec.updateW ? 1.0 : 0.0,
                         spec.updateH ? 1.0 : 0.0,
                         static_cast<double>(spec.stop),
                         static_cast<double>(spec.errorEvery),
                         static_cast<double>(spec.normalize),
                         spec.spectralError ? 1.0 : 0.0,
                         static_cast<double>(spec.halsSweeps),
                         spec.halsSweepTol,
                         static_cast<double>(spec.templateFrames),
                         static_cast<double>(spec.halsOrder)};
  static_assert(sizeof(read) / sizeof(read[0]) == nmf::kSpecSlots, "the round trip reads every field of FitSpec");
  for (std::size_t i = 0; i < nmf::kSpecSlots; ++i) {
    const bool same = read[i] == slots[i] || (std::isnan(read[i]) && std::isnan(slots[i]));
    if (!same) fail("readSpec does not give back a slot's value");
  }

  if (spec.errorEvery < 1) return false;  // addon.cc: "spec.errorEvery must be at least 1"
  try {
    nmf::checkFitSizes(spec);
  } catch (const std::invalid_argument&) {
    const bool validSizes =
        spec.rows != 0 && spec.cols != 0 && spec.rank != 0 && spec.threads >= 1 && spec.threads <= nmf::kMaxTeamThreads;
    // NMFD's rules: T frames in [1, cols] (1 for every other solver), float64, a dense V and no mask.
    const bool nmfd = spec.solver == nmf::Solver::Nmfd;
    const bool validFrames =
        spec.templateFrames >= 1 && (nmfd ? spec.templateFrames <= spec.cols : spec.templateFrames == 1);
    const bool validNmfd =
        !nmfd || (spec.dtype == nmf::Dtype::Float64 && spec.storage == nmf::Storage::Dense && !spec.masked);
    if (validSizes && validFrames && validNmfd) fail("checkFitSizes: invalid_argument for a valid specification");
    return false;
  } catch (const std::length_error&) {
    return false;
  } catch (...) {
    fail("checkFitSizes threw what the glue would not turn into a RangeError");
  }
  const auto blasMax = static_cast<std::size_t>(std::numeric_limits<nmf::blas_int>::max());
  if (spec.rows < 1 || spec.cols < 1 || spec.rank < 1 || spec.rows > blasMax || spec.cols > blasMax ||
      spec.rank > blasMax || spec.threads < 1 || spec.threads > nmf::kMaxTeamThreads)
    fail("checkFitSizes accepted a specification outside its limits");
  return true;
}

}  // namespace fuzz
