// Benchmark hooks for bench/ (`npm run bench`); not part of nmfkit's API. See native/bench.cc.
#pragma once

#include <napi.h>

namespace nmf {

// Adds the benchmark functions (gemmFloor) to the addon's exports.
void registerBench(Napi::Env env, Napi::Object exports);

}  // namespace nmf
