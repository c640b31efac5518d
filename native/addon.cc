// Node-API glue: turns JavaScript calls into calls on nmf::Fit, and every C++ failure into a JavaScript exception.
//
// The facade validates its input, but this file does not rely on it: a wrong call must end in a TypeError or
// RangeError, never in a crash, because a crash takes the whole process (and the user's work) with it.
//
// Exports:
//   new Fit(spec, V, W, H, mask, fixedColumnsW, indptr, indices)   copies the arrays
//     spec: Float64Array of the resolved specification's slots (src/spec.ts, encodeSpec); V: Float64Array or
//     Float32Array, W, H: Float64Array (spec.nnz entries: K×N, or the stored entries of a CSR V; K×R, R×N); mask:
//     Float64Array(K×N) when spec.masked and V is dense, else null; fixedColumnsW: Uint8Array(R); indptr, indices:
//     Int32Array(K + 1), Int32Array(nnz) of a CSR V's pattern (checked here so far as memory safety needs: offsets
//     from 0 to nnz, never decreasing, indices in [0, N)), else null
//     .run(steps, hChange, wChange, offset, objective?) → number   objective: Float64Array(≥ offset + steps)
//       receives F after each checkpoint iteration, NaN after the others
//     .runAsync(steps, hChange, wChange, offset, objective?) → Promise<number>   on the libuv pool
//     .converged() → boolean         the last iteration of the last (settled) run passed the stop rule
//     .cancel()                      stops the fit: a pending runAsync after its current iteration, later runs at once
//     .multiplyV(X, cols, transpose) → Float64Array   before the first run: V·X (X N×cols) or Vᵀ·X (X K×cols)
//     .multiplyVAsync(X, cols, transpose) → Promise<Float64Array>   the same on the libuv pool
//     .setFactors(W, H)              before the first run: replaces the initial factors
//     .finish() → { W, H, spectralError, frobeniusError, objective, initialObjective }
//     .finishAsync() → Promise<{ … the same }>   on the libuv pool
//     .dispose()                     frees the fit (a pending run or finish is cancelled and frees it when done)
//   runGroupAsync(fits, maxIter) → Promise<outcome[]>   every fit run to its end and finished, one after another on
//     the libuv pool, in one request: { executed, converged, hChange, wChange, objective, result } or an Error per fit
//   new Lane()                     groups run one after another on one pool thread, without a hand-over between them
//     .start(fits, maxIter) → { done, drained? }   the group joins the run in progress, or begins a run (then
//       drained resolves once that run has ended, its thread finding no group left, and every group of it has
//       settled); done as runGroupAsync's promise
//     .append(fits, maxIter) → done | undefined   the next group of the run in progress; undefined once it has ended
//   allocateMatrix(length) → Float64Array   fresh zeroed memory of a fit's own arena kind (arena.h: huge pages),
//     which the facade copies V into for an async fit, so that the copy does not pay a page fault per 4 KiB
//   releaseMatrix(array)           frees an allocateMatrix array at once (it is detached); any other typed array is
//     left as it is
//   blasInfo() → { vendor, version, config, threads }
//   setBlasThreads(n)
//   expLog(op, dtype, x, out, y?)   the kernels' own exp, log and power (exp-log.h), for the tests: out[i] = e^x[i]
//     (op 'exp'), log x[i] ('log') or x[i]^y ('pow'); dtype 'float32' computes on x rounded to float32
//   setSmallProducts(mode)         for the tests: 'on' forces small products onto small-products.cc's kernels
//     (where their AVX2 version runs), 'off' onto the BLAS, 'auto' lets products.h choose; set between fits only
#include <napi.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "arena.h"
#include "blas.h"
#include "exp-log.h"
#include "fit.h"
#include "products.h"

namespace {

// Counts (rows, steps, offsets …) arrive as JavaScript numbers; only integers up to 2^53 are exact there.
constexpr double kMaxSafeInteger = 9007199254740991.0;

// ---------------------------------------------------------------------------------------------------------------
// Errors: every one this file throws or rejects with carries a stable `code` (src/errors.ts, docs/api.md#errors),
// made by these helpers only.

constexpr const char* kInvalidType = "NMFKIT_INVALID_TYPE";
constexpr const char* kInvalidValue = "NMFKIT_INVALID_VALUE";
constexpr const char* kTooLarge = "NMFKIT_TOO_LARGE";
constexpr const char* kInvalidState = "NMFKIT_INVALID_STATE";
constexpr const char* kInternal = "NMFKIT_INTERNAL";

template <typename E>
E withCode(E error, const char* code) {
  error.Set("code", Napi::String::New(error.Env(), code));
  return error;
}

Napi::Error typeError(Napi::Env env, const std::string& message, const char* code = kInvalidType) {
  return withCode(Napi::TypeError::New(env, message), code);
}

Napi::Error rangeError(Napi::Env env, const std::string& message, const char* code = kInvalidValue) {
  return withCode(Napi::RangeError::New(env, message), code);
}

Napi::Error plainError(Napi::Env env, const std::string& message, const char* code) {
  return withCode(Napi::Error::New(env, message), code);
}

// ---------------------------------------------------------------------------------------------------------------
// Exceptions: C++ → JavaScript. node-addon-api only converts Napi::Error; anything else escaping a callback would
// call std::terminate, so every entry point runs its body through guarded().

template <typename Body>
auto guarded(Napi::Env env, Body&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::bad_alloc&) {
    // RangeError, like V8's own "Array buffer allocation failed".
    throw rangeError(env, "out of memory: not enough memory for this fit", kTooLarge);
  } catch (const std::length_error& e) {
    throw rangeError(env, e.what(), kTooLarge);
  } catch (const std::out_of_range& e) {
    throw rangeError(env, e.what());
  } catch (const std::invalid_argument& e) {
    throw rangeError(env, e.what());
  } catch (const std::logic_error& e) {
    // A call the fit's state does not allow (multiplyV or setFactors after the first run).
    throw plainError(env, std::string("nmfkit native: ") + e.what(), kInvalidState);
  } catch (const std::exception& e) {
    throw plainError(env, std::string("nmfkit native: ") + e.what(), kInternal);
  } catch (...) {
    throw plainError(env, "nmfkit native: unknown C++ exception", kInternal);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Arguments.

Napi::Value argument(const Napi::CallbackInfo& info, std::size_t index) {
  return index < info.Length() ? info[index] : info.Env().Undefined();
}

double numberArg(const Napi::CallbackInfo& info, std::size_t index, const char* name) {
  const Napi::Value value = argument(info, index);
  if (!value.IsNumber()) throw typeError(info.Env(), std::string(name) + " must be a number");
  return value.As<Napi::Number>().DoubleValue();
}

// An integer in [min, 2^53 − 1].
std::size_t countArg(const Napi::CallbackInfo& info, std::size_t index, const char* name, double min) {
  const double value = numberArg(info, index, name);
  if (!(value >= min) || value > kMaxSafeInteger || std::floor(value) != value) {
    // JavaScript's own number formatting, so the message shows 2.5, NaN or Infinity as the caller wrote them.
    throw rangeError(info.Env(), std::string(name) + " must be an integer ≥ " +
                                     std::to_string(static_cast<long long>(min)) + ", got " +
                                     argument(info, index).ToString().Utf8Value());
  }
  return static_cast<std::size_t>(value);
}

Napi::Float64Array arrayArg(const Napi::CallbackInfo& info, std::size_t index, const char* name) {
  const Napi::Value value = argument(info, index);
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
    throw typeError(info.Env(), std::string(name) + " must be a Float64Array");
  }
  return value.As<Napi::Float64Array>();
}

// V: a Float64Array, or a Float32Array (a synchronous fit's borrowed V, copied into the fit's dtype as it is read).
Napi::TypedArray matrixArg(const Napi::CallbackInfo& info, std::size_t index, const char* name) {
  const Napi::Value value = argument(info, index);
  if (value.IsTypedArray()) {
    const napi_typedarray_type type = value.As<Napi::TypedArray>().TypedArrayType();
    if (type == napi_float64_array || type == napi_float32_array) return value.As<Napi::TypedArray>();
  }
  throw typeError(info.Env(), std::string(name) + " must be a Float64Array or a Float32Array");
}

void requireLength(Napi::Env env, const Napi::TypedArray& array, const char* name, std::size_t expected) {
  if (array.ElementLength() != expected) {
    throw rangeError(env, std::string(name) + " has length " + std::to_string(array.ElementLength()) + ", expected " +
                              std::to_string(expected));
  }
}

// The specification: kSpecSlots float64 slots (src/spec.ts, encodeSpec), checked for what memory safety needs
// (integers where sizes go, enum indices in range, sizes the arena can hold). The values themselves (tolerances,
// penalties, the combinations of fields) are the facade's to validate.
nmf::FitSpec specArg(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const Napi::Float64Array slots = arrayArg(info, 0, "spec");
  requireLength(env, slots, "spec", nmf::kSpecSlots);
  if (const char* field = nmf::specSlotError(slots.Data())) {
    throw rangeError(env, std::string("spec.") + field + " holds no valid value");
  }
  const nmf::FitSpec spec = nmf::readSpec(slots.Data());
  if (spec.errorEvery < 1) throw rangeError(env, "spec.errorEvery must be at least 1");
  // Sizes before arrays: an absurd shape is reported as such (and nothing is allocated for it).
  nmf::checkFitSizes(spec);
  return spec;
}

Napi::Int32Array int32Arg(const Napi::CallbackInfo& info, std::size_t index, const char* name) {
  const Napi::Value value = argument(info, index);
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    throw typeError(info.Env(), std::string(name) + " must be an Int32Array");
  }
  return value.As<Napi::Int32Array>();
}

