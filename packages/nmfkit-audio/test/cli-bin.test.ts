/**
 * The installed command itself (`bin/nmfkit.js` over the built `dist/`, which `npm test` builds first): exit
 * codes as a process sees them, output piped without a progress bar, and Ctrl-C (SIGINT) cancelling a running
 * fit cleanly with exit code 130.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

  it('cancels a running fit on Ctrl-C with exit code 130', async () => {
    // A fit that would run for minutes: 300×300 random matrix, rank 60, tolerance 0.
    const rows = Array.from({ length: 300 }, (_, i) =>
      Array.from({ length: 300 }, (_, j) => ((i * 7919 + j * 104729) % 1000) / 1000).join(','),
    );
    writeFileSync(join(dir, 'big.csv'), rows.join('\n'));
    const child = spawn(
      process.execPath,
      [BIN, 'factorize', 'big.csv', '--rank', '60', '--tol', '0', '--max-iter', '10000000', '--no-figures'],
      { cwd: dir },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const sent = performance.now();
    child.kill('SIGINT');
    const code = await exited;
    expect(code).toBe(130);
    expect(performance.now() - sent).toBeLessThan(5000);
    expect(stderr).toMatch(/nmfkit: cancelled: the fit was interrupted/);
  });
});
