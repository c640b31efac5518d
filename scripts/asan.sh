#!/usr/bin/env bash
# npm run test:asan — the native addon under AddressSanitizer + UndefinedBehaviorSanitizer.
#
# Builds the addon with -fsanitize=address,undefined (-O1 -g, frame pointers) into a directory of its own
# (build/Release, which everyone else uses, is not touched), then runs the test suites that exercise the native
# backend against it: node-gyp-build loads it because NMFKIT_PREBUILD points there, and the ASan runtime is
# preloaded into node (LD_PRELOAD) since node itself is not instrumented. Fails on any sanitizer report, and on
# any failing test.
#
# Leak detection is off (ASAN_OPTIONS=detect_leaks=0): LeakSanitizer would report V8's and Node's own allocations
# that are still live at exit, and a suppression matching node's frames would hide the addon's leaks too (their
# stacks pass through node). Native leaks are checked by scripts/valgrind.sh (definite leaks are errors there)
# and by test/reliability/leaks.test.ts (memory bounds).
#
# Environment: NMFKIT_ASAN_DIR (build directory, default a temporary one, removed afterwards; set it to keep and
# reuse the build), NMFKIT_ASAN_TESTS (test files, default the native-relevant suites below).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# The built package (dist/) is what the pre-check and the native run import.
[ -f dist/index.js ] || npm run build

tests=${NMFKIT_ASAN_TESTS:-"test/backends/fixtures.test.ts test/backends/algorithm-kernels.test.ts test/backends/fit-products.test.ts test/core test/hostile/fits.test.ts test/hostile/native-glue.test.ts test/hostile/matrices.test.ts test/hostile/batch.test.ts test/reliability/faults.test.ts test/property"}
# A moved or renamed suite must fail here, before the 15 s build, not as "No test files found" after it.
for path in $tests; do
  [ -e "$path" ] || { echo "asan.sh: $path does not exist (update the suite list)" >&2; exit 1; }
done

started=$SECONDS
if [ -n "${NMFKIT_ASAN_DIR:-}" ]; then
  dir=$NMFKIT_ASAN_DIR
  temporary=""
else
  dir=$(mktemp -d "${TMPDIR:-/tmp}/nmfkit-asan.XXXXXX")
  temporary=$dir
fi
logs="$dir/logs"

# Whatever happens (a failed test, a process killed by ASan), print every sanitizer report and fail if there is one.
finish() {
  local status=$?
  local reports=""
  [ -d "$logs" ] && reports=$(find "$logs" -type f | sort)
  if [ -n "$reports" ]; then
    echo "asan.sh: sanitizer reports:" >&2
    for report in $reports; do
      echo "----- $report" >&2
      cat "$report" >&2
    done
    status=1
  fi
  echo "asan.sh: build $((${built:-$SECONDS} - started)) s, tests $((SECONDS - ${built:-$SECONDS})) s: $([ "$status" = 0 ] && echo 'passed, no sanitizer reports' || echo FAILED)"
  [ -n "$temporary" ] && rm -rf "$temporary"
  exit "$status"
}
trap finish EXIT

libasan=$(gcc -print-file-name=libasan.so)
if [ ! -e "$libasan" ]; then
  echo "asan.sh: the ASan runtime (libasan) was not found: install gcc's sanitizer runtimes (Debian/Ubuntu: libasan8 libubsan1, part of g++)" >&2
  exit 1
fi

flags="-fsanitize=address,undefined -fno-sanitize=vptr -fno-omit-frame-pointer -g -O1"
if [ -f "$dir/build/Release/nmfkit.node" ] && [ -n "${NMFKIT_ASAN_DIR:-}" ] && [ "${NMFKIT_ASAN_REBUILD:-1}" = 0 ]; then
  echo "asan.sh: reusing $dir/build/Release/nmfkit.node"
else
  echo "asan.sh: building the addon with $flags in $dir"
  scripts/native-sanitized-build.sh "$dir" "$flags" "-fsanitize=address,undefined"
fi
built=$SECONDS

# quarantine_size_mb=16 (default 256): freed blocks wait there before reuse, so a use after free is still caught
# for the last 16 MiB freed, while RSS stays near the process's own (test/core/async.test.ts bounds it).
# The sanitizers write their reports to files (one per process), so a report in a vitest worker is not lost in
# its output; any file there fails the run. ASan stops the process at its first error (halt_on_error is its
# default); UBSan reports and goes on, so one run shows every kind of undefined behaviour.
rm -rf "$logs"
mkdir -p "$logs"
export LD_PRELOAD="$libasan${LD_PRELOAD:+ $LD_PRELOAD}"
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:quarantine_size_mb=16:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1:log_path=$logs/asan${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:log_path=$logs/ubsan${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export NMFKIT_PREBUILD="$dir"
export NMFKIT_REQUIRE_ALL_BACKENDS=1

# Proof that the sanitized addon is the one that loads, before trusting a green run.
node --input-type=module -e "
import { readFileSync } from 'node:fs';
import { backendInfo, nmfSync } from './dist/index.js';
const info = backendInfo();
if (!info.native.loaded) { console.error('asan.sh: the native addon did not load: ' + info.native.reason); process.exit(1); }
nmfSync([[1, 2], [3, 4]], { rank: 1, maxIter: 2, backend: 'native' });
const maps = readFileSync('/proc/self/maps', 'utf8');
if (!maps.includes(process.env.NMFKIT_PREBUILD + '/build/Release/nmfkit.node')) { console.error('asan.sh: the sanitized addon is not the one loaded'); process.exit(1); }
if (!maps.includes('libasan')) { console.error('asan.sh: the ASan runtime is not loaded'); process.exit(1); }
console.log('asan.sh: loaded ' + process.env.NMFKIT_PREBUILD + '/build/Release/nmfkit.node with ' + info.native.blas.vendor + ' ' + info.native.blas.version);
"

# shellcheck disable=SC2086
npx vitest run $tests