// What the kernels rely on for memory safety in a CSR pattern (the facade checks more, src/csr.ts): indptr has K + 1
// offsets from 0 to nnz, never decreasing, and indices has nnz entries in [0, N). Empty when it holds.
std::string patternError(const Napi::Int32Array& indptr, const Napi::Int32Array& indices, std::size_t K, std::size_t N,
                         std::size_t nnz) {
  if (indptr.ElementLength() != K + 1)
    return "indptr has length " + std::to_string(indptr.ElementLength()) + ", expected K + 1";
  if (indices.ElementLength() != nnz)
    return "indices has length " + std::to_string(indices.ElementLength()) + ", expected nnz";
  const std::int32_t* p = indptr.Data();
  if (p[0] != 0 || static_cast<std::size_t>(p[K]) != nnz) return "indptr must run from 0 to nnz";
  for (std::size_t i = 0; i < K; ++i) {
    if (p[i + 1] < p[i]) return "indptr decreases at " + std::to_string(i + 1);
  }
  const std::int32_t* c = indices.Data();
  for (std::size_t k = 0; k < nnz; ++k) {
    if (c[k] < 0 || static_cast<std::size_t>(c[k]) >= N) return "indices[" + std::to_string(k) + "] is out of range";
  }
  return "";
}

Napi::Uint8Array uint8Arg(const Napi::CallbackInfo& info, std::size_t index, const char* name) {
  const Napi::Value value = argument(info, index);
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw typeError(info.Env(), std::string(name) + " must be a Uint8Array");
  }
  return value.As<Napi::Uint8Array>();
}

// The output arrays of run/runAsync: each must hold offset + steps values (objective is optional).
struct RunArgs {
  std::size_t steps;
  Napi::Float64Array hChange;
  Napi::Float64Array wChange;
  std::size_t offset;
  Napi::Float64Array objective;  // empty when absent
};

RunArgs runArgs(const Napi::CallbackInfo& info) {
  RunArgs args{countArg(info, 0, "steps", 1), arrayArg(info, 1, "hChange"), arrayArg(info, 2, "wChange"),
               countArg(info, 3, "offset", 0), Napi::Float64Array()};
  if (!argument(info, 4).IsUndefined()) args.objective = arrayArg(info, 4, "objective");
  const std::size_t end = args.offset + args.steps;  // both ≤ 2^53, so no overflow
  for (const auto& [array, name] : {std::pair{&args.hChange, "hChange"}, std::pair{&args.wChange, "wChange"},
                                    std::pair{&args.objective, "objective"}}) {
    if (!array->IsEmpty() && array->ElementLength() < end) {
      throw rangeError(info.Env(), std::string(name) + " has length " + std::to_string(array->ElementLength()) +
                                       " but offset + steps = " + std::to_string(end));
    }
  }
  return args;
}

// ---------------------------------------------------------------------------------------------------------------
// The environment (the main thread's, or a worker thread's): tearing it down must neither wait for nor crash on the
// fits it started.

// The property names of the objects the addon returns (finishResult, runGroupAsync's outcomes). Each environment
// makes them once, into an array it keeps (Node-API before version 10 has no references to strings): a name given
// as a C string is converted and looked up in V8's string table at every use.
enum class Key : std::size_t {
  W,
  H,
  SpectralError,
  FrobeniusError,
  Objective,
  InitialObjective,
  Executed,
  Converged,
  HChange,
  WChange,
  Result,
  Count
};
constexpr std::array<const char*, static_cast<std::size_t>(Key::Count)> kKeyNames = {
    "W",        "H",         "spectralError", "frobeniusError", "objective", "initialObjective",
    "executed", "converged", "hChange",       "wChange",        "result"};

// What the addon keeps per environment: whether it is being torn down, and its fits, so that teardown cancels
// them (a running fit then stops before its next iteration, and the environment's exit is not held up by it).
struct EnvState {
  bool tearingDown = false;
  Napi::ObjectReference keys;  // an Array of kKeyNames
  // The Fit class, so that runGroupAsync can tell its fits from other objects before it unwraps them.
  Napi::FunctionReference fitClass;
  std::vector<std::weak_ptr<nmf::Fit>> fits;
  std::size_t pruneAt = 64;

