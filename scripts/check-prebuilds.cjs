'use strict';
// `npm pack` guard (prepack, after `npm run prebuilds` and `npm run prebuilds:arm64`): the package must carry the
// prebuilt addon for Linux x64 and for Linux arm64 (both glibc), each an ELF shared object for its CPU, so that
// users on either never compile. Fails the pack, naming what is missing and how to make it.
const fs = require('node:fs');
const path = require('node:path');

const root = process.argv[2] ?? path.join(__dirname, '..');
// e_machine, the ELF header's 16-bit field at byte 18, of each platform's binaries.
const platforms = [
  {
    dir: 'linux-x64',
    machine: 62,
    cpu: 'x86-64',
    make: 'Run `npm run prebuilds` on linux-x64 with glibc and a static OpenBLAS (Debian: libopenblas-dev)',
  },
  {
    dir: 'linux-arm64',
    machine: 183,
    cpu: 'AArch64',
    make: 'Run `npm run prebuilds:arm64` on linux-x64 with the arm64 cross toolchain (`npm run prebuilds:arm64 -- --install-toolchain` installs it)',
  },
];

/** The ELF machine of a file, or undefined if it is no ELF file. */
function elfMachine(file) {
  const header = Buffer.alloc(20);
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, header, 0, 20, 0);
  } finally {
    fs.closeSync(fd);
  }
  return header.readUInt32BE(0) === 0x7f454c46 ? header.readUInt16LE(18) : undefined;
}

const problems = [];
const packed = [];
for (const { dir, machine, cpu, make } of platforms) {
  const full = path.join(root, 'prebuilds', dir);
  const binaries = fs.existsSync(full) ? fs.readdirSync(full).filter((f) => f.endsWith('.node')) : [];
  if (binaries.length === 0) problems.push(`${full} holds no .node file. ${make}, then pack again.`);
  for (const file of binaries) {
    if (elfMachine(path.join(full, file)) === machine) packed.push(`prebuilds/${dir}/${file}`);
    else problems.push(`prebuilds/${dir}/${file} is not an ${cpu} ELF file. ${make}, then pack again.`);
  }
}
if (problems.length > 0) {
  process.stderr.write(`nmfkit: refusing to pack without the prebuilt addons:\n${problems.map((p) => `  ${p}\n`).join('')}`);
  process.exit(1);
}
process.stdout.write(`nmfkit: packing the prebuilt addons ${packed.join(', ')}\n`);
