/**
 * The package as a user gets it: `npm pack`, then `npm install --omit=dev <tarball>` into a fresh project whose
 * PATH holds only node and npm (no compiler, make or python in reach), then
 *  - it installs at most two runtime packages besides itself (node-addon-api, node-gyp-build);
 *  - `import` and `require()` (Node's require(esm)) of the installed package run a fixture fit;
 *  - `tsc --noEmit` checks a Node consumer (nodenext: the Node entry's types) and a browser consumer (bundler +
 *    DOM, no Node types: the WebAssembly-only entry's types) against the installed declarations;
 *  - publint and @arethetypeswrong/cli pass on the tarball;
 *  - the prebuilt binary (prebuilds/linux-x64, from `npm run prebuilds`) is in the tarball, loads from the
 *    installed package with nothing compiled (`backendInfo()` says native), and links no OpenBLAS dynamically;
 *    with the prebuilds removed, wasm is used and `backendInfo()` explains why;
 *  - the arm64 prebuilt binary (prebuilds/linux-arm64, from `npm run prebuilds:arm64`) is in the tarball, an
 *    AArch64 shared object that links no OpenBLAS dynamically (it runs under qemu-user in
 *    scripts/test-prebuild-arm64.sh).
 * The prebuilds are made by `npm run prebuilds` and `npm run prebuilds:arm64` (in .ci/run before `npm test`):
 * missing, their tests fail in CI (CI=true) and are skipped with a printed reason elsewhere. The consumer project's files are test/programs/consumer.
 *
 * And the audio package (packages/nmfkit-audio) packed too and installed beside the core into a second project:
 * `import 'nmfkit'` there loads none of its modules or dependencies (a resolve hook records every module), its
 * functions, figures and command work from the installed tarballs, its declarations type-check (its main entry
 * without Node types), and publint and arethetypeswrong pass on its tarball.
 */
import { execFile, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectFixture, type FitCheck } from '../support/fixture-check.js';
import { FIXTURE_DIR } from '../support/helpers.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const inCI = process.env.CI === 'true' || process.env.CI === '1';
const PREBUILD_DIR = join(root, 'prebuilds', 'linux-x64');
const prebuilt = existsSync(PREBUILD_DIR) ? readdirSync(PREBUILD_DIR).filter((f) => f.endsWith('.node')) : [];
const hasPrebuild = process.platform === 'linux' && process.arch === 'x64' && prebuilt.length > 0;
if (!hasPrebuild && !inCI) {
  console.warn('test/packaging.test.ts: skipping the prebuilt-binary test: no prebuilds/linux-x64/*.node (run `npm run prebuilds`)');
}
const ARM64_PREBUILD_DIR = join(root, 'prebuilds', 'linux-arm64');
const prebuiltArm64 = existsSync(ARM64_PREBUILD_DIR) ? readdirSync(ARM64_PREBUILD_DIR).filter((f) => f.endsWith('.node')) : [];
if (prebuiltArm64.length === 0 && !inCI) {
  console.warn(
    'test/packaging.test.ts: skipping the arm64 prebuilt-binary test: no prebuilds/linux-arm64/*.node (run `npm run prebuilds:arm64`)',
  );
}

/** The newest modification time of the addon's sources (binding.gyp, native/). */
function newestNativeSource(): number {
  const sources = ['binding.gyp', ...readdirSync(join(root, 'native')).map((f) => join('native', f))];
  return Math.max(...sources.map((f) => statSync(join(root, f)).mtimeMs));
}

let tmp: string;
let app: string;
let bin: string;
let tarball: string;
let packedFiles: string[];
let audioTarball: string;
let audioPackedFiles: string[];
let installOutput: string;
let env: NodeJS.ProcessEnv;