  void add(const std::shared_ptr<nmf::Fit>& fit) {
    if (fits.size() >= pruneAt) {
      fits.erase(std::remove_if(fits.begin(), fits.end(), [](const auto& f) { return f.expired(); }), fits.end());
      pruneAt = std::max<std::size_t>(64, 2 * fits.size());
    }
    fits.push_back(fit);
  }
};

EnvState* envState(Napi::Env env) { return env.GetInstanceData<EnvState>(); }

// object[key] = value, with the environment's name for the key.
void setKey(Napi::Object object, Key key, napi_value value) {
  object.Set(envState(object.Env())->keys.Get(static_cast<std::uint32_t>(key)), value);
}

// Runs when the environment is torn down (worker.terminate(), process.exit() in a worker, the end of the main
// thread), before its pending work completes.
void tearDown(void* data) {
  auto* state = static_cast<EnvState*>(data);
  state->tearingDown = true;
  for (const auto& weak : state->fits) {
    if (const auto fit = weak.lock()) fit->cancel();
  }
}

// What work on a pool thread threw, as the code and message of the error its promise rejects with (no code: it
// returned). Pool threads make no Node-API calls, so the error itself is made later, on the JavaScript thread.
struct Failure {
  const char* code = nullptr;
  std::string message;
};

template <typename Work>
Failure captureFailure(Work&& work) {
  try {
    work();
    return {};
  } catch (const std::bad_alloc&) {
    return {kTooLarge, "out of memory: not enough memory for this fit"};
  } catch (const std::logic_error& e) {
    return {kInvalidState, std::string("nmfkit native: ") + e.what()};
  } catch (const std::exception& e) {
    return {kInternal, std::string("nmfkit native: ") + e.what()};
  } catch (...) {
    return {kInternal, "nmfkit native: unknown C++ exception"};
  }
}

// An AsyncWorker whose completion never calls into an environment that is being torn down: there, resolving the
// promise (or even opening a handle scope) throws, and a C++ exception escaping a libuv callback aborts the
// process. The worker is then only deleted.
class FitWorker : public Napi::AsyncWorker {
 protected:
  FitWorker(Napi::Env env, const char* name) : Napi::AsyncWorker(env, name) {}

  void OnWorkComplete(Napi::Env env, napi_status status) override {
    const EnvState* state = envState(env);
    if (state == nullptr || state->tearingDown) {
      Destroy();
      return;
    }
    try {
      Napi::AsyncWorker::OnWorkComplete(env, status);
    } catch (const Napi::Error&) {
      // Thrown before the base class deleted the worker (by its handle scope, or while reporting an error).
      Destroy();
    }
  }
};

// ---------------------------------------------------------------------------------------------------------------
// Fit.

class FitWrap : public Napi::ObjectWrap<FitWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(
        env, "Fit",
        {InstanceMethod<&FitWrap::MultiplyV>("multiplyV"), InstanceMethod<&FitWrap::MultiplyVAsync>("multiplyVAsync"),
         InstanceMethod<&FitWrap::SetFactors>("setFactors"), InstanceMethod<&FitWrap::Run>("run"),
         InstanceMethod<&FitWrap::RunAsync>("runAsync"), InstanceMethod<&FitWrap::Cancel>("cancel"),
         InstanceMethod<&FitWrap::Finish>("finish"), InstanceMethod<&FitWrap::FinishAsync>("finishAsync"),
         InstanceMethod<&FitWrap::Dispose>("dispose"), InstanceMethod<&FitWrap::Converged>("converged")});
  }

  explicit FitWrap(const Napi::CallbackInfo& info);

  // A garbage-collected fit frees its memory here. A pending runAsync keeps its JavaScript object alive, so this
  // cannot race with one; the cancel is only a safeguard for an environment being torn down.
  ~FitWrap() override {
    if (fit_) fit_->cancel();
  }

  // Runs when the JavaScript object is collected (before the destructor).
  void Finalize(Napi::BasicEnv env) override { releaseExternalMemory(env); }

 private:
  friend class FitCallWorker;
  friend class RunWorker;
  friend class FinishWorker;
  friend class MultiplyWorker;
  friend class FitGroup;
  friend std::vector<FitWrap*> groupOwners(Napi::Env env, const Napi::Value& list);

  // Queues a worker of this fit's (FitCallWorker) and returns its promise; the fit is busy until it settles.
  template <typename Worker>
  Napi::Promise queue(std::unique_ptr<Worker> worker);

  Napi::Value MultiplyV(const Napi::CallbackInfo& info);
  Napi::Value MultiplyVAsync(const Napi::CallbackInfo& info);
  Napi::Value SetFactors(const Napi::CallbackInfo& info);
  Napi::Value Run(const Napi::CallbackInfo& info);
  Napi::Value RunAsync(const Napi::CallbackInfo& info);
  Napi::Value Cancel(const Napi::CallbackInfo& info);
  Napi::Value Finish(const Napi::CallbackInfo& info);
  Napi::Value FinishAsync(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  Napi::Value Converged(const Napi::CallbackInfo& info);

  // Throws unless the fit can run or finish: not disposed, no runAsync pending, not finished.
  void requireIdle(Napi::Env env) const {
    if (!fit_) throw plainError(env, "fit is disposed", kInvalidState);
    if (busy_) throw plainError(env, "fit is busy", kInvalidState);
    if (finished_) throw plainError(env, "fit is finished", kInvalidState);
  }

  // V8 only sees a small JavaScript object; telling it about the native buffers lets it collect fits that were
  // never disposed as soon as their memory matters. (napi_adjust_external_memory is called directly: the
  // node-addon-api wrapper aborts the process when it fails.)
  void reportExternalMemory(napi_env env, std::int64_t bytes) {
    std::int64_t total = 0;
    if (napi_adjust_external_memory(env, bytes, &total) == napi_ok) externalBytes_ += bytes;
  }
  void releaseExternalMemory(napi_env env) {
    if (externalBytes_ != 0) reportExternalMemory(env, -externalBytes_);
  }

  // Shared with a pending RunWorker, so the state outlives this object if the environment goes away mid-run.
  std::shared_ptr<nmf::Fit> fit_;
  // fit_->converged() as of the last settled run, kept here so that reading it never races with a pending run.
  bool converged_ = false;
  bool busy_ = false;
  bool finished_ = false;
  std::int64_t externalBytes_ = 0;
};

