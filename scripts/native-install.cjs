'use strict';
// Builds (or finds a prebuilt) native addon at install time. A failure is not fatal: nmfkit then runs on its
// WebAssembly backend, and this script says what to install to get the native one.
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const bin = require.resolve('node-gyp-build/bin.js');
const result = spawnSync(process.execPath, [bin], { stdio: 'inherit', cwd: path.join(__dirname, '..') });
if (result.status !== 0) {
  process.stderr.write(
    '\nnmfkit: the native addon was not built, so nmfkit will use its WebAssembly backend.\n' +
      'To get the faster native backend, install a C++ compiler and OpenBLAS, then run `npm rebuild nmfkit`:\n' +
      '  Debian/Ubuntu: apt-get install -y g++ make python3 pkg-config libopenblas-dev\n' +
      '  Fedora:        dnf install -y gcc-c++ make python3 pkgconf openblas-devel\n' +
      '  macOS:         xcode-select --install   (Accelerate is used as the BLAS)\n\n',
  );
}
process.exit(0);
