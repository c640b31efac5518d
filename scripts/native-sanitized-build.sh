#!/usr/bin/env bash
# Builds the native addon with extra compiler flags into its own directory, leaving build/Release alone:
#   scripts/native-sanitized-build.sh <dir> <cxxflags> <ldflags>
# copies binding.gyp and native/ to <dir> (node_modules linked), runs node-gyp there, and leaves the addon in
# <dir>/build/Release/nmfkit.node — where node-gyp-build finds it when NMFKIT_PREBUILD=<dir>. The flags come after
# binding.gyp's own (gyp's Makefile appends $CXXFLAGS and $LDFLAGS), so -O1 overrides -O3. Used by asan.sh and
# valgrind.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$1
cxxflags=$2
ldflags=$3
mkdir -p "$dir"
rm -rf "$dir/native" "$dir/build"
cp "$root/binding.gyp" "$root/package.json" "$dir/"
cp -r "$root/native" "$dir/native"
ln -sfn "$root/node_modules" "$dir/node_modules"
# node-gyp as npm ships it (the one `npm run build:native` uses), or one on the PATH.
gyp="$(npm prefix -g)/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"
[ -f "$gyp" ] || gyp=$(command -v node-gyp)
# The Node headers: where npm's own builds take them from (npm config nodedir), else the system's, else node-gyp
# downloads them (once, into its cache).
nodedir=$(cd "$root" && npm config get nodedir 2>/dev/null || true)
if [ -z "$nodedir" ] || [ "$nodedir" = undefined ] || [ "$nodedir" = null ]; then
  nodedir=""
  [ -f /usr/include/node/node_api.h ] && nodedir=/usr
fi
cd "$dir"
CXXFLAGS="$cxxflags" CFLAGS="$cxxflags" LDFLAGS="$ldflags" \
  node "$gyp" rebuild --jobs "$(nproc)" --loglevel=warn ${nodedir:+--nodedir="$nodedir"}
test -f "$dir/build/Release/nmfkit.node"
