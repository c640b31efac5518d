/**
 * The installed command itself (`bin/nmfkit.js` over the built `dist/`, which `npm test` builds first): exit
 * codes as a process sees them, output piped without a progress bar, and Ctrl-C (SIGINT) cancelling a running
 * fit cleanly with exit code 130 — writing nothing, or with --keep-partial the factors reached.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../bin/nmfkit.js', import.meta.url));
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nmfkit-bin-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function nmfkit(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: dir, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('bin/nmfkit.js', () => {
  beforeAll(() => {
    const rows = Array.from({ length: 300 }, (_, i) =>
      Array.from({ length: 300 }, (_, j) => ((i * 7919 + j * 104729) % 1000) / 1000).join(','),
    );
    writeFileSync(join(dir, 'big.csv'), rows.join('\n'));
  });

  it('exits 0 on success, 1 on bad input, 2 on bad usage', () => {
    writeFileSync(join(dir, 'v.csv'), '1,2,3\n4,5,6\n');
    const ok = nmfkit(['factorize', 'v.csv', '--rank', '1', '--seed', '1', '--json', '--no-figures']);
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout).input).toMatchObject({ rows: 2, cols: 3 });
    expect(ok.stderr).toBe('');
    const bad = nmfkit(['factorize', 'missing.csv', '--rank', '1']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/nmfkit: error: cannot read missing\.csv: no such file/);
    const usage = nmfkit(['factorize', 'v.csv', '--rank', 'x']);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/--rank must be an integer ≥ 1/);
  });

  /** A fit that would run for minutes (300×300, rank 60, tolerance 0), interrupted with SIGINT after `wait` ms. */
  async function interrupted(extra: string[], out: string, wait = 3000): Promise<{ code: number | null; stderr: string; after: number }> {
    const child = spawn(
      process.execPath,
      [BIN, 'factorize', 'big.csv', '--rank', '60', '--tol', '0', '--max-iter', '10000000', '--no-figures', '--out', out, ...extra],
      { cwd: dir },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Long enough for node to start and read the file under load; the fit then runs for minutes.
    await new Promise((resolve) => setTimeout(resolve, wait));
    const sent = performance.now();
    child.kill('SIGINT');
    const code = await exited;
    return { code, stderr, after: performance.now() - sent };
  }

  it('cancels a running fit on Ctrl-C with exit code 130, writing nothing', async () => {
    const r = await interrupted([], join(dir, 'out-cancelled'));
    expect(r.code).toBe(130);
    expect(r.after).toBeLessThan(5000);
    expect(r.stderr).toMatch(/^nmfkit: cancelled: the fit was interrupted\n$/);
    expect(existsSync(join(dir, 'out-cancelled'))).toBe(false);
  });

  it('--keep-partial: Ctrl-C writes the factors of the last iteration and still exits 130', async () => {
    const out = join(dir, 'out-partial');
    const r = await interrupted(['--keep-partial'], out);
    expect(r.code, r.stderr).toBe(130);
    expect(r.after).toBeLessThan(5000);
    expect(r.stderr).toMatch(
      /^nmfkit: cancelled: interrupted after \d+ iterations?; --keep-partial wrote the factors reached to \S*W\.csv and \S*H\.csv\n$/,
    );
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({ interrupted: true, stopReason: 'interrupted', converged: false });
    expect(summary.iterations).toBeGreaterThan(0);
    expect(existsSync(join(out, 'factors.png'))).toBe(false);
    // The files hold the factors the summary reports on: ‖V − W·H‖_F recomputed from them is its frobeniusError.
    const read = (name: string): number[][] =>
      readFileSync(name, 'utf8')
        .trim()
        .split('\n')
        .map((line) => line.split(',').map(Number));
    const [V, W, H] = [read(join(dir, 'big.csv')), read(join(out, 'W.csv')), read(join(out, 'H.csv'))];
    expect([W.length, W[0]!.length, H.length, H[0]!.length]).toEqual([300, 60, 60, 300]);
    let sum = 0;
    for (let i = 0; i < 300; i++) {
      for (let j = 0; j < 300; j++) {
        let wh = 0;
        for (let r = 0; r < 60; r++) wh += W[i]![r]! * H[r]![j]!;
        sum += (V[i]![j]! - wh) ** 2;
      }
    }
    expect(Math.sqrt(sum)).toBeCloseTo(summary.frobeniusError, 9);
  });
});
