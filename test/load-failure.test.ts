/**
 * When the addon cannot load (here: Node started with --no-addons), nmfkit runs on wasm, backendInfo() says why,
 * and a call that insists on native gets an error carrying the load failure. Runs the built package (dist/).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

function runIsolated(script: string, env: Record<string, string> = {}): unknown {
  const out = execFileSync(process.execPath, ['--no-addons', '--input-type=module', '-e', script], {
    cwd: root,
    env: { ...process.env, NMFKIT_BACKEND: '', ...env },
    encoding: 'utf8',
  });
  return JSON.parse(out);
}

describe('without the native addon', () => {
  it('falls back to wasm, explains why, and still reproduces a fixture', () => {
    const report = runIsolated(`
      import { backendInfo, nmfSync } from 'nmfkit';
      import { readFileSync } from 'node:fs';
      const f = JSON.parse(readFileSync('../shared/fixtures/seed-mu/toy-4x8-r2.json', 'utf8'));
      const r = nmfSync(f.input.V, { rank: 2, W: f.input.W0, H: f.input.H0, tol: f.input.thresh, maxIter: f.input.maxIter });
      let d = 0, n = 0;
      r.W.data.forEach((x, i) => { d += (x - f.expected.W.data[i]) ** 2; n += f.expected.W.data[i] ** 2; });
      let insisted;
      try { nmfSync(f.input.V, { rank: 2, backend: 'native' }); } catch (e) { insisted = { message: e.message, cause: e.cause }; }
      console.log(JSON.stringify({ info: backendInfo(), backend: r.backend, iterations: r.iterations, expected: f.expected.iterations, relW: Math.sqrt(d / n), insisted }));
    `) as {
      info: { backend: string; native: { loaded: boolean; reason: string; fix: string } };
      backend: string;
      iterations: number;
      expected: number;
      relW: number;
      insisted: { message: string; cause: { reason: string } } | undefined;
    };
    expect(report.info.backend).toBe('wasm');
    expect(report.info.native.loaded).toBe(false);
    expect(report.info.native.reason).toMatch(/addons/i);
    expect(report.info.native.fix).toMatch(/--no-addons/);
    expect(report.backend).toBe('wasm');
    expect(report.iterations).toBe(report.expected);
    expect(report.relW).toBeLessThan(1e-9);
    expect(report.insisted?.message).toMatch(/native backend was requested \(options\.backend\) but is not available/);
    expect(report.insisted?.cause.reason).toBe(report.info.native.reason);
  });

  it('NMFKIT_BACKEND=native fails loudly instead of silently using wasm', () => {
    const report = runIsolated(
      `import { nmfSync } from 'nmfkit';
       try { nmfSync([[1, 2], [3, 4]], { rank: 1 }); console.log(JSON.stringify({ ok: true })); }
       catch (e) { console.log(JSON.stringify({ ok: false, message: e.message })); }`,
      { NMFKIT_BACKEND: 'native' },
    ) as { ok: boolean; message: string };
    expect(report.ok).toBe(false);
    expect(report.message).toMatch(/native backend was requested \(NMFKIT_BACKEND\)/);
  });
});
