/**
 * Which entry Node resolves and what happens when the addon cannot load. Runs the built package (dist/) in child
 * processes, through the package's own name, so `exports` decides:
 *  - `--no-addons` turns off the `node-addons` export condition: Node resolves the WebAssembly-only entry, which
 *    needs `ready()` before `nmfSync`, explains why there is no native backend, and reproduces a fixture;
 *  - the Node entry itself (dist/index.js) under `--no-addons` falls back to wasm and says why, with one warning at
 *    its first fit unless a backend was chosen;
 *  - `NMFKIT_BACKEND=wasm` makes the Node entry compute on wasm (sync, and async in worker threads);
 *  - `NMFKIT_BACKEND=native` where native cannot load fails loudly instead of silently using wasm;
 *  - `NMFKIT_WASM_MAX_MEMORY`, or `ready({ maxMemoryBytes })` before the first fit, caps the Node entry's wasm
 *    memory, in its worker threads too; a later `ready()` with another cap is a RangeError that says why.
 * The programs are the files of test/programs/.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { expectFixture, type FitCheck } from '../support/fixture-check.js';
import { FIXTURE_DIR } from '../support/helpers.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const TOY = `${FIXTURE_DIR}toy-4x8-r2.json`;

/** Runs test/programs/`program` with node `flags` and `args` from the package root, and parses the JSON it prints. */
function run(flags: string[], program: string, args: string[] = [], env: Record<string, string> = {}): unknown {
  const out = execFileSync(process.execPath, [...flags, fileURLToPath(new URL(`../programs/${program}`, import.meta.url)), ...args], {
    cwd: root,
    env: { ...process.env, NMFKIT_BACKEND: '', NMFKIT_WASM_MAX_MEMORY: '', ...env },
    encoding: 'utf8',
  });
  return JSON.parse(out);
}

describe('Node with --no-addons', () => {
  it('resolves the WebAssembly-only entry, which needs ready() for nmfSync, explains why, and reproduces a fixture', () => {
    const report = run(['--no-addons'], 'wasm-only-entry.mjs', [TOY]) as {
      early: string | undefined;
      before: { entry: string; wasm: { loaded: boolean } };
      info: {
        entry: string;
        backend: string;
        native: { loaded: boolean; reason: string; fix: string };
        wasm: { loaded: boolean; maxMemoryBytes: number };
        threads: { mode: string };
      };
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
    // Node says nothing of the device's memory: the WebAssembly-only entry's default outside edge isolates, 1 GiB.
    expect(report.info.wasm.maxMemoryBytes).toBe(2 ** 30);
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
    const report = run(['--no-addons'], 'node-entry-fallback.mjs', [TOY]) as {
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

  it('the first fit that falls back to wasm warns once (code NMFKIT_NATIVE_UNAVAILABLE, with the reason and fix); a chosen backend does not', () => {
    type Report = { steps: { what: string; warnings: number }[]; warnings: { name: string; code: string; message: string }[] };
    const report = run(['--no-addons'], 'fallback-warning.mjs') as Report;
    expect(report.steps).toEqual([
      { what: 'explicit wasm', warnings: 0 },
      { what: 'auto, sync', warnings: 1 },
      { what: 'auto, async', warnings: 1 },
    ]);
    expect(report.warnings[0]).toMatchObject({ name: 'NmfkitWarning', code: 'NMFKIT_NATIVE_UNAVAILABLE' });
    expect(report.warnings[0]!.message).toMatch(/WebAssembly backend .*addons is disabled.*Fix: .*--no-addons.*NMFKIT_BACKEND/);
    const chosen = run(['--no-addons'], 'fallback-warning.mjs', [], { NMFKIT_BACKEND: 'wasm' }) as Report;
    expect(chosen.warnings).toEqual([]);
  });

  it('NMFKIT_BACKEND=native fails loudly instead of silently using wasm: ready() rejects, and so does a fit', () => {
    const report = run(['--no-addons'], 'insist-on-native.mjs', [], { NMFKIT_BACKEND: 'native' }) as {
      ready: { ok: boolean; message: string };
      fit: { ok: boolean; message: string };
    };
    expect(report.fit.ok).toBe(false);
    expect(report.fit.message).toMatch(/^Error: nmfkit: the native backend was requested \(NMFKIT_BACKEND\)/);
    expect(report.ready).toEqual(report.fit);
  });
});

describe('NMFKIT_BACKEND=wasm', () => {
  it('makes the Node entry compute on wasm, sync and in worker threads, and reproduce a fixture', () => {
    const report = run([], 'node-entry-on-wasm.mjs', [TOY], { NMFKIT_BACKEND: 'wasm' }) as {
      info: { entry: string; backend: string; chosenBy: string };
      sync: FitCheck;
      async: FitCheck;
    };
    expect(report.info.entry).toBe('node');
    expect(report.info.backend).toBe('wasm');
    expect(report.info.chosenBy).toBe('NMFKIT_BACKEND');
    expectFixture(report.sync, 'wasm');
    expectFixture(report.async, 'wasm');
  });

  /** What wasm-memory-cap.mjs reports. */
  interface CapReport {
    sync: string;
    async: string;
    small: string;
    cap: number;
    later: string;
    same: string;
  }
  const overCap = (setting: string): RegExp =>
    new RegExp(
      `^RangeError: nmfkit wasm: a 600×500 rank-2 fit .* more than the cap of 2097152 bytes \\(2\\.00 MiB\\) on WebAssembly memory \\(${setting}\\)`,
    );

  it('NMFKIT_WASM_MAX_MEMORY caps the wasm memory of the main thread and of every worker thread', () => {
    const report = run([], 'wasm-memory-cap.mjs', [], { NMFKIT_BACKEND: 'wasm', NMFKIT_WASM_MAX_MEMORY: '2M' }) as CapReport;
    expect(report.cap).toBe(2 * 2 ** 20);
    expect(report.sync).toMatch(overCap('NMFKIT_WASM_MAX_MEMORY'));
    expect(report.async).toBe(report.sync);
    expect(report.small).toBe('wasm');
    // Loaded by the first fit: a later ready() cannot change the cap, and says why and what to do instead.
    expect(report.later).toMatch(
      /^RangeError: options\.maxMemoryBytes: .*cannot change once the WebAssembly backend is loaded; .*call ready\(\) with the options before .*NMFKIT_WASM_MAX_MEMORY/,
    );
    expect(report.same).toBe('resolved');
  });

  it('ready({ maxMemoryBytes }) before the first fit caps it the same way, over NMFKIT_WASM_MAX_MEMORY', () => {
    const report = run([], 'wasm-memory-cap.mjs', [String(2 * 2 ** 20)], {
      NMFKIT_BACKEND: 'wasm',
      NMFKIT_WASM_MAX_MEMORY: '1G',
    }) as CapReport;
    expect(report.cap).toBe(2 * 2 ** 20);
    expect(report.sync).toMatch(overCap('maxMemoryBytes, set with ready\\(\\{ maxMemoryBytes \\}\\)'));
    expect(report.async).toBe(report.sync);
    expect(report.small).toBe('wasm');
    expect(report.later).toMatch(/^RangeError: options\.maxMemoryBytes: .*cannot change once the WebAssembly backend is loaded/);
    expect(report.same).toBe('resolved');
  });
});
