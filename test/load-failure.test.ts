/**
 * Which entry Node resolves and what happens when the addon cannot load. Runs the built package (dist/) in child
 * processes, through the package's own name, so `exports` decides:
 *  - `--no-addons` turns off the `node-addons` export condition: Node resolves the WebAssembly-only entry, which
 *    needs `ready()` before `nmfSync`, explains why there is no native backend, and reproduces a fixture;
 *  - the Node entry itself (dist/index.js) under `--no-addons` falls back to wasm and says why;
 *  - `NMFKIT_BACKEND=wasm` makes the Node entry compute on wasm (sync, and async in worker threads);
 *  - `NMFKIT_BACKEND=native` where native cannot load fails loudly instead of silently using wasm;
 *  - `NMFKIT_WASM_MAX_MEMORY` caps the Node entry's wasm memory, in its worker threads too.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { expectFixture, FIXTURE_CHECK, type FitCheck } from './fixture-check.js';

const root = fileURLToPath(new URL('..', import.meta.url));

function run(args: string[], script: string, env: Record<string, string> = {}): unknown {
  const out = execFileSync(process.execPath, [...args, '--input-type=module', '-e', script], {
    cwd: root,
    env: { ...process.env, NMFKIT_BACKEND: '', ...env },
    encoding: 'utf8',
  });
  return JSON.parse(out);
}

/** Reads the toy fixture as `f` and defines `opts` and `check` (test/fixture-check.ts). */
const FIXTURE = `
  import { readFileSync } from 'node:fs';
  const f = JSON.parse(readFileSync('../shared/fixtures/seed-mu/toy-4x8-r2.json', 'utf8'));
  ${FIXTURE_CHECK}
`;

describe('Node with --no-addons', () => {
  it("resolves the WebAssembly-only entry, which needs ready() for nmfSync, explains why, and reproduces a fixture", () => {
    const report = run(
      ['--no-addons'],
      `${FIXTURE}
      import { backendInfo, nmf, nmfSync, ready } from 'nmfkit';
      let early;
      try { nmfSync(f.input.V, opts); } catch (e) { early = e.message; }
      const before = backendInfo();
      await ready();
      const sync = check(nmfSync(f.input.V, opts));
      const async = check(await nmf(f.input.V, opts));
      let insisted;
      try { nmfSync(f.input.V, { ...opts, backend: 'native' }); } catch (e) { insisted = { message: e.message, cause: e.cause }; }
      console.log(JSON.stringify({ early, before, info: backendInfo(), sync, async, insisted }));
    `,
    ) as {
      early: string | undefined;
      before: { entry: string; wasm: { loaded: boolean } };
      info: { entry: string; backend: string; native: { loaded: boolean; reason: string; fix: string }; wasm: { loaded: boolean; maxMemoryBytes: number }; threads: { mode: string } };
      sync: FitCheck;
      async: FitCheck;
      insisted: { message: string; cause: { reason: string } } | undefined;
    };
    expect(report.before.entry).toBe('wasm-only');
    expect(report.before.wasm.loaded).toBe(false);
    expect(report.early).toMatch(/not loaded yet.*await ready\(\)/);
    expect(report.info.entry).toBe('wasm-only');
    expect(report.info.backend).toBe('wasm');
    expect(report.info.wasm.loaded).toBe(true);
    expect(report.info.wasm.maxMemoryBytes).toBe(32 * 2 ** 20);
    expect(report.info.threads.mode).toBe('inline'); // Node 20 has no Web Worker global
    expect(report.info.native.loaded).toBe(false);
    expect(report.info.native.reason).toMatch(/--no-addons/);
    expect(report.info.native.fix).toMatch(/--no-addons/);
    expectFixture(report.sync, 'wasm');
    expectFixture(report.async, 'wasm');
    expect(report.insisted?.message).toMatch(/native backend was requested \(options\.backend\) but is not available/);
    expect(report.insisted?.cause.reason).toBe(report.info.native.reason);
  });

  it('the Node entry itself falls back to wasm, explains why, and still reproduces a fixture', () => {
    const report = run(
      ['--no-addons'],
      `${FIXTURE}
      import { backendInfo, nmfSync } from './dist/index.js';
      const sync = check(nmfSync(f.input.V, opts));
      let insisted;
      try { nmfSync(f.input.V, { rank: 2, backend: 'native' }); } catch (e) { insisted = { message: e.message, cause: e.cause }; }
      console.log(JSON.stringify({ info: backendInfo(), sync, insisted }));
    `,
    ) as {
      info: { entry: string; backend: string; native: { loaded: boolean; reason: string; fix: string } };
      sync: FitCheck;
      insisted: { message: string; cause: { reason: string } } | undefined;
    };
    expect(report.info.entry).toBe('node');
    expect(report.info.backend).toBe('wasm');
    expect(report.info.native.loaded).toBe(false);
    expect(report.info.native.reason).toMatch(/addons/i);
    expect(report.info.native.fix).toMatch(/--no-addons/);
    expectFixture(report.sync, 'wasm');
    expect(report.insisted?.message).toMatch(/native backend was requested \(options\.backend\) but is not available/);
    expect(report.insisted?.cause.reason).toBe(report.info.native.reason);
  });

  it('NMFKIT_BACKEND=native fails loudly instead of silently using wasm', () => {
    const report = run(
      ['--no-addons'],
      `import { nmfSync, ready } from 'nmfkit';
       await ready();
       try { nmfSync([[1, 2], [3, 4]], { rank: 1 }); console.log(JSON.stringify({ ok: true })); }
       catch (e) { console.log(JSON.stringify({ ok: false, message: e.message })); }`,
      { NMFKIT_BACKEND: 'native' },
    ) as { ok: boolean; message: string };
    expect(report.ok).toBe(false);
    expect(report.message).toMatch(/native backend was requested \(NMFKIT_BACKEND\)/);
  });
});

