'use strict';
// The package's install step. In a source checkout (src/ and assembly/ present, as after `git clone`) it first
// builds what the published package ships ready-made: the fit specification's kernel headers, the WebAssembly
// module and the TypeScript of both packages (`npm run build`). Then, everywhere, the native addon: a prebuilt
// binary that loads is used as is; otherwise it is compiled from source. A failed compile is not fatal: nmfkit then
// runs on its WebAssembly backend, this script says so in a few lines, and it leaves a note (build/install.json)
// from which backendInfo() tells a failed compile from an install whose scripts never ran.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');

if (fs.existsSync(path.join(root, 'src')) && fs.existsSync(path.join(root, 'assembly'))) {
  const npm = process.env.npm_execpath;
  const build = npm
    ? spawnSync(process.execPath, [npm, 'run', 'build'], { stdio: 'inherit', cwd: root })
    : spawnSync('npm', ['run', 'build'], { stdio: 'inherit', cwd: root, shell: process.platform === 'win32' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

const bin = require.resolve('node-gyp-build/bin.js');
// The compiler's output goes to a log: on success nobody needs it, on failure its first error line is the reason.
const result = spawnSync(process.execPath, [bin], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
const log = `${result.stdout ?? ''}${result.stderr ?? ''}`;
const note = path.join(root, 'build', 'install.json');
if (result.status === 0) {
  fs.rmSync(note, { force: true });
  process.exit(0);
}
const reason =
  log
    .split('\n')
    .map((line) => line.trim())
    .find(
      (line) =>
        /error|not found|No such file|command not found|openblas/i.test(line) &&
        !/^gyp (info|ERR! (cwd|node|stack|System|command|not ok))/.test(line),
    ) ?? 'the compiler failed';
fs.mkdirSync(path.join(root, 'build'), { recursive: true });
fs.writeFileSync(note, `${JSON.stringify({ compiled: false, reason: reason.slice(0, 300) }, null, 2)}\n`);
fs.writeFileSync(path.join(root, 'build', 'install.log'), log);
process.stderr.write(
  `nmfkit: no prebuilt native addon for ${process.platform}-${process.arch} and compiling it failed (${reason.slice(0, 160)}).\n` +
    'nmfkit will run on WebAssembly (about 2× slower). For the native backend install g++, make, python3, pkg-config and OpenBLAS\n' +
    '(Debian/Ubuntu: apt-get install -y g++ make python3 pkg-config libopenblas-dev), then run `npm rebuild nmfkit`.\n',
);
process.exit(0);
