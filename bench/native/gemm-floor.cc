// The benchmark's own addon (bench/native/binding.gyp, built by `npm run bench`; never shipped):
//
//   gemmFloor(K, N, R, reps, dtype = 'float64') → median seconds of one pair of products WᵀV (R×N) and V·Hᵀ (K×R)
//
// with V K×N, W K×R, H R×N, row-major, through the same CBLAS calls as native/products.h (mulAtB, mulABt). That
// pair is the GEMM work of one multiplicative-update iteration (4·K·N·R flops, V read twice), so its time is the
// floor an MU kernel on this BLAS cannot beat without fusing. With K = N = R = n it is two square n×n GEMMs
// (4·n³ flops): the bench uses that as the machine's measured DGEMM (dtype 'float64') or SGEMM ('float32') peak.
// Operands are filled with deterministic values in [0.1, 1.1); one untimed pair warms caches and threads first.
#include <napi.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "../../native/blas.h"

namespace nmf {
namespace {

void fill(std::vector<float>& a, std::uint32_t seed) {
  std::uint32_t s = seed;
  for (float& x : a) {
    s = s * 1664525u + 1013904223u;
    x = 0.1f + static_cast<float>(s >> 8) / 16777216.0f;
  }
}

void fill(std::vector<double>& a, std::uint32_t seed) {
  std::uint32_t s = seed;
  for (double& x : a) {
    s = s * 1664525u + 1013904223u;
    x = 0.1 + static_cast<double>(s >> 8) / 16777216.0;
  }
}

inline blas_int bi(std::size_t n) { return static_cast<blas_int>(n); }

// WᵀV and V·Hᵀ, exactly as products.h's mulAtB(W, V, ·, R, K, N) and mulABt(V, H, ·, K, N, R).
void gemmPair(const double* V, const double* W, const double* H, double* WtV, double* VHt, std::size_t K, std::size_t N,
              std::size_t R) {
  cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, bi(R), bi(N), bi(K), 1.0, W, bi(R), V, bi(N), 0.0, WtV, bi(N));
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, bi(K), bi(R), bi(N), 1.0, V, bi(N), H, bi(N), 0.0, VHt, bi(R));
}

void gemmPair(const float* V, const float* W, const float* H, float* WtV, float* VHt, std::size_t K, std::size_t N,
              std::size_t R) {
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, bi(R), bi(N), bi(K), 1.0f, W, bi(R), V, bi(N), 0.0f, WtV, bi(N));
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, bi(K), bi(R), bi(N), 1.0f, V, bi(N), H, bi(N), 0.0f, VHt, bi(R));
}

template <typename T>
double medianPairSeconds(std::size_t K, std::size_t N, std::size_t R, std::size_t reps) {
  std::vector<T> V(K * N), W(K * R), H(R * N), WtV(R * N), VHt(K * R);
  fill(V, 1u);
  fill(W, 2u);
  fill(H, 3u);
  gemmPair(V.data(), W.data(), H.data(), WtV.data(), VHt.data(), K, N, R);  // warm-up
  std::vector<double> seconds(reps);
  for (std::size_t i = 0; i < reps; ++i) {
    const auto start = std::chrono::steady_clock::now();
    gemmPair(V.data(), W.data(), H.data(), WtV.data(), VHt.data(), K, N, R);
    seconds[i] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  std::sort(seconds.begin(), seconds.end());
  return reps % 2 == 1 ? seconds[reps / 2] : 0.5 * (seconds[reps / 2 - 1] + seconds[reps / 2]);
}

std::size_t dimension(const Napi::CallbackInfo& info, std::size_t index, const char* name, double max) {
  const Napi::Value value = index < info.Length() ? info[index] : info.Env().Undefined();
  if (!value.IsNumber())
    throw Napi::TypeError::New(info.Env(), std::string("gemmFloor: ") + name + " must be a number");
  const double x = value.As<Napi::Number>().DoubleValue();
  if (!(x >= 1) || x > max || std::floor(x) != x) {
    throw Napi::RangeError::New(info.Env(), std::string("gemmFloor: ") + name + " must be an integer in [1, " +
                                                std::to_string(static_cast<long long>(max)) + "]");
  }
  return static_cast<std::size_t>(x);
}

Napi::Value GemmFloor(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  constexpr double kMaxDim = 2147483647.0;
  const std::size_t K = dimension(info, 0, "K", kMaxDim);
  const std::size_t N = dimension(info, 1, "N", kMaxDim);
  const std::size_t R = dimension(info, 2, "R", kMaxDim);
  const std::size_t reps = dimension(info, 3, "reps", 1e6);
  std::string dtype = "float64";
  if (info.Length() > 4 && !info[4].IsUndefined()) {
    if (!info[4].IsString()) throw Napi::TypeError::New(env, "gemmFloor: dtype must be 'float64' or 'float32'");
    dtype = info[4].As<Napi::String>().Utf8Value();
  }
  // The largest operand, in entries; refuse what cannot be allocated rather than crash.
  const double entries = std::max({static_cast<double>(K) * N, static_cast<double>(K) * R, static_cast<double>(R) * N});
  if (entries > 2e9) throw Napi::RangeError::New(env, "gemmFloor: operands too large for a benchmark");
  try {
    if (dtype == "float64") return Napi::Number::New(env, medianPairSeconds<double>(K, N, R, reps));
    if (dtype == "float32") return Napi::Number::New(env, medianPairSeconds<float>(K, N, R, reps));
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, std::string("gemmFloor: ") + e.what());
  }
  throw Napi::RangeError::New(env, "gemmFloor: dtype must be 'float64' or 'float32'");
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("gemmFloor", Napi::Function::New<GemmFloor>(env, "gemmFloor"));
  return exports;
}

}  // namespace
}  // namespace nmf

// The macro pastes its argument into an identifier, so the initialiser is named without its namespace.
using nmf::Init;
NODE_API_MODULE(nmfkit_bench, Init)