describe('NMFKIT_BACKEND=wasm', () => {
  it('makes the Node entry compute on wasm, sync and in worker threads, and reproduce a fixture', () => {
    const report = run(
      [],
      `${FIXTURE}
      import { backendInfo, nmf, nmfSync, ready } from 'nmfkit';
      await ready();
      const sync = check(nmfSync(f.input.V, opts));
      const async = check(await nmf(f.input.V, opts));
      console.log(JSON.stringify({ info: backendInfo(), sync, async }));
    `,
      { NMFKIT_BACKEND: 'wasm' },
    ) as { info: { entry: string; backend: string; chosenBy: string }; sync: FitCheck; async: FitCheck };
    expect(report.info.entry).toBe('node');
    expect(report.info.backend).toBe('wasm');
    expect(report.info.chosenBy).toBe('NMFKIT_BACKEND');
    expectFixture(report.sync, 'wasm');
    expectFixture(report.async, 'wasm');
  });

  it('NMFKIT_WASM_MAX_MEMORY caps the wasm memory of the main thread and of every worker thread', () => {
    const report = run(
      [],
      `import { backendInfo, nmf, nmfSync } from 'nmfkit';
      const V = { rows: 600, cols: 500, data: new Float64Array(600 * 500).fill(1) }; // V alone: 2.4 MB
      const outcome = (f) => { try { f(); return 'ok'; } catch (e) { return e.constructor.name + ': ' + e.message; } };
      const sync = outcome(() => nmfSync(V, { rank: 2, maxIter: 1, seed: 1 }));
      const async = await nmf(V, { rank: 2, maxIter: 1, seed: 1 }).then(() => 'ok', (e) => e.constructor.name + ': ' + e.message);
      const small = nmfSync({ rows: 300, cols: 300, data: new Float64Array(90000).fill(1) }, { rank: 2, maxIter: 1, seed: 1 }).backend;
      console.log(JSON.stringify({ sync, async, small, cap: backendInfo().wasm.maxMemoryBytes }));
    `,
      { NMFKIT_BACKEND: 'wasm', NMFKIT_WASM_MAX_MEMORY: '2M' },
    ) as { sync: string; async: string; small: string; cap: number };
    expect(report.cap).toBe(2 * 2 ** 20);
    expect(report.sync).toMatch(/^RangeError: nmfkit wasm: a 600×500 rank-2 fit .* more than the cap of 2097152 bytes \(2\.00 MiB\) on WebAssembly memory \(NMFKIT_WASM_MAX_MEMORY\)/);
    expect(report.async).toBe(report.sync);
    expect(report.small).toBe('wasm');
  });
});
