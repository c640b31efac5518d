#!/usr/bin/env bash
# npm run prebuilds:arm64 — the prebuilt addon for Linux arm64 (glibc), cross-compiled on Linux x64:
# prebuilds/linux-arm64/nmfkit.glibc.node, OpenBLAS linked statically as in the x64 prebuild (binding.gyp,
# NMFKIT_STATIC_OPENBLAS).
#
# Needs Debian's (or Ubuntu's) cross toolchain and the arm64 OpenBLAS of the multiarch archive:
#   dpkg --add-architecture arm64 && apt-get update
#   apt-get install -y g++-aarch64-linux-gnu libopenblas-pthread-dev:arm64
# `npm run prebuilds:arm64 -- --install-toolchain` runs exactly that first (as root; CI does). Without them the
# script stops and says so.
#
# pkg-config reads the arm64 .pc files (PKG_CONFIG_LIBDIR), so binding.gyp finds the arm64 headers and
# libopenblas.a. The build runs in a temporary copy of the sources: build/Release, the x64 addon that this
# checkout's tests load, is not touched. The result must be an AArch64 ELF that needs no libopenblas and no
# libgfortran at run time (readelf -d), or the script fails.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
triplet=aarch64-linux-gnu
multiarch_libdir=/usr/lib/$triplet

if [ "${1:-}" = "--install-toolchain" ]; then
  dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "g++-$triplet" libopenblas-pthread-dev:arm64 pkg-config
fi

if ! command -v "$triplet-g++" >/dev/null || [ ! -f "$multiarch_libdir/pkgconfig/openblas.pc" ]; then
  echo "prebuild-arm64.sh: the arm64 cross toolchain or OpenBLAS is missing. As root on Debian/Ubuntu x64:" >&2
  echo "  dpkg --add-architecture arm64 && apt-get update && apt-get install -y g++-$triplet libopenblas-pthread-dev:arm64" >&2
  echo "(or run: npm run prebuilds:arm64 -- --install-toolchain)" >&2
  exit 1
fi
if ! command -v node-gyp >/dev/null; then
  echo "prebuild-arm64.sh: node-gyp is not on PATH: run this as npm run prebuilds:arm64 (npm puts its node-gyp there)" >&2
  exit 1
fi
# native/spec.h is generated from src/spec.ts.
[ -f native/spec.h ] || npm run build:spec

work=$(mktemp -d "${TMPDIR:-/tmp}/nmfkit-arm64.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp -r package.json binding.gyp native "$work/"
# binding.gyp asks node for node-addon-api's include directory; node resolves it from the build's folder.
ln -s "$root/node_modules" "$work/node_modules"

started=$SECONDS
(
  cd "$work"
  # prebuildify runs node-gyp, which npm puts on PATH for `npm run` (with npm's nodedir setting, the headers).
  CC=$triplet-gcc CXX=$triplet-g++ LINK=$triplet-g++ AR=$triplet-ar \
    PKG_CONFIG_LIBDIR=$multiarch_libdir/pkgconfig:/usr/share/pkgconfig \
    NMFKIT_STATIC_OPENBLAS=1 PREBUILD_STRIP_BIN=$triplet-strip \
    "$root/node_modules/.bin/prebuildify" --napi --strip --tag-libc --arch arm64
)

binary=$work/prebuilds/linux-arm64/nmfkit.glibc.node
if ! readelf -h "$binary" | grep -q 'Machine:.*AArch64'; then
  echo "prebuild-arm64.sh: $binary is not an AArch64 binary" >&2
  exit 1
fi
if readelf -d "$binary" | grep -E 'NEEDED.*(libopenblas|libblas|liblapack|libgfortran)'; then
  echo "prebuild-arm64.sh: the arm64 prebuild links OpenBLAS dynamically" >&2
  exit 1
fi
mkdir -p prebuilds/linux-arm64
cp "$binary" prebuilds/linux-arm64/
echo "prebuild-arm64.sh: prebuilds/linux-arm64/nmfkit.glibc.node ($(du -h prebuilds/linux-arm64/nmfkit.glibc.node | cut -f1), built in $((SECONDS - started)) s); it needs:"
readelf -d prebuilds/linux-arm64/nmfkit.glibc.node | grep NEEDED
