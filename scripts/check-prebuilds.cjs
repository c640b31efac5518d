'use strict';
// `npm pack` guard (prepack, after `npm run prebuilds`): the package must carry the prebuilt Linux x64 addon, so
// that users on the common platform never compile. Fails the pack, naming what is missing and how to make it.
const fs = require('node:fs');
const path = require('node:path');

const dir = path.join(process.argv[2] ?? path.join(__dirname, '..'), 'prebuilds', 'linux-x64');
const binaries = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.node')) : [];
if (binaries.length === 0) {
  process.stderr.write(
    `nmfkit: refusing to pack without the prebuilt addon: ${dir} holds no .node file.\n` +
      'Run `npm run prebuilds` on linux-x64 with glibc and a static OpenBLAS (Debian: libopenblas-dev), then pack again.\n',
  );
  process.exit(1);
}
process.stdout.write(`nmfkit: packing the prebuilt addon ${binaries.map((f) => `prebuilds/linux-x64/${f}`).join(', ')}\n`);
