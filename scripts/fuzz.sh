#!/usr/bin/env bash
# npm run fuzz — every fuzz target for a bounded time; fails on any finding.
#
# Native targets (libFuzzer, clang, AddressSanitizer + UndefinedBehaviorSanitizer; fuzz/native/):
#   spec   the glue's decoding of a fit specification (specSlotError, readSpec, errorEvery, checkFitSizes)
#   fit    every specification the glue accepts, through Fit::create, multiplyV, setFactors, run, finish
# built against native/*.cc (not addon.cc: the Node-API layer cannot run under libFuzzer) and OpenBLAS as the
# project links it (pkg-config), with fuzz/native/checked-cblas.cc checking every BLAS call's operands.
# JavaScript targets (fuzz/js/: V8 block coverage + fast-check mutation, in a watched child process):
#   csv json npy mtx wav   the nmfkit command's file readers and nmfkit-audio's readWav
#
# Each target starts from its corpus in fuzz/corpus/<target>/ (seeds, and regress-* inputs of fixed findings: all
# must pass first) and runs for NMFKIT_FUZZ_SECONDS (default 60) of wall time. The native and the JavaScript
# targets run as two streams side by side (one core each). A crash, a sanitizer report, a leak, a timeout of an
# input (native: -timeout 10 s; JavaScript: no progress for 10 s), memory out of bounds (native: -rss_limit_mb 2048;
# JavaScript: run.mjs) or a broken oracle fails the run; the inputs are kept in NMFKIT_FUZZ_FINDINGS (default
# fuzz/findings/, ignored by git) with the command that replays them.
#
#   scripts/fuzz.sh [target ...]          default: all six targets
# Environment: NMFKIT_FUZZ_SECONDS (per target), NMFKIT_FUZZ_DIR (build and working directory, default a
# temporary one, removed afterwards), NMFKIT_FUZZ_FINDINGS, NMFKIT_FUZZ_SEED (fixed seeds, else random and
# printed), NMFKIT_FUZZ_MERGE=1 (native targets: merge the inputs that found new coverage into fuzz/corpus/<target>,
# minimised by libFuzzer's -merge; for a developer, not CI).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

seconds=${NMFKIT_FUZZ_SECONDS:-60}
findings=${NMFKIT_FUZZ_FINDINGS:-$root/fuzz/findings}
native_all="spec fit"
js_all="csv json npy mtx wav"
if (($#)); then targets="$*"; else targets="$native_all $js_all"; fi
native="" js=""
for t in $targets; do
  case " $native_all " in *" $t "*) native="$native $t"; continue ;; esac
  case " $js_all " in *" $t "*) js="$js $t"; continue ;; esac
  echo "fuzz.sh: unknown target $t (targets: $native_all $js_all)" >&2
  exit 2
done

if [ -n "${NMFKIT_FUZZ_DIR:-}" ]; then
  dir=$NMFKIT_FUZZ_DIR
  mkdir -p "$dir"
  temporary=""
else
  dir=$(mktemp -d "${TMPDIR:-/tmp}/nmfkit-fuzz.XXXXXX")
  temporary=$dir
fi
mkdir -p "$findings"
started=$SECONDS
cleanup() { [ -n "$temporary" ] && rm -rf "$temporary"; }
trap cleanup EXIT

# ---------------------------------------------------------------------------------------------------------------
# Native: build both harnesses (the native sources compiled once), then run each.