FitWrap::FitWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<FitWrap>(info) {
  const Napi::Env env = info.Env();
  guarded(env, [&] {
    const nmf::FitSpec spec = specArg(info);
    const std::size_t K = spec.rows, N = spec.cols, R = spec.rank;
    // Reading arguments runs no JavaScript, so no pointer taken below can be detached before the copy.
    const Napi::TypedArray V = matrixArg(info, 1, "V");
    const Napi::Float64Array W = arrayArg(info, 2, "W");
    const Napi::Float64Array H = arrayArg(info, 3, "H");
    const bool csr = spec.storage == nmf::Storage::Csr;
    requireLength(env, V, "V", csr ? spec.nnz : K * N);
    requireLength(env, W, "W", K * R * spec.templateFrames);
    requireLength(env, H, "H", R * N);
    Napi::Float64Array mask;
    if (spec.masked && !csr) {
      mask = arrayArg(info, 4, "mask");
      requireLength(env, mask, "mask", K * N);
    } else if (!argument(info, 4).IsNull() && !argument(info, 4).IsUndefined()) {
      throw typeError(env, "mask must be null unless spec.masked with a dense V");
    }
    Napi::Int32Array indptr, indices;
    if (csr) {
      indptr = int32Arg(info, 6, "indptr");
      indices = int32Arg(info, 7, "indices");
      const std::string bad = patternError(indptr, indices, K, N, spec.nnz);
      if (!bad.empty()) throw rangeError(env, bad);
    }
    const Napi::Uint8Array fixed = uint8Arg(info, 5, "fixedColumnsW");
    if (fixed.ElementLength() != R) {
      throw rangeError(
          env, "fixedColumnsW has length " + std::to_string(fixed.ElementLength()) + ", expected " + std::to_string(R));
    }
    const bool vFloat32 = V.TypedArrayType() == napi_float32_array;
    const nmf::FitArrays arrays{vFloat32 ? nullptr : V.As<Napi::Float64Array>().Data(),
                                vFloat32 ? V.As<Napi::Float32Array>().Data() : nullptr,
                                W.Data(),
                                H.Data(),
                                spec.masked && !csr ? mask.Data() : nullptr,
                                fixed.Data(),
                                csr ? indptr.Data() : nullptr,
                                csr ? indices.Data() : nullptr};
    fit_ = nmf::Fit::create(spec, arrays);
    if (EnvState* state = envState(env)) state->add(fit_);
    reportExternalMemory(env, static_cast<std::int64_t>(fit_->bytes()));
  });
}

// A worker of one call of a fit's (runAsync, multiplyVAsync, finishAsync) on the libuv pool: it settles the call's
// promise, shares the fit's state (so the state outlives the wrapper if the environment goes away mid-call) and
// keeps the wrapper alive; the wrapper is busy until the worker settles.
class FitCallWorker : public FitWorker {
 public:
  Napi::Promise Promise() const { return deferred_.Promise(); }

 protected:
  FitCallWorker(Napi::Env env, const char* name, FitWrap* owner)
      : FitWorker(env, name),
        deferred_(Napi::Promise::Deferred::New(env)),
        owner_(owner),
        ownerRef_(Napi::Persistent(owner->Value())),
        fit_(owner->fit_) {}

  // The call's work, on a pool thread: no Node-API calls there. What it throws rejects the promise.
  virtual void Work() = 0;

  void Execute() final {
    const Failure failure = captureFailure([&] { Work(); });
    if (failure.code != nullptr) {
      code_ = failure.code;
      SetError(failure.message);
    }
  }

  // The error of a failed Work(), made by the base class from SetError's message, gets the code set there.
  void OnError(const Napi::Error& error) override {
    owner_->busy_ = false;
    Napi::Object value = error.Value();
    value.Set("code", Napi::String::New(Env(), code_));
    deferred_.Reject(value);
  }

  Napi::Promise::Deferred deferred_;
  FitWrap* owner_;  // kept alive by ownerRef_
  Napi::ObjectReference ownerRef_;
  std::shared_ptr<nmf::Fit> fit_;
  const char* code_ = kInternal;  // the code of the error SetError reports
};

template <typename Worker>
Napi::Promise FitWrap::queue(std::unique_ptr<Worker> worker) {
  // Allocations happen before, where a failure can still throw (and the unique_ptr frees the worker). Once queued,
  // the worker deletes itself after OnOK/OnError.
  const Napi::Promise promise = worker->Promise();
  worker->Queue();
  worker.release();
  busy_ = true;  // cleared by the worker on the JavaScript thread, so it cannot be cleared before this line
  return promise;
}

// The arguments of multiplyV/multiplyVAsync: X (N×cols, or K×cols with `transpose`) copied, so that the product
// can run on the pool while JavaScript holds the array.
struct MultiplyArgs {
  std::vector<double> X;
  std::size_t cols;
  bool transpose;
  std::size_t outLength;
};

MultiplyArgs multiplyArgs(const Napi::CallbackInfo& info, const nmf::FitSpec& spec) {
  const Napi::Env env = info.Env();
  const Napi::Float64Array X = arrayArg(info, 0, "X");
  const std::size_t cols = countArg(info, 1, "cols", 1);
  if (!argument(info, 2).IsBoolean()) throw typeError(env, "transpose must be a boolean");
  const bool transpose = argument(info, 2).As<Napi::Boolean>().Value();
  const std::size_t inner = transpose ? spec.rows : spec.cols, outer = transpose ? spec.cols : spec.rows;
  // At most max(K, N) columns (an initialisation asks for at most min(K, N)): the sizes below cannot overflow.
  if (cols > std::max(spec.rows, spec.cols)) {
    throw rangeError(env, "cols must be at most max(K, N) = " + std::to_string(std::max(spec.rows, spec.cols)));
  }
  requireLength(env, X, "X", inner * cols);
  return MultiplyArgs{std::vector<double>(X.Data(), X.Data() + inner * cols), cols, transpose, outer * cols};
}

Napi::Value FitWrap::MultiplyV(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    requireIdle(env);
    const MultiplyArgs args = multiplyArgs(info, fit_->spec);
    Napi::Float64Array out = Napi::Float64Array::New(env, args.outLength);
    fit_->multiplyV(args.X.data(), args.cols, args.transpose, out.Data());
    return out;
  });
}

// multiplyVAsync: the product runs on the libuv pool into a buffer of the worker's, copied into a fresh array on
// the JavaScript thread.
class MultiplyWorker : public FitCallWorker {
 public:
  MultiplyWorker(Napi::Env env, FitWrap* owner, MultiplyArgs args)
      : FitCallWorker(env, "nmfkit:multiplyVAsync", owner), args_(std::move(args)), out_(args_.outLength) {}

 protected:
  void Work() override { fit_->multiplyV(args_.X.data(), args_.cols, args_.transpose, out_.data()); }

  void OnOK() override {
    owner_->busy_ = false;
    Napi::Float64Array out = Napi::Float64Array::New(Env(), out_.size());
    std::copy(out_.begin(), out_.end(), out.Data());
    deferred_.Resolve(out);
  }

 private:
  MultiplyArgs args_;
  std::vector<double> out_;
};

Napi::Value FitWrap::MultiplyVAsync(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    requireIdle(env);
    return queue(std::make_unique<MultiplyWorker>(env, this, multiplyArgs(info, fit_->spec)));
  });
}

Napi::Value FitWrap::SetFactors(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    requireIdle(env);
    const Napi::Float64Array W = arrayArg(info, 0, "W");
    const Napi::Float64Array H = arrayArg(info, 1, "H");
    requireLength(env, W, "W", fit_->spec.rows * fit_->spec.rank * fit_->spec.templateFrames);
    requireLength(env, H, "H", fit_->spec.rank * fit_->spec.cols);
    fit_->setFactors(W.Data(), H.Data());
    return env.Undefined();
  });
}

