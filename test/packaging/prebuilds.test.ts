/**
 * The tools around the prebuilt addons: the pack guard (scripts/check-prebuilds.cjs) refuses a package without
 * both Linux binaries or with a binary for the wrong CPU, and test/programs/prebuild-check.mjs — the check that
 * runs the arm64 prebuild under qemu-user in CI — passes on this machine's own prebuild and fails without it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const inCI = process.env.CI === 'true' || process.env.CI === '1';
const tmp = mkdtempSync(join(tmpdir(), 'nmfkit-prebuilds-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The first bytes of an ELF file for the CPU `machine` (e_machine at byte 18), which is all the guard reads. */
function elfHeader(machine: number): Buffer {
  const header = Buffer.alloc(64);
  header.write('\x7fELF', 0, 'latin1');
  header.writeUInt16LE(machine, 18);
  return header;
}

/** A package folder holding `files` (paths under prebuilds/ → contents), and the guard's verdict on it. */
function guard(name: string, files: Record<string, Buffer>): { status: number | null; out: string } {
  const dir = join(tmp, name);
  for (const [file, contents] of Object.entries(files)) {
    mkdirSync(join(dir, 'prebuilds', file, '..'), { recursive: true });
    writeFileSync(join(dir, 'prebuilds', file), contents);
  }
  mkdirSync(dir, { recursive: true });
  const result = spawnSync(process.execPath, [join(root, 'scripts', 'check-prebuilds.cjs'), dir], { encoding: 'utf8' });
  return { status: result.status, out: `${result.stdout}${result.stderr}` };
}

const X64 = 62;
const AARCH64 = 183;

describe('the pack guard (scripts/check-prebuilds.cjs)', () => {
  it('passes both Linux binaries, each for its CPU', () => {
    const { status, out } = guard('both', {
      'linux-x64/nmfkit.glibc.node': elfHeader(X64),
      'linux-arm64/nmfkit.glibc.node': elfHeader(AARCH64),
    });
    expect(status, out).toBe(0);
    expect(out).toMatch(
      /packing the prebuilt addons prebuilds\/linux-x64\/nmfkit\.glibc\.node, prebuilds\/linux-arm64\/nmfkit\.glibc\.node/,
    );
  });

  it('refuses a package without the arm64 binary, saying how to make it', () => {
    const { status, out } = guard('x64-only', { 'linux-x64/nmfkit.glibc.node': elfHeader(X64) });
    expect(status).toBe(1);
    expect(out).toMatch(/linux-arm64 holds no \.node file\. Run `npm run prebuilds:arm64`/);
    expect(out).not.toMatch(/linux-x64 holds/);
  });

  it('refuses a package without any prebuild, naming both', () => {
    const { status, out } = guard('none', {});
    expect(status).toBe(1);
    expect(out).toMatch(/linux-x64 holds no \.node file\. Run `npm run prebuilds`/);
    expect(out).toMatch(/linux-arm64 holds no \.node file/);
  });

  it('refuses a binary built for the other CPU, or no ELF file at all', () => {
    const swapped = guard('swapped', {
      'linux-x64/nmfkit.glibc.node': elfHeader(X64),
      'linux-arm64/nmfkit.glibc.node': elfHeader(X64),
    });
    expect(swapped.status).toBe(1);
    expect(swapped.out).toMatch(/prebuilds\/linux-arm64\/nmfkit\.glibc\.node is not an AArch64 ELF file/);
    const text = guard('text', {
      'linux-x64/nmfkit.glibc.node': Buffer.from('not a binary, but long enough to have a header'),
      'linux-arm64/nmfkit.glibc.node': elfHeader(AARCH64),
    });
    expect(text.status).toBe(1);
    expect(text.out).toMatch(/prebuilds\/linux-x64\/nmfkit\.glibc\.node is not an x86-64 ELF file/);
  });
});

const ownPrebuilds = join(root, 'prebuilds', `${process.platform}-${process.arch}`);
const hasOwnPrebuild = existsSync(ownPrebuilds) && readdirSync(ownPrebuilds).some((f) => f.endsWith('.node'));

describe.skipIf(!hasOwnPrebuild && !inCI)("the prebuild check program on this machine's prebuild", () => {
  const check = (env: NodeJS.ProcessEnv) =>
    spawnSync(process.execPath, [join(root, 'test', 'programs', 'prebuild-check.mjs')], {
      cwd: root,
      env: { ...process.env, PREBUILDS_ONLY: '1', ...env },
      encoding: 'utf8',
      timeout: 120_000,
    });

  it('loads it from prebuilds/, reproduces the fixtures on both backends, and native ≡ wasm', () => {
    const result = check({});
    expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`ok {3}node-gyp-build picks prebuilds/${process.platform}-${process.arch}/`));
    expect(result.stdout).toMatch(/^(\d+) passed, 0 failed$/m);
    expect(Number(/^(\d+) passed/m.exec(result.stdout)![1])).toBeGreaterThanOrEqual(50);
  });

  it('fails when the prebuild it must load is not there', () => {
    // The package's own name decides node-gyp-build's override variable: NMFKIT_PREBUILD, an empty folder here.
    const empty = join(tmp, 'empty-package');
    mkdirSync(empty, { recursive: true });
    const result = check({ NMFKIT_PREBUILD: empty });
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/FAIL node-gyp-build picks prebuilds\//);
    expect(result.stdout).toMatch(/FAIL the native backend loaded/);
  });
});
