/**
 * The package as a user gets it: `npm pack`, then `npm install --omit=dev <tarball>` into a fresh project whose
 * PATH holds only node and npm (no compiler, make or python in reach), then
 *  - `import` and `require()` (Node's require(esm)) of the installed package run a fixture fit;
 *  - `tsc --noEmit` checks a Node consumer (nodenext: the Node entry's types) and a browser consumer (bundler +
 *    DOM, no Node types: the WebAssembly-only entry's types) against the installed declarations;
 *  - publint and @arethetypeswrong/cli pass on the tarball;
 *  - the prebuilt binary (prebuilds/linux-x64, from `npm run prebuilds`) is in the tarball, loads from the
 *    installed package with nothing compiled (`backendInfo()` says native), and links no OpenBLAS dynamically;
 *    with the prebuilds removed, wasm is used and `backendInfo()` explains why.
 * The prebuild is made by `npm run prebuilds` (in .ci/run before `npm test`): missing, its test fails in CI
 * (CI=true) and is skipped with a printed reason elsewhere. The consumer project's files are test/programs/consumer.
 */
import { execFile, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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

let tmp: string;
let app: string;
let bin: string;
let tarball: string;
let packedFiles: string[];
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
function runApp<T>(script: string): T {
  const out = ok(run(process.execPath, [script, join(FIXTURE_DIR, 'toy-4x8-r2.json')], app), `node ${script}`);
  return JSON.parse(out.trim().split('\n').pop()!) as T;
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
  keys?: string[];
}

beforeAll(() => {
  tmp = realpathSync(mkdtempSync(join(tmpdir(), 'nmfkit-pack-')));
  app = join(tmp, 'app');
  bin = join(tmp, 'bin');
  mkdirSync(app);
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
  const pack = JSON.parse(ok(run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], root), 'npm pack')) as {
    filename: string;
    files: { path: string }[];
  }[];
  tarball = join(tmp, pack[0]!.filename);
  packedFiles = pack[0]!.files.map((f) => f.path);

  // The consumer: package.json, its scripts and its TypeScript sources, and the fixture check beside them.
  cpSync(CONSUMER, app, { recursive: true });
  copyFileSync(FIXTURE_CHECK, join(app, 'fixture-check.cjs'));
  const install = run(
    'npm',
    ['install', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', '--foreground-scripts', tarball],
    app,
    120_000,
  );
  installOutput = `${install.stdout}\n${install.stderr}`;
  ok(install, 'npm install <tarball>');
});

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
      'scripts/native-install.cjs',
      'native/addon.cc',
    ]) {
      expect(packedFiles, file).toContain(file);
    }
    expect(packedFiles.filter((f) => /^(src|test|assembly|bench|build)\//.test(f))).toEqual([]);
  });

  it('installs with no compiler in reach (the install script never fails the install)', () => {
    const compilers = spawnSync('sh', ['-c', 'command -v g++ c++ gcc cc make python3 python'], { env, encoding: 'utf8' });
    expect(compilers.stdout.trim()).toBe('');
    expect(existsSync(join(app, 'node_modules', 'nmfkit', 'package.json'))).toBe(true);
    if (!hasPrebuild) expect(installOutput).toMatch(/will use its WebAssembly backend/);
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
    const common = {
      strict: true,
      noEmit: true,
      skipLibCheck: false,
      skipDefaultLibCheck: true,
      target: 'es2022',
      typeRoots: [join(root, 'node_modules', '@types')],
    };
    writeFileSync(
      join(app, 'tsconfig.node.json'),
      JSON.stringify({
        compilerOptions: { ...common, module: 'nodenext', moduleResolution: 'nodenext', lib: ['es2022'], types: ['node'] },
        files: ['node-consumer.ts'],
      }),
    );
    writeFileSync(
      join(app, 'tsconfig.browser.json'),
      JSON.stringify({
        compilerOptions: { ...common, module: 'esnext', moduleResolution: 'bundler', lib: ['es2022', 'dom'], types: [] },
        files: ['browser-consumer.ts'],
      }),
    );
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    // Both at once (each checks every declaration it reaches, @types/node included: a few seconds).
    const configs = ['tsconfig.node.json', 'tsconfig.browser.json'];
    const results = await Promise.all(
      configs.map(
        (config) =>
          new Promise<{ status: number | null; stdout: string }>((resolve) => {
            execFile(process.execPath, [tsc, '-p', config, '--listFiles'], { cwd: app, env, encoding: 'utf8' }, (error, stdout) =>
              resolve({ status: error ? ((error as { code?: number }).code ?? 1) : 0, stdout }),
            );
          }),
      ),
    );
    results.forEach((result, i) => {
      expect(
        result.status,
        `tsc -p ${configs[i]}:\n${result.stdout
          .split('\n')
          .filter((l) => /error/.test(l))
          .join('\n')}`,
      ).toBe(0);
      // Each consumer got its entry's declarations, and the browser one no Node types.
      expect(result.stdout).toContain(i === 0 ? 'node_modules/nmfkit/dist/index.d.ts' : 'node_modules/nmfkit/dist/browser.d.ts');
      if (i === 1) expect(result.stdout).not.toMatch(/@types\/node|dist\/index\.d\.ts/);
    });
  });

  it('publint and arethetypeswrong (profile esm-only: an ESM-only package) pass on the tarball', () => {
    const publint = run(process.execPath, [join(root, 'node_modules', 'publint', 'src', 'cli.js'), 'run', tarball, '--strict'], tmp);
    expect(publint.status, publint.stdout + publint.stderr).toBe(0);
    expect(publint.stdout).not.toMatch(/Errors:|Warnings:|Suggestions:/);
    // esm-only: the package is ESM only ("type": "module", Node ≥ 20.19, where require(esm) works and is tested
    // above), so the profile leaves out TypeScript's node10 resolution (no `exports` at all) and node16-from-CJS
    // (which models a Node without require(esm)). Every problem attw lists must be of those two kinds.
    const attw = run(
      process.execPath,
      [join(root, 'node_modules', '@arethetypeswrong', 'cli', 'dist', 'index.js'), tarball, '--profile', 'esm-only', '--format', 'json'],
      tmp,
    );
    expect(attw.status, attw.stdout + attw.stderr).toBe(0);
    const report = JSON.parse(attw.stdout) as { problems: Record<string, { entrypoint: string; resolutionKind: string }[]> };
    const counted = Object.values(report.problems)
      .flat()
      .filter((p) => p.resolutionKind !== 'node10' && p.resolutionKind !== 'node16-cjs');
    expect(counted).toEqual([]);
  });
});