/** The environment of every child: the parent's minus npm's lifecycle variables, PATH = node and npm only. */
function childEnv(path: string): NodeJS.ProcessEnv {
  const clean: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^npm_/i.test(key) && !key.startsWith('NMFKIT_') && key !== 'NODE_OPTIONS') clean[key] = value;
  }
  return { ...clean, PATH: path, HOME: process.env.HOME ?? homedir(), npm_config_update_notifier: 'false' };
}

function run(command: string, args: string[], cwd: string, timeout = 60_000): SpawnSyncReturns<string> {
  return spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout });
}

function ok(result: SpawnSyncReturns<string>, what: string): string {
  if (result.error) throw new Error(`${what}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${what} exited with ${result.status}:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** Runs a script of the consumer project with node and parses the JSON line it prints last. */
function runApp<T>(script: string, dir = app): T {
  const out = ok(run(process.execPath, [script, join(FIXTURE_DIR, 'toy-4x8-r2.json')], dir), `node ${script}`);
  return JSON.parse(out.trim().split('\n').pop()!) as T;
}

/** `npm pack` of the package in `dir` into the temporary folder: the tarball's path and the files it holds. */
function pack(dir: string): { tarball: string; files: string[] } {
  const out = ok(run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], dir), `npm pack in ${dir}`);
  const [packed] = JSON.parse(out) as { filename: string; files: { path: string }[] }[];
  return { tarball: join(tmp, packed!.filename), files: packed!.files.map((f) => f.path) };
}

/** A fresh consumer project in the temporary folder with `tarballs` installed as a user installs them. */
function installProject(name: string, tarballs: string[], flags: string[] = []): { dir: string; output: string } {
  const dir = join(tmp, name);
  mkdirSync(dir);
  // The consumer: package.json, its scripts and its TypeScript sources, and the fixture check beside them.
  cpSync(CONSUMER, dir, { recursive: true });
  copyFileSync(FIXTURE_CHECK, join(dir, 'fixture-check.cjs'));
  const install = run(
    'npm',
    ['install', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', '--foreground-scripts', ...flags, ...tarballs],
    dir,
    120_000,
  );
  ok(install, `npm install ${tarballs.map((t) => t.slice(tmp.length + 1)).join(' ')}`);
  return { dir, output: `${install.stdout}\n${install.stderr}` };
}

/**
 * Type-checks consumer sources of the project `dir` against its installed declarations, each with its own
 * tsconfig (Node: nodenext and Node's types; browser: bundler, DOM, no Node types), all at once (each checks every
 * declaration it reaches, @types/node included: a few seconds). Returns each one's `tsc --listFiles` output.
 */
async function typeCheck(dir: string, consumers: { node: string; browser: string }): Promise<{ node: string; browser: string }> {
  const common = {
    strict: true,
    noEmit: true,
    skipLibCheck: false,
    skipDefaultLibCheck: true,
    target: 'es2022',
    typeRoots: [join(root, 'node_modules', '@types')],
  };
  const compilerOptions = {
    node: { ...common, module: 'nodenext', moduleResolution: 'nodenext', lib: ['es2022'], types: ['node'] },
    browser: { ...common, module: 'esnext', moduleResolution: 'bundler', lib: ['es2022', 'dom'], types: [] },
  };
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const check = (kind: 'node' | 'browser'): Promise<{ config: string; status: number; stdout: string }> => {
    const config = `tsconfig.${consumers[kind].replace(/\.ts$/, '')}.json`;
    writeFileSync(join(dir, config), JSON.stringify({ compilerOptions: compilerOptions[kind], files: [consumers[kind]] }));
    return new Promise((resolve) => {
      execFile(process.execPath, [tsc, '-p', config, '--listFiles'], { cwd: dir, env, encoding: 'utf8' }, (error, stdout) =>
        resolve({ config, status: error ? ((error as { code?: number }).code ?? 1) : 0, stdout }),
      );
    });
  };
  const results = await Promise.all([check('node'), check('browser')]);
  for (const { config, status, stdout } of results) {
    const errors = stdout
      .split('\n')
      .filter((l) => /error/.test(l))
      .join('\n');
    expect(status, `tsc -p ${config}:\n${errors}`).toBe(0);
  }
  return { node: results[0]!.stdout, browser: results[1]!.stdout };
}

/** publint (strict) and arethetypeswrong (profile esm-only: an ESM-only package) on a tarball. */
function lintTarball(file: string): void {
  const publint = run(process.execPath, [join(root, 'node_modules', 'publint', 'src', 'cli.js'), 'run', file, '--strict'], tmp);
  expect(publint.status, publint.stdout + publint.stderr).toBe(0);
  expect(publint.stdout).not.toMatch(/Errors:|Warnings:|Suggestions:/);
  // esm-only: the package is ESM only ("type": "module", Node ≥ 20.19, where require(esm) works and is tested
  // above), so the profile leaves out TypeScript's node10 resolution (no `exports` at all) and node16-from-CJS
  // (which models a Node without require(esm)). Every problem attw lists must be of those two kinds.
  const attw = run(
    process.execPath,
    [join(root, 'node_modules', '@arethetypeswrong', 'cli', 'dist', 'index.js'), file, '--profile', 'esm-only', '--format', 'json'],
    tmp,
  );
  expect(attw.status, attw.stdout + attw.stderr).toBe(0);
  const report = JSON.parse(attw.stdout) as { problems: Record<string, { entrypoint: string; resolutionKind: string }[]> };
  const counted = Object.values(report.problems)
    .flat()
    .filter((p) => p.resolutionKind !== 'node10' && p.resolutionKind !== 'node16-cjs');
  expect(counted).toEqual([]);
}

/** The consumer project's files (test/programs/consumer), and the fixture check its scripts load. */
const CONSUMER = fileURLToPath(new URL('../programs/consumer/', import.meta.url));
const FIXTURE_CHECK = fileURLToPath(new URL('../programs/fixture-check.cjs', import.meta.url));

interface AppReport {
  info: {
    entry: string;
    backend: string;
    native: { loaded: boolean; reason?: string; fix?: string; blas?: { vendor: string; config: string } };
    wasm: { loaded: boolean };
  };
  sync: FitCheck;
  async?: FitCheck;
  resolved: string;
  wasmValid?: boolean;
  warnings?: string[];
  keys?: string[];
}

beforeAll(() => {
  tmp = realpathSync(mkdtempSync(join(tmpdir(), 'nmfkit-pack-')));
  bin = join(tmp, 'bin');
  mkdirSync(bin);
  // A PATH with node, npm and a shell (npm runs scripts with sh) and nothing else: no compiler, make or python in
  // reach of the install script.
  const npmCli = realpathSync(spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).stdout.trim());
  symlinkSync(process.execPath, join(bin, 'node'));
  symlinkSync(npmCli, join(bin, 'npm'));
  symlinkSync('/bin/sh', join(bin, 'sh'));
  env = childEnv(bin);
  const registry = spawnSync('npm', ['config', 'get', 'registry'], { cwd: root, encoding: 'utf8' }).stdout.trim();
  if (registry) env.npm_config_registry = registry;

  // The scripts already ran: `npm test` builds first (pretest), and CI makes the prebuilds before it.
  ({ tarball, files: packedFiles } = pack(root));
  ({ tarball: audioTarball, files: audioPackedFiles } = pack(join(root, 'packages', 'nmfkit-audio')));
  ({ dir: app, output: installOutput } = installProject('app', [tarball]));
}, 180_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('holds the built entries, the .wasm file, the declarations and the native sources — and no tests or sources', () => {
    for (const file of [
      'package.json',
      'README.md',
      'LICENSE',
      'PERFORMANCE.md',
      'docs/api.md',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/browser.js',
      'dist/browser.d.ts',
      'dist/backends/wasm-worker.js',
      'dist/backends/wasm-web-worker.js',
      'wasm/nmfkit.wasm',
      'types/nmfkit-wasm.d.ts',
      'binding.gyp',
      'scripts/install.cjs',
      'native/addon.cc',
    ]) {
      expect(packedFiles, file).toContain(file);
    }
    expect(packedFiles.filter((f) => /^(src|test|assembly|bench|build|packages|bin|examples)\//.test(f))).toEqual([]);
    expect(packedFiles.filter((f) => /^dist\/(audio|figures|cli)\//.test(f))).toEqual([]);
  });

  it('ships source maps that carry their sources (the package has no src/ for them to point at)', () => {
    const maps = packedFiles.filter((f) => f.endsWith('.js.map'));
    expect(maps.length).toBeGreaterThan(10);
    const installed = join(app, 'node_modules', 'nmfkit');
    for (const map of maps) {
      const { sources, sourcesContent } = JSON.parse(readFileSync(join(installed, map), 'utf8')) as {
        sources: string[];
        sourcesContent?: string[];
      };
      expect(sourcesContent?.length, map).toBe(sources.length);
      expect(
        sourcesContent!.every((text) => text.length > 0),
        map,
      ).toBe(true);
    }
  });

  it('installs at most two runtime packages besides nmfkit itself (node-addon-api, node-gyp-build)', () => {
    const tree = ok(run('npm', ['ls', '--all', '--omit=dev', '--parseable'], app), 'npm ls');
    const installed = tree
      .trim()
      .split('\n')
      .filter((path) => path !== app)
      .map((path) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length))
      .filter((name) => name !== 'nmfkit');
    expect(installed.length, installed.join(', ')).toBeLessThanOrEqual(2);
    expect(installed.sort()).toEqual(['node-addon-api', 'node-gyp-build']);
    // The same count on disk: every package folder of node_modules (scoped ones one level down).
    const folders = readdirSync(join(app, 'node_modules')).filter((f) => !f.startsWith('.'));
    expect(folders.sort()).toEqual(['nmfkit', 'node-addon-api', 'node-gyp-build']);
  });

  it('installs with no compiler in reach (the install script never fails the install)', () => {
    const compilers = spawnSync('sh', ['-c', 'command -v g++ c++ gcc cc make python3 python'], { env, encoding: 'utf8' });
    expect(compilers.stdout.trim()).toBe('');
    expect(existsSync(join(app, 'node_modules', 'nmfkit', 'package.json'))).toBe(true);
    if (!hasPrebuild) expect(installOutput).toMatch(/compiling it failed \(.*\)\.\nnmfkit will run on WebAssembly/);
  });

  it('`import` resolves the Node entry and reproduces a fixture, sync and async; nmfkit/nmfkit.wasm resolves', () => {
    const report = runApp<AppReport>('esm.mjs');
    expect(report.resolved).toMatch(/node_modules\/nmfkit\/dist\/index\.js$/);
    expect(report.info.entry).toBe('node');
    expectFixture(report.sync, report.info.backend);
    expectFixture(report.async!, report.info.backend);
    expect(report.wasmValid).toBe(true);
  });

  it('`require()` loads the same ESM entry (require(esm): no top-level await anywhere) and reproduces a fixture', () => {
    const report = runApp<AppReport>('require.cjs');
    expect(report.resolved).toMatch(/node_modules\/nmfkit\/dist\/index\.js$/);
    expect(report.info.entry).toBe('node');
    expectFixture(report.sync, report.info.backend);
    expect(report.keys).toEqual(expect.arrayContaining(['backendInfo', 'nmf', 'nmfBatch', 'nmfSync', 'ready', 'setThreads']));
  });

  it('the installed declarations type-check a Node consumer (nodenext) and a browser consumer (bundler, DOM, no Node types)', async () => {
    const listed = await typeCheck(app, { node: 'node-consumer.ts', browser: 'browser-consumer.ts' });
    // Each consumer got its entry's declarations, and the browser one no Node types.
    expect(listed.node).toContain('node_modules/nmfkit/dist/index.d.ts');
    expect(listed.browser).toContain('node_modules/nmfkit/dist/browser.d.ts');
    expect(listed.browser).not.toMatch(/@types\/node|dist\/index\.d\.ts/);
  });

  it('publint and arethetypeswrong (profile esm-only: an ESM-only package) pass on the tarball', () => {
    lintTarball(tarball);
  });
});

describe('the audio package (packages/nmfkit-audio) installed beside the core', () => {
  let audioApp: string;
  beforeAll(() => void ({ dir: audioApp } = installProject('app-audio', [tarball, audioTarball])), 180_000);

  /** Runs node with `args` in the audio consumer project and parses the JSON line it prints last. */
  function node<T>(args: string[], extra: NodeJS.ProcessEnv = {}): T {
    const result = spawnSync(process.execPath, args, { cwd: audioApp, env: { ...env, ...extra }, encoding: 'utf8', timeout: 60_000 });
    return JSON.parse(
      ok(result, `node ${args.join(' ')}`)
        .trim()
        .split('\n')
        .pop()!,
    ) as T;
  }

  /** The module URLs a process that imports `name` loads (test/programs/consumer/loads.mjs). */
  function modulesLoadedBy(name: string): string[] {
    const log = join(tmp, `loads-${name}.log`);
    writeFileSync(log, '');
    return node<{ modules: string[] }>(['--import', './load-hook.mjs', 'loads.mjs', name], { LOAD_LOG: log }).modules;
  }

  /** What nmfkit's `import` must not load: the audio package and every dependency of its own. */
  const SHOWCASE =
    /\/node_modules\/(nmfkit-audio|wavefile|fft\.js|@tonejs\/midi|midi-file|d3-[^/]+|pureimage|commander|cli-progress|csv-[^/]+|npyjs|pngjs|dejavu-fonts-ttf)\//;

  it('holds its built entries, the command and the demo data — and no tests or sources', () => {
    for (const file of [
      'package.json',
      'README.md',
      'LICENSE',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/node.js',
      'dist/figures/index.js',
      'dist/cli/main.js',
      'bin/nmfkit.js',
      'examples/data/piano-scale.wav',
      'examples/data/piano-scale.notes.json',
      'examples/data/drums.wav',
      'examples/data/drums.samples.kick.wav',
      'examples/data/PROVENANCE.md',
    ]) {
      expect(audioPackedFiles, file).toContain(file);
    }
    expect(audioPackedFiles.filter((f) => /^(src|test|node_modules)\//.test(f))).toEqual([]);
  });

  it("`import 'nmfkit'` and a fit load none of its modules or dependencies, which `import 'nmfkit-audio'` does load", () => {
    const core = modulesLoadedBy('nmfkit');
    // The recorder sees the package's own modules: it would see any other.
    expect(core).toContain(pathToFileURL(join(audioApp, 'node_modules', 'nmfkit', 'dist', 'index.js')).href);
    expect(core.filter((url) => SHOWCASE.test(url))).toEqual([]);
    const audio = modulesLoadedBy('nmfkit-audio').filter((url) => SHOWCASE.test(url));
    expect(audio.some((url) => /\/node_modules\/wavefile\//.test(url))).toBe(true);
    expect(audio.some((url) => /\/node_modules\/fft\.js\//.test(url))).toBe(true);
  });

  it('works from the installed tarballs: the STFT of a 440 Hz tone factorizes to an A4 template, and a figure renders', () => {
    const report = node<{ name: string; frequency: number; pngBytes: number; pngSignature: number[] }>(['audio.mjs']);
    expect(report.name).toBe('A4');
    expect(Math.abs(report.frequency - 440)).toBeLessThan(2);
    expect(report.pngBytes).toBeGreaterThan(1000);
    expect(String.fromCharCode(...report.pngSignature)).toBe('PNG');
  });

  it('its command `nmfkit demo` runs on the recording shipped in its tarball', () => {
    const out = join(tmp, 'demo');
    const demo = run(
      join(audioApp, 'node_modules', '.bin', 'nmfkit'),
      ['demo', '--out', out, '--max-iter', '50', '--json'],
      audioApp,
      120_000,
    );
    const summary = JSON.parse(ok(demo, 'nmfkit demo')) as {
      transcription: { results: { frame: { fMeasure: number } }[] };
      separation: { pitch: string; results: { target: { sdr: number } }[] | null };
    };
    expect(summary.transcription.results[0]!.frame.fMeasure).toBeGreaterThanOrEqual(0.9);
    // The ground truth of the separation (the C5 stem) is in the tarball too.
    expect(summary.separation.pitch).toBe('C5');
    expect(summary.separation.results![0]!.target.sdr).toBeGreaterThan(5);
    const figures = ['activations-vs-notes', 'errors', 'score-informed-init', 'score-informed-nmf', 'separation', 'unsupervised-nmf'];
    expect(readdirSync(out).sort()).toEqual(
      ['C5.wav', 'residual.wav', 'summary.json', ...figures.flatMap((f) => [`${f}.png`, `${f}.svg`])].sort(),
    );
  });

  it("its declarations type-check beside nmfkit's: a Node consumer of every entry, a browser consumer of its main entry without Node types", async () => {
    const listed = await typeCheck(audioApp, { node: 'audio-node-consumer.ts', browser: 'audio-browser-consumer.ts' });
    expect(listed.node).toContain('node_modules/nmfkit-audio/dist/node.d.ts');
    expect(listed.node).toContain('node_modules/nmfkit/dist/validation.d.ts');
    expect(listed.browser).toContain('node_modules/nmfkit-audio/dist/index.d.ts');
    expect(listed.browser).not.toMatch(/@types\/node/);
  });

  it('publint and arethetypeswrong (profile esm-only) pass on its tarball', () => {
    lintTarball(audioTarball);
  });
});

describe.skipIf(!hasPrebuild && !inCI)('the prebuilt binary (npm run prebuilds)', () => {
  it('is packed, loads from the installed package with nothing compiled, and links no OpenBLAS dynamically; without it, wasm explains why', () => {
    expect(hasPrebuild, 'prebuilds/linux-x64/*.node is missing: CI runs `npm run prebuilds` before `npm test`').toBe(true);
    // A prebuild older than the native sources tests stale code: say so instead of failing obscurely.
    const built = Math.min(...prebuilt.map((f) => statSync(join(PREBUILD_DIR, f)).mtimeMs));
    expect(built, 'prebuilds/linux-x64 is older than native/ or binding.gyp: run `npm run prebuilds` again').toBeGreaterThanOrEqual(
      newestNativeSource(),
    );
    const packed = packedFiles.filter((f) => /^prebuilds\/linux-x64\/.*\.node$/.test(f));
    expect(packed).toEqual(prebuilt.map((f) => `prebuilds/linux-x64/${f}`));

    const installed = join(app, 'node_modules', 'nmfkit');
    expect(existsSync(join(installed, 'build'))).toBe(false); // nothing was compiled at install
    const withPrebuild = runApp<AppReport>('esm.mjs');
    expect(withPrebuild.info.backend).toBe('native');
    expect(withPrebuild.info.native.loaded).toBe(true);
    expect(withPrebuild.info.native.blas?.vendor).toBe('OpenBLAS');
    expectFixture(withPrebuild.sync, 'native');
    expectFixture(withPrebuild.async!, 'native');
    expect(withPrebuild.warnings).toEqual([]);

    // Installed with scripts blocked (npm --ignore-scripts; pnpm and bun by default): the prebuild loads all the same.
    const { dir: blocked } = installProject('app-ignore-scripts', [tarball], ['--ignore-scripts']);
    const fromBlocked = runApp<AppReport>('esm.mjs', blocked);
    expect(fromBlocked.info.backend).toBe('native');
    expectFixture(fromBlocked.sync, 'native');

    for (const file of packed) {
      const ldd = run('/usr/bin/ldd', [join(installed, file)], app);
      expect(ldd.status).toBe(0);
      expect(ldd.stdout).not.toMatch(/libopenblas|libblas|liblapack|libgfortran|not found/);
    }

    rmSync(join(installed, 'prebuilds'), { recursive: true, force: true });
    rmSync(join(installed, 'build'), { recursive: true, force: true });
    const without = runApp<AppReport>('esm.mjs');
    expect(without.info.backend).toBe('wasm');
    expect(without.info.native.loaded).toBe(false);
    expect(without.info.native.reason).toMatch(
      /the native addon has not been built \(No native build was found.*\): no prebuilt binary matches linux-x64, and the install script/,
    );
    expect(without.info.native.fix).toMatch(/install script.*apt-get install -y g\+\+ make python3 pkg-config libopenblas-dev/);
    expectFixture(without.sync, 'wasm');
    expectFixture(without.async!, 'wasm');
    // Running on wasm for want of the addon is said once, at the first fit.
    expect(without.warnings).toEqual(['NMFKIT_NATIVE_UNAVAILABLE']);

    // The install script compiling where there is no prebuild and no compiler: a short message, and backendInfo()
    // then names the failed compile.
    const rebuild = run('npm', ['rebuild', 'nmfkit', '--foreground-scripts'], app, 120_000);
    expect(rebuild.status).toBe(0);
    expect(`${rebuild.stdout}${rebuild.stderr}`).toMatch(/nmfkit: no prebuilt native addon for linux-x64 and compiling it failed/);
    const failed = runApp<AppReport>('esm.mjs');
    expect(failed.info.backend).toBe('wasm');
    expect(failed.info.native.reason).toMatch(/the native addon failed to compile at install \(.+\)/);
    expect(failed.warnings).toEqual(['NMFKIT_NATIVE_UNAVAILABLE']);
  });
});

// The arm64 binary cannot load here; scripts/test-prebuild-arm64.sh runs it under qemu-user (CI does, after this suite).
describe.skipIf(prebuiltArm64.length === 0 && !inCI)('the arm64 prebuilt binary (npm run prebuilds:arm64)', () => {
  it('is packed, an AArch64 shared object, and links no OpenBLAS dynamically', () => {
    expect(
      prebuiltArm64.length,
      'prebuilds/linux-arm64/*.node is missing: CI runs `npm run prebuilds:arm64` before `npm test`',
    ).toBeGreaterThan(0);
    const built = Math.min(...prebuiltArm64.map((f) => statSync(join(ARM64_PREBUILD_DIR, f)).mtimeMs));
    expect(built, 'prebuilds/linux-arm64 is older than native/ or binding.gyp: run `npm run prebuilds:arm64` again').toBeGreaterThanOrEqual(
      newestNativeSource(),
    );
    const packed = packedFiles.filter((f) => /^prebuilds\/linux-arm64\/.*\.node$/.test(f));
    expect(packed).toEqual(prebuiltArm64.map((f) => `prebuilds/linux-arm64/${f}`));
    // The files that were packed (the x64 test removes the installed package's prebuilds/).
    for (const file of packed) {
      const header = run('/usr/bin/readelf', ['-h', join(root, file)], app);
      expect(header.status).toBe(0);
      expect(header.stdout).toMatch(/Type:\s+DYN/);
      expect(header.stdout).toMatch(/Machine:\s+AArch64/);
      const dynamic = run('/usr/bin/readelf', ['-d', join(root, file)], app);
      expect(dynamic.status).toBe(0);
      const needed = dynamic.stdout.split('\n').filter((line) => line.includes('(NEEDED)'));
      expect(needed.join('\n')).toMatch(/libc\.so\.6/);
      expect(needed.join('\n')).not.toMatch(/libopenblas|libblas|liblapack|libgfortran/);
    }
  });
});