Napi::Value FitWrap::Run(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return guarded(env, [&] {
    requireIdle(env);
    RunArgs args = runArgs(info);
    double* objective = args.objective.IsEmpty() ? nullptr : args.objective.Data() + args.offset;
    converged_ = false;
    const std::size_t done =
        fit_->run(args.steps, args.hChange.Data() + args.offset, args.wChange.Data() + args.offset, objective);
    converged_ = fit_->converged();
    return Napi::Number::New(env, static_cast<double>(done));
  });
}

// runAsync: the iterations run on the libuv pool and write into the worker's own scratch arrays; the results are
// copied into the caller's arrays on the JavaScript thread. Writing into the caller's arrays from the pool would
// race with JavaScript (and crash if an array's buffer were transferred meanwhile).
class RunWorker : public FitCallWorker {
 public:
  RunWorker(Napi::Env env, FitWrap* owner, RunArgs args)
      : FitCallWorker(env, "nmfkit:runAsync", owner),
        steps_(args.steps),
        offset_(args.offset),
        hRef_(Napi::Persistent(args.hChange)),
        wRef_(Napi::Persistent(args.wChange)),
        hScratch_(args.steps),
        wScratch_(args.steps) {
    if (!args.objective.IsEmpty()) {
      fRef_ = Napi::Persistent(args.objective);
      fScratch_.resize(args.steps);
    }
  }

 protected:
  void Work() override {
    done_ = fit_->run(steps_, hScratch_.data(), wScratch_.data(), fScratch_.empty() ? nullptr : fScratch_.data());
    converged_ = fit_->converged();
  }

  void OnOK() override {
    const Napi::Env env = Env();
    owner_->busy_ = false;
    owner_->converged_ = converged_;
    Napi::Float64Array h = hRef_.Value();
    Napi::Float64Array w = wRef_.Value();
    Napi::Float64Array f = fScratch_.empty() ? Napi::Float64Array() : fRef_.Value();
    // The caller was told not to touch the arrays, but a detached buffer must still not be written.
    if (h.ElementLength() < offset_ + done_ || w.ElementLength() < offset_ + done_ ||
        (!fScratch_.empty() && f.ElementLength() < offset_ + done_)) {
      deferred_.Reject(
          plainError(env, "hChange, wChange or objective was detached or resized during runAsync", kInvalidState)
              .Value());
      return;
    }
    std::memcpy(h.Data() + offset_, hScratch_.data(), done_ * sizeof(double));
    std::memcpy(w.Data() + offset_, wScratch_.data(), done_ * sizeof(double));
    if (!fScratch_.empty()) std::memcpy(f.Data() + offset_, fScratch_.data(), done_ * sizeof(double));
    deferred_.Resolve(Napi::Number::New(env, static_cast<double>(done_)));
  }

  void OnError(const Napi::Error& error) override {
    owner_->converged_ = false;
    FitCallWorker::OnError(error);
  }

 private:
  const std::size_t steps_;
  const std::size_t offset_;
  Napi::Reference<Napi::Float64Array> hRef_;
  Napi::Reference<Napi::Float64Array> wRef_;
  Napi::Reference<Napi::Float64Array> fRef_;  // the objective array, when given (kept alive like the others)
  std::vector<double> hScratch_;
  std::vector<double> wScratch_;
  std::vector<double> fScratch_;  // empty when no objective array was given
  std::size_t done_ = 0;
  bool converged_ = false;
};

Napi::Value FitWrap::RunAsync(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    requireIdle(env);
    RunArgs args = runArgs(info);
    converged_ = false;
    return queue(std::make_unique<RunWorker>(env, this, std::move(args)));
  });
}

Napi::Value FitWrap::Cancel(const Napi::CallbackInfo& info) {
  // Never throws, even on a disposed fit: it is called from abort handlers, which may race with completion.
  if (fit_) fit_->cancel();
  return info.Env().Undefined();
}

// A fresh typed array of `length` entries of the fit's dtype (Float32Array for a float32 fit, else Float64Array)
// holding W or H.
template <typename Copy>
Napi::TypedArray factorArray(Napi::Env env, const nmf::Fit& fit, std::size_t length, Copy copy) {
  if (fit.spec.dtype == nmf::Dtype::Float32) {
    Napi::Float32Array out = Napi::Float32Array::New(env, length);
    copy(out.Data());
    return out;
  }
  Napi::Float64Array out = Napi::Float64Array::New(env, length);
  copy(out.Data());
  return out;
}

// { W, H, spectralError, frobeniusError, objective, initialObjective } with fresh arrays, of the fit's dtype.
Napi::Object finishResult(Napi::Env env, const nmf::Fit& fit, const nmf::FitErrors& errors) {
  const auto outW = factorArray(env, fit, fit.spec.rows * fit.spec.rank * fit.spec.templateFrames,
                                [&](auto* out) { fit.copyW(out); });
  const auto outH = factorArray(env, fit, fit.spec.rank * fit.spec.cols, [&](auto* out) { fit.copyH(out); });
  Napi::Object result = Napi::Object::New(env);
  setKey(result, Key::W, outW);
  setKey(result, Key::H, outH);
  setKey(result, Key::SpectralError, Napi::Number::New(env, errors.spectral));
  setKey(result, Key::FrobeniusError, Napi::Number::New(env, errors.frobenius));
  setKey(result, Key::Objective, Napi::Number::New(env, errors.objective));
  setKey(result, Key::InitialObjective, Napi::Number::New(env, errors.initialObjective));
  return result;
}

Napi::Value FitWrap::Finish(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    requireIdle(env);
    const nmf::FitErrors errors = fit_->finish();
    finished_ = true;
    return finishResult(env, *fit_, errors);
  });
}

// finishAsync: the residual and its Lanczos spectral norm can take long on big problems, so they run on the
// libuv pool too; the result arrays are made on the JavaScript thread.
class FinishWorker : public FitCallWorker {
 public:
  FinishWorker(Napi::Env env, FitWrap* owner) : FitCallWorker(env, "nmfkit:finishAsync", owner) {}

 protected:
  void Work() override { errors_ = fit_->finish(); }

  void OnOK() override {
    owner_->busy_ = false;
    owner_->finished_ = true;
    deferred_.Resolve(finishResult(Env(), *fit_, errors_));
  }

 private:
  nmf::FitErrors errors_{0.0, 0.0, 0.0, 0.0};
};

Napi::Value FitWrap::FinishAsync(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    requireIdle(env);
    return queue(std::make_unique<FinishWorker>(env, this));
  });
}

Napi::Value FitWrap::Dispose(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  // A pending worker holds its own reference to the state: cancelling stops it soon, and the state is freed
  // when the last reference goes. Idempotent: resetting an empty pointer does nothing.
  if (fit_) fit_->cancel();
  fit_.reset();
  releaseExternalMemory(env);
  return env.Undefined();
}