build_native() {
  command -v clang++ >/dev/null || {
    echo "fuzz.sh: clang++ not found (Debian/Ubuntu: apt-get install clang libclang-rt-14-dev)" >&2
    return 1
  }
  local flags=(-std=c++17 -fexceptions -ffp-contract=off -Wno-psabi -g -O1 -fno-omit-frame-pointer
    -fsanitize=address,undefined -fno-sanitize=vptr -fno-sanitize-recover=all -Inative)
  # shellcheck disable=SC2207
  local blas_cflags=($(pkg-config --cflags openblas)) blas_libs=($(pkg-config --libs openblas))
  mkdir -p "$dir/obj"
  local objects=()
  for source in native/*.cc; do
    [ "$source" = native/addon.cc ] && continue
    local object="$dir/obj/$(basename "$source" .cc).o"
    clang++ "${flags[@]}" -fsanitize=fuzzer-no-link "${blas_cflags[@]}" -c "$source" -o "$object" &
    objects+=("$object")
  done
  clang++ "${flags[@]}" -fsanitize=fuzzer-no-link "${blas_cflags[@]}" -c fuzz/native/checked-cblas.cc -o "$dir/obj/checked-cblas.o" &
  wait
  for target in $native; do
    clang++ "${flags[@]}" -fsanitize=fuzzer "${blas_cflags[@]}" "fuzz/native/${target}_fuzzer.cc" "${objects[@]}" \
      "$dir/obj/checked-cblas.o" "${blas_libs[@]}" -lpthread -ldl -o "$dir/$target"
  done
}

# Source lines in the sanitizers' reports: llvm-symbolizer (Debian: llvm), or clang's own copy.
if ! command -v llvm-symbolizer >/dev/null; then
  for symbolizer in /usr/lib/llvm-*/bin/llvm-symbolizer; do
    [ -x "$symbolizer" ] && export ASAN_SYMBOLIZER_PATH=$symbolizer
  done
fi

run_native() {
  local target=$1 corpus="$dir/corpus-$target" log="$dir/$target.log"
  mkdir -p "$corpus"
  local seed=()
  [ -n "${NMFKIT_FUZZ_SEED:-}" ] && seed=(-seed="$NMFKIT_FUZZ_SEED")
  # The writable corpus first (libFuzzer adds new inputs there), the repository's after it (read only).
  # detect_leaks: a fit's memory must be freed; OPENBLAS_NUM_THREADS=1: the fit's own team splits the work.
  local status=0
  ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:symbolize=1" UBSAN_OPTIONS="print_stacktrace=1" OPENBLAS_NUM_THREADS=1 \
    "$dir/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1 \
    -artifact_prefix="$findings/$target-" "${seed[@]}" "$corpus" "fuzz/corpus/$target" >"$log" 2>&1 || status=$?
  local execs rate units
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  units=$(ls "$corpus" | wc -l)
  local cov
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)
  if [ "$status" != 0 ]; then
    echo "fuzz $target: FAILED (exit $status); the log's end:" >&2
    grep -v '^#\|^"\|^\s*NEW_FUNC\|^INFO' "$log" | tail -60 >&2
    echo "  replay: $dir/$target <the file named above> (build it with: NMFKIT_FUZZ_DIR=<dir> scripts/fuzz.sh $target)" >&2
    return 1
  fi
  echo "fuzz $target: ${execs:-?} inputs in $seconds s (${rate:-?}/s), $cov edges; corpus $(ls "fuzz/corpus/$target" | wc -l) + $units new; no findings"
  if [ "${NMFKIT_FUZZ_MERGE:-0}" = 1 ] && [ "$units" -gt 0 ]; then
    "$dir/$target" -merge=1 "fuzz/corpus/$target" "$corpus" >>"$log" 2>&1
    echo "fuzz $target: merged into fuzz/corpus/$target ($(ls "fuzz/corpus/$target" | wc -l) files)"
  fi
}

native_stream() {
  [ -z "$native" ] && return 0
  local t0=$SECONDS
  build_native || return 1
  echo "fuzz.sh: native harnesses built in $((SECONDS - t0)) s"
  local failed=0
  for target in $native; do run_native "$target" || failed=1; done
  return $failed
}

js_stream() {
  [ -z "$js" ] && return 0
  [ -f packages/nmfkit-audio/dist/cli/matrix-io.js ] || npm run build >/dev/null
  local failed=0
  for target in $js; do
    local seed=()
    [ -n "${NMFKIT_FUZZ_SEED:-}" ] && seed=(--seed "$NMFKIT_FUZZ_SEED")
    node fuzz/js/run.mjs "$target" --seconds "$seconds" --findings "$findings" --new-corpus "$dir/corpus-$target" "${seed[@]}" || failed=1
  done
  return $failed
}

native_stream &
native_pid=$!
js_status=0
js_stream || js_status=$?
native_status=0
wait "$native_pid" || native_status=$?

if [ "$native_status" != 0 ] || [ "$js_status" != 0 ]; then
  echo "fuzz.sh: FAILED after $((SECONDS - started)) s; inputs in $findings" >&2
  exit 1
fi
echo "fuzz.sh: $targets: no findings ($seconds s per target, $((SECONDS - started)) s in all)"
