/**
 * The JavaScript fuzzer's supervisor (fuzz/js/run.mjs) must catch what it is there to catch, or `npm run fuzz`
 * would pass whatever the readers do: a reader that hangs, fills memory, kills its process or breaks the oracle.
 * Each is an input of the `selftest` target (fuzz/js/targets.mjs, NMFKIT_FUZZ_SELFTEST=1), replayed: run.mjs must
 * exit 1, say what happened, and keep the input in the findings directory; a passing input exits 0.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
let dir: string;
beforeAll(() => void (dir = mkdtempSync(join(tmpdir(), 'nmfkit-fuzz-supervisor-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function replay(
  name: string,
  contents: string,
  hangSeconds = 2,
): { status: number | null; stderr: string; stdout: string; findings: string[] } {
  const input = join(dir, name);
  writeFileSync(input, contents);
  const findings = join(dir, `findings-${name}`);
  const run = spawnSync(
    process.execPath,
    ['fuzz/js/run.mjs', 'selftest', '--replay', input, '--findings', findings, '--hang-seconds', String(hangSeconds), '--rss-mib', '128'],
    { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NMFKIT_FUZZ_SELFTEST: '1' } },
  );
  let kept: string[] = [];
  try {
    kept = readdirSync(findings).map((f) => readFileSync(join(findings, f), 'utf8'));
  } catch {
    // no findings directory: nothing kept
  }
  return { status: run.status, stderr: run.stderr, stdout: run.stdout, findings: kept };
}

describe('fuzz/js/run.mjs catches', () => {
  // Memory: page faults can cost tens of µs each on a virtual machine (64 MiB once took 0.6 s to fill), so the
  // input that fills memory gets 30 s before it would count as a hang.
  it.each([
    ['a hang', 'H-hang', 2, /hang: no progress for 2 s/],
    ['memory out of bounds', 'M-memory', 30, /memory: resident memory \d+ MiB, above the limit of 128 MiB/],
    ['a crash', 'C-crash', 2, /crash: the fuzzing process died \(SIGABRT\)/],
  ])('%s: exit 1, the input kept', (_, contents, hangSeconds, message) => {
    const { status, stderr, findings } = replay(contents, contents, hangSeconds);
    expect(stderr).toMatch(message);
    expect(status).toBe(1);
    expect(findings).toEqual([contents]);
  });

  it('a broken oracle: exit 1, the problem named', () => {
    const { status, stderr } = replay('O-oracle', 'O-oracle');
    expect(stderr).toMatch(/FAIL .*O-oracle: the oracle failed on purpose/);
    expect(status).toBe(1);
  });

  it('and passes a passing input', () => {
    const { status, stdout } = replay('pass', 'P');
    expect(stdout).toContain('fuzz selftest: replayed 1 inputs, 0 failed');
    expect(status).toBe(0);
  });
});