// Known after the fit is disposed too; false before any run, and while a runAsync is pending.
Napi::Value FitWrap::Converged(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), converged_); }

// ---------------------------------------------------------------------------------------------------------------
// Groups of fits.

// A group of fits: every fit run to its end (at most maxIter iterations, none for 0, with F at the checkpoints) and
// finished, one after another on a pool thread (Run), so that many small fits pay one hand-over to the pool and back
// per group instead of two per fit. Each fit settles on its own (Settle, on the JavaScript thread): the promise
// resolves with one entry per fit, { executed, converged, hChange, wChange, objective, result } (result as
// finish's) or the Error it failed with. A fit cancelled before its turn does not run (an Error, code
// NMFKIT_INVALID_STATE); the one running stops before its next iteration. Its fits are busy until it settles.
class FitGroup {
 public:
  FitGroup(Napi::Env env, const std::vector<FitWrap*>& owners, std::size_t maxIter)
      : deferred_(Napi::Promise::Deferred::New(env)), maxIter_(maxIter) {
    members_.reserve(owners.size());
    for (FitWrap* owner : owners) {
      members_.push_back(Member{owner, Napi::Persistent(owner->Value()), owner->fit_});
      owner->busy_ = true;
    }
  }

  Napi::Promise Promise() const { return deferred_.Promise(); }

  // On a pool thread.
  void Run() {
    for (Member& m : members_) {
      if (m.fit->cancelled()) {
        m.failure = {kInvalidState, "nmfkit native: the fit was cancelled before it ran"};
        continue;
      }
      m.failure = captureFailure([&] {
        if (maxIter_ > 0) {
          m.h.resize(maxIter_);
          m.w.resize(maxIter_);
          m.f.resize(maxIter_);
          m.executed = m.fit->run(maxIter_, m.h.data(), m.w.data(), m.f.data());
          m.converged = m.fit->converged();
        }
        m.errors = m.fit->finish();
      });
    }
  }

  void Settle(Napi::Env env) {
    for (Member& m : members_) m.owner->busy_ = false;
    Napi::Array outcomes = Napi::Array::New(env, members_.size());
    for (std::size_t i = 0; i < members_.size(); ++i) {
      Member& m = members_[i];
      const auto index = static_cast<std::uint32_t>(i);
      if (m.failure.code != nullptr) {
        outcomes.Set(index, plainError(env, m.failure.message, m.failure.code).Value());
        continue;
      }
      m.owner->finished_ = true;
      m.owner->converged_ = m.converged;
      Napi::Object outcome = Napi::Object::New(env);
      setKey(outcome, Key::Executed, Napi::Number::New(env, static_cast<double>(m.executed)));
      setKey(outcome, Key::Converged, Napi::Boolean::New(env, m.converged));
      setKey(outcome, Key::HChange, copyOf(env, m.h, m.executed));
      setKey(outcome, Key::WChange, copyOf(env, m.w, m.executed));
      setKey(outcome, Key::Objective, copyOf(env, m.f, m.executed));
      setKey(outcome, Key::Result, finishResult(env, *m.fit, m.errors));
      outcomes.Set(index, outcome);
    }
    deferred_.Resolve(outcomes);
  }

  // A group that never ran: its fits are idle again. Its promise was never handed out; resolving it frees what
  // Node-API keeps for it until it settles.
  void Release(Napi::Env env) {
    for (Member& m : members_) m.owner->busy_ = false;
    deferred_.Resolve(env.Undefined());
  }

  // Should the worker itself fail (Run reports every failure in its fit's entry).
  void Fail(const Napi::Error& error) {
    for (Member& m : members_) m.owner->busy_ = false;
    deferred_.Reject(error.Value());
  }

 private:
  struct Member {
    FitWrap* owner;  // kept alive by ownerRef
    Napi::ObjectReference ownerRef;
    std::shared_ptr<nmf::Fit> fit;
    std::vector<double> h{}, w{}, f{};
    std::size_t executed = 0;
    bool converged = false;
    nmf::FitErrors errors{0.0, 0.0, 0.0, 0.0};
    Failure failure{};
  };

  static Napi::Float64Array copyOf(Napi::Env env, const std::vector<double>& from, std::size_t count) {
    Napi::Float64Array out = Napi::Float64Array::New(env, count);
    if (count > 0) std::memcpy(out.Data(), from.data(), count * sizeof(double));
    return out;
  }

  Napi::Promise::Deferred deferred_;
  const std::size_t maxIter_;
  std::vector<Member> members_;
};

// The fits of a group from a JavaScript array, checked: each a Fit, idle, listed once. Every entry is checked before
// any is marked busy, so a refused call leaves every fit as it was.
std::vector<FitWrap*> groupOwners(Napi::Env env, const Napi::Value& list) {
  if (!list.IsArray()) throw typeError(env, "fits must be an array of Fit objects");
  const Napi::Array fits = list.As<Napi::Array>();
  const EnvState* state = envState(env);
  if (state == nullptr || state->fitClass.IsEmpty()) throw plainError(env, "nmfkit native: not initialised", kInternal);
  // Reading the entries and testing their class may run JavaScript (getters, proxy traps), which could dispose or
  // start a fit: both are done first, and the checks that read the fits' state run no JavaScript after them.
  std::vector<Napi::Value> values;
  values.reserve(fits.Length());
  for (std::uint32_t i = 0; i < fits.Length(); ++i) values.push_back(fits.Get(i));
  std::vector<bool> isFit;
  for (const Napi::Value& value : values) {
    isFit.push_back(value.IsObject() && value.As<Napi::Object>().InstanceOf(state->fitClass.Value()));
  }
  std::vector<FitWrap*> owners;
  owners.reserve(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    // An object that inherits from a Fit passes InstanceOf but wraps nothing: napi_unwrap tells.
    void* wrapped = nullptr;
    if (!isFit[i] || napi_unwrap(env, values[i], &wrapped) != napi_ok || wrapped == nullptr) {
      throw typeError(env, "fits[" + std::to_string(i) + "] must be a Fit");
    }
    FitWrap* owner = static_cast<FitWrap*>(wrapped);
    owner->requireIdle(env);
    if (std::find(owners.begin(), owners.end(), owner) != owners.end()) {
      throw plainError(env, "fits[" + std::to_string(i) + "] is listed twice", kInvalidState);
    }
    owners.push_back(owner);
  }
  return owners;
}

// runGroupAsync(fits, maxIter): one group (FitGroup) in one request on the libuv pool.
class GroupWorker : public FitWorker {
 public:
  GroupWorker(Napi::Env env, const std::vector<FitWrap*>& owners, std::size_t maxIter)
      : FitWorker(env, "nmfkit:runGroupAsync"), group_(env, owners, maxIter) {}

  Napi::Promise Promise() const { return group_.Promise(); }

