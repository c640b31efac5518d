#!/usr/bin/env bash
# npm run test:valgrind — the native addon under valgrind's memcheck.
#
# Builds the addon with -O1 -g (frame pointers, no sanitizers) into a directory of its own (build/Release is not
# touched) and runs scripts/valgrind-run.mjs — a short run over every path of the native glue and kernels — in
# node under memcheck. node runs with --jitless (no JIT code for valgrind to follow; WebAssembly is off, the run
# is native-only). Fails (exit 1) on any memcheck error: invalid reads or writes, uses of uninitialised values,
# mismatched frees, and definitely lost memory (--errors-for-leak-kinds=definite). scripts/valgrind-node.supp
# suppresses node's own intentional reads (V8's conservative stack scan); nothing of the addon is suppressed.
#
# Environment: NMFKIT_VALGRIND_DIR (build directory, default a temporary one; set it to keep the build),
# NMFKIT_VALGRIND_REBUILD=0 (reuse a build there).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# The built package (dist/) is what the pre-check and the native run import.
[ -f dist/index.js ] || npm run build
started=$SECONDS

if ! command -v valgrind >/dev/null; then
  echo "valgrind.sh: valgrind is not installed (Debian/Ubuntu: apt-get install -y valgrind)" >&2
  exit 1
fi
if [ -n "${NMFKIT_VALGRIND_DIR:-}" ]; then
  dir=$NMFKIT_VALGRIND_DIR
else
  dir=$(mktemp -d "${TMPDIR:-/tmp}/nmfkit-valgrind.XXXXXX")
  trap 'rm -rf "$dir"' EXIT
fi

if [ -f "$dir/build/Release/nmfkit.node" ] && [ "${NMFKIT_VALGRIND_REBUILD:-1}" = 0 ]; then
  echo "valgrind.sh: reusing $dir/build/Release/nmfkit.node"
else
  echo "valgrind.sh: building the addon with -O1 -g in $dir"
  scripts/native-sanitized-build.sh "$dir" "-O1 -g -fno-omit-frame-pointer" ""
fi
built=$SECONDS

log="$dir/memcheck.log"
out="$dir/run.out"
status=0
NMFKIT_PREBUILD="$dir" valgrind --tool=memcheck --error-exitcode=1 \
  --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
  --track-origins=yes --num-callers=40 \
  --suppressions="$root/scripts/valgrind-node.supp" \
  --log-file="$log" \
  node --jitless --expose-gc scripts/valgrind-run.mjs >"$out" 2>&1 || status=$?
cat "$out"

# The addon under test must be this build (the run prints the one it loaded).
if ! grep -qF "addon: $dir/build/Release/nmfkit.node" "$out"; then
  echo "valgrind.sh: the run did not load $dir/build/Release/nmfkit.node" >&2
  status=1
fi
grep -E "ERROR SUMMARY|definitely lost|Invalid (read|write)" "$log" || true
if [ "$status" != 0 ]; then
  echo "valgrind.sh: memcheck found errors; the full log:" >&2
  cat "$log" >&2
fi
echo "valgrind.sh: build $((built - started)) s, memcheck run $((SECONDS - built)) s: $([ "$status" = 0 ] && echo 'no errors' || echo FAILED)"
exit "$status"