describe.skipIf(!hasPrebuild && !inCI)('the prebuilt binary (npm run prebuilds)', () => {
  it('is packed, loads from the installed package with nothing compiled, and links no OpenBLAS dynamically; without it, wasm explains why', () => {
    expect(hasPrebuild, 'prebuilds/linux-x64/*.node is missing: CI runs `npm run prebuilds` before `npm test`').toBe(true);
    // A prebuild older than the native sources tests stale code: say so instead of failing obscurely.
    const sources = ['binding.gyp', ...readdirSync(join(root, 'native')).map((f) => join('native', f))];
    const newest = Math.max(...sources.map((f) => statSync(join(root, f)).mtimeMs));
    const built = Math.min(...prebuilt.map((f) => statSync(join(PREBUILD_DIR, f)).mtimeMs));
    expect(built, 'prebuilds/linux-x64 is older than native/ or binding.gyp: run `npm run prebuilds` again').toBeGreaterThanOrEqual(newest);
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
    expect(without.info.native.reason).toMatch(/the native addon has not been built \(No native build was found/);
    expect(without.info.native.fix).toMatch(/apt-get install -y g\+\+ make python3 pkg-config libopenblas-dev/);
    expectFixture(without.sync, 'wasm');
    expectFixture(without.async!, 'wasm');
  });
});