 protected:
  void Execute() override { group_.Run(); }
  void OnOK() override { group_.Settle(Env()); }
  void OnError(const Napi::Error& error) override { group_.Fail(error); }

 private:
  FitGroup group_;
};

Napi::Value RunGroupAsync(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    const std::vector<FitWrap*> owners = groupOwners(env, argument(info, 0));
    const std::size_t maxIter = countArg(info, 1, "maxIter", 0);
    auto worker = std::make_unique<GroupWorker>(env, owners, maxIter);
    const Napi::Promise promise = worker->Promise();
    worker->Queue();
    worker.release();
    return promise;
  });
}

class LaneWorker;

// A lane: groups of fits that one pool thread runs one after another, without a hand-over to the JavaScript thread
// between them. `append` gives the run in progress its next group, which its thread takes as soon as the group
// before is done, so that the thread is not idle while the JavaScript thread settles the last group and creates
// the next one's fits; `start` does the same, or begins a run where none can take the group. A run ends when its
// thread finds no group left; then `append` returns undefined.
//   lane.start(fits, maxIter) → { done, drained? }   done: the group's promise (as runGroupAsync's); drained, where
//     the group began a run: resolves when that run has ended and every group of it has settled
//   lane.append(fits, maxIter) → done | undefined
class LaneWrap : public Napi::ObjectWrap<LaneWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Lane",
                       {InstanceMethod<&LaneWrap::Start>("start"), InstanceMethod<&LaneWrap::Append>("append")});
  }

  explicit LaneWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<LaneWrap>(info) {}

 private:
  friend class LaneWorker;

  Napi::Value Start(const Napi::CallbackInfo& info);
  Napi::Value Append(const Napi::CallbackInfo& info);

  LaneWorker* run_ = nullptr;  // the run in progress, until it has settled (it clears this)
};

// One run of a lane: a request on the libuv pool whose thread runs the groups as they come (Execute) and settles each
// on the JavaScript thread as soon as it is done (OnProgress), the rest when the run ends (OnOK).
class LaneWorker : public Napi::AsyncProgressQueueWorker<char> {
 public:
  LaneWorker(Napi::Env env, LaneWrap* lane, std::unique_ptr<FitGroup> first)
      : Napi::AsyncProgressQueueWorker<char>(env, "nmfkit:lane"),
        lane_(lane),
        laneRef_(Napi::Persistent(lane->Value())),
        drained_(Napi::Promise::Deferred::New(env)) {
    pending_.push_back(std::move(first));
  }

  Napi::Promise Drained() const { return drained_.Promise(); }

  // Gives the run its next group, unless its thread has found none left and ended: false then (the group is kept).
  bool Append(std::unique_ptr<FitGroup>& group) {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (ended_) return false;
    pending_.push_back(std::move(group));
    return true;
  }

 protected:
  void Execute(const ExecutionProgress& progress) override {
    for (;;) {
      std::unique_ptr<FitGroup> group;
      {
        const std::lock_guard<std::mutex> lock(mutex_);
        if (pending_.empty()) {
          ended_ = true;
          return;
        }
        group = std::move(pending_.front());
        pending_.pop_front();
      }
      group->Run();
      {
        const std::lock_guard<std::mutex> lock(mutex_);
        done_.push_back(std::move(group));
      }
      progress.Signal();
    }
  }

  void OnProgress(const char* /*data*/, std::size_t /*count*/) override {
    if (usable()) settleDone();
  }

  void OnOK() override {
    if (!usable()) return;
    settleDone();
    if (lane_->run_ == this) lane_->run_ = nullptr;
    drained_.Resolve(Env().Undefined());
  }

  // Execute reports every failure in its fits' entries; this only settles the promises should the base class fail.
  void OnError(const Napi::Error& error) override {
    if (!usable()) return;
    std::deque<std::unique_ptr<FitGroup>> left;
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      left.swap(done_);
      for (auto& group : pending_) left.push_back(std::move(group));
      pending_.clear();
    }
    for (auto& group : left) group->Fail(error);
    if (lane_->run_ == this) lane_->run_ = nullptr;
    drained_.Reject(error.Value());
  }

  // In an environment being torn down nothing is settled (as FitWorker): the base class would open a handle scope
  // there, which throws, and an exception escaping a libuv callback aborts the process. The run is left to the
  // environment's end.
  void OnWorkComplete(Napi::Env env, napi_status status) override {
    if (!usable()) return;
    Napi::AsyncProgressQueueWorker<char>::OnWorkComplete(env, status);
  }

 private:
  bool usable() {
    const EnvState* state = envState(Env());
    return state != nullptr && !state->tearingDown;
  }

  void settleDone() {
    std::deque<std::unique_ptr<FitGroup>> done;
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      done.swap(done_);
    }
    for (auto& group : done) group->Settle(Env());
  }

  LaneWrap* lane_;  // kept alive by laneRef_
  Napi::ObjectReference laneRef_;
  Napi::Promise::Deferred drained_;
  std::mutex mutex_;
  std::deque<std::unique_ptr<FitGroup>> pending_;  // given, not yet started
  std::deque<std::unique_ptr<FitGroup>> done_;     // run, not yet settled
  bool ended_ = false;                             // Execute found nothing left: Append refuses
};

Napi::Value LaneWrap::Start(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    const std::vector<FitWrap*> owners = groupOwners(env, argument(info, 0));
    const std::size_t maxIter = countArg(info, 1, "maxIter", 0);
    auto group = std::make_unique<FitGroup>(env, owners, maxIter);
    Napi::Object started = Napi::Object::New(env);
    started.Set("done", group->Promise());
    // A run in progress takes the group; one that has ended but not yet settled (its thread found nothing left)
    // cannot, and settles on its own beside the new run.
    if (run_ != nullptr && run_->Append(group)) return started;
    auto worker = std::make_unique<LaneWorker>(env, this, std::move(group));
    started.Set("drained", worker->Drained());
    worker->Queue();
    run_ = worker.release();
    return started;
  });
}

Napi::Value LaneWrap::Append(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    const std::vector<FitWrap*> owners = groupOwners(env, argument(info, 0));
    const std::size_t maxIter = countArg(info, 1, "maxIter", 0);
    if (run_ == nullptr) return env.Undefined();
    auto group = std::make_unique<FitGroup>(env, owners, maxIter);
    const Napi::Promise done = group->Promise();
    if (!run_->Append(group)) {
      // The run has ended: the group never started, and its fits are idle again.
      group->Release(env);
      return env.Undefined();
    }
    return done;
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Memory.

// The most entries allocateMatrix gives: 2^31 − 1, the most a fit's V may hold (src/validate.ts, checkedSize).
constexpr double kMaxMatrixEntries = 2147483647.0;

// The memory of the allocateMatrix arrays not yet freed, so that releaseMatrix frees only those. Shared by every
// environment (worker threads), and never destroyed: a buffer's finalizer may run while the process exits.
std::mutex& matricesMutex() {
  static auto* mutex = new std::mutex();
  return *mutex;
}
std::unordered_set<const void*>& liveMatrices() {
  static auto* live = new std::unordered_set<const void*>();
  return *live;
}

// A Float64Array over a new Arena, which the array's buffer owns (freed when it is collected or released), zeroed
// here unless it is a fresh mapping.
Napi::Value AllocateMatrix(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    const std::size_t length = countArg(info, 0, "length", 1);
    if (static_cast<double>(length) > kMaxMatrixEntries) {
      throw rangeError(env, "length must be at most 2^31 − 1, got " + std::to_string(length));
    }
    const std::size_t bytes = length * sizeof(double);
    auto arena = std::make_unique<nmf::Arena>(bytes);
    if (!arena->zeroed()) std::memset(arena->data(), 0, bytes);
    nmf::Arena* owned = arena.get();
    {
      const std::lock_guard<std::mutex> lock(matricesMutex());
      liveMatrices().insert(owned->data());
    }
    Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(
        env, owned->data(), bytes,
        [](Napi::Env, void*, nmf::Arena* a) {
          {
            const std::lock_guard<std::mutex> lock(matricesMutex());
            liveMatrices().erase(a->data());
          }
          delete a;
        },
        owned);
    arena.release();
    return Napi::Float64Array::New(env, length, buffer, 0);
  });
}

// The facade's copy of V (or of a mask) for an async fit is read once, when the fit is created, which copies it
// into the fit's own memory. Left to the garbage collector, such copies of earlier calls pile up (V8 does not see
// their size), and a later fit's memory then comes slower; detaching the buffer frees it now.
Napi::Value ReleaseMatrix(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    const Napi::Value value = argument(info, 0);
    if (!value.IsTypedArray()) throw typeError(env, "array must be a typed array");
    Napi::ArrayBuffer buffer = value.As<Napi::TypedArray>().ArrayBuffer();
    bool ours = false;
    {
      const std::lock_guard<std::mutex> lock(matricesMutex());
      ours = liveMatrices().count(buffer.Data()) != 0;
    }
    if (ours && !buffer.IsDetached()) buffer.Detach();
    return env.Undefined();
  });
}

// ---------------------------------------------------------------------------------------------------------------
// BLAS.

Napi::Value BlasInfo(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return guarded(env, [&] {
    const nmf::BlasInfo blas = nmf::blasInfo();
    Napi::Object result = Napi::Object::New(env);
    result.Set("vendor", blas.vendor);
    result.Set("version", blas.version);
    result.Set("config", blas.config);
    result.Set("threads", blas.threads);
    return result;
  });
}

Napi::Value SetBlasThreads(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return guarded(env, [&] {
    const std::size_t threads = countArg(info, 0, "threads", 1);
    if (threads > 4096) throw rangeError(env, "threads must be at most 4096");
    nmf::setBlasThreads(static_cast<int>(threads));
    return env.Undefined();
  });
}

// ---------------------------------------------------------------------------------------------------------------
// The elementary functions of the kernels (exp-log.h), for the tests.

template <typename T>
void applyExpLog(const std::string& op, const double* x, double* out, std::size_t n, double y) {
  const T e = static_cast<T>(y);
  for (std::size_t i = 0; i < n; ++i) {
    const T v = static_cast<T>(x[i]);
    out[i] = static_cast<double>(op == "exp" ? nmf::polyExp(v) : op == "log" ? nmf::polyLog(v) : nmf::polyPow(v, e));
  }
}

Napi::Value ExpLog(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return guarded(env, [&] {
    const Napi::Value opArg = argument(info, 0), dtypeArg = argument(info, 1);
    const std::string op = opArg.IsString() ? opArg.As<Napi::String>().Utf8Value() : "";
    if (op != "exp" && op != "log" && op != "pow") throw typeError(env, "op must be 'exp', 'log' or 'pow'");
    const std::string dtype = dtypeArg.IsString() ? dtypeArg.As<Napi::String>().Utf8Value() : "";
    if (dtype != "float64" && dtype != "float32") throw typeError(env, "dtype must be 'float64' or 'float32'");
    const Napi::Float64Array x = arrayArg(info, 2, "x");
    Napi::Float64Array out = arrayArg(info, 3, "out");
    requireLength(env, out, "out", x.ElementLength());
    const double y = op == "pow" ? numberArg(info, 4, "y") : 0.0;
    if (dtype == "float32")
      applyExpLog<float>(op, x.Data(), out.Data(), x.ElementLength(), y);
    else
      applyExpLog<double>(op, x.Data(), out.Data(), x.ElementLength(), y);
    return env.Undefined();
  });
}

Napi::Value SetSmallProducts(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return guarded(env, [&] {
    const Napi::Value modeArg = argument(info, 0);
    const std::string mode = modeArg.IsString() ? modeArg.As<Napi::String>().Utf8Value() : "";
    if (mode != "auto" && mode != "on" && mode != "off") throw typeError(env, "mode must be 'auto', 'on' or 'off'");
    nmf::smallProductsSetting().store(mode == "on"    ? nmf::SmallProducts::On
                                      : mode == "off" ? nmf::SmallProducts::Off
                                                      : nmf::SmallProducts::Auto);
    return env.Undefined();
  });
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* state = new EnvState();
  env.SetInstanceData(state);  // deleted with the environment, after its cleanup hooks have run
  if (napi_add_env_cleanup_hook(env, tearDown, state) != napi_ok) {
    throw plainError(env, "nmfkit native: cannot register the environment's cleanup hook", kInternal);
  }
  Napi::Array keys = Napi::Array::New(env, kKeyNames.size());
  for (std::size_t k = 0; k < kKeyNames.size(); ++k) keys.Set(static_cast<std::uint32_t>(k), kKeyNames[k]);
  state->keys = Napi::Persistent(keys.As<Napi::Object>());
  const Napi::Function fitClass = FitWrap::Define(env);
  state->fitClass = Napi::Persistent(fitClass);
  exports.Set("Fit", fitClass);
  exports.Set("runGroupAsync", Napi::Function::New<RunGroupAsync>(env, "runGroupAsync"));
  exports.Set("Lane", LaneWrap::Define(env));
  exports.Set("allocateMatrix", Napi::Function::New<AllocateMatrix>(env, "allocateMatrix"));
  exports.Set("releaseMatrix", Napi::Function::New<ReleaseMatrix>(env, "releaseMatrix"));
  exports.Set("blasInfo", Napi::Function::New<BlasInfo>(env, "blasInfo"));
  exports.Set("setBlasThreads", Napi::Function::New<SetBlasThreads>(env, "setBlasThreads"));
  exports.Set("expLog", Napi::Function::New<ExpLog>(env, "expLog"));
  exports.Set("setSmallProducts", Napi::Function::New<SetSmallProducts>(env, "setSmallProducts"));
  // The loader compares it with src/spec.ts: an addon built from another specification is refused, not misread.
  exports.Set("specSlots", Napi::Number::New(env, static_cast<double>(nmf::kSpecSlots)));
  return exports;
}

}  // namespace

NODE_API_MODULE(nmfkit, Init)
