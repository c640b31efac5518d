/**
 * The WebAssembly-only entry (dist/browser.js) where it is meant to run:
 *  - its built module graph imports no Node built-ins (and nothing but relative files);
 *  - its memory cap refuses a fit that would exceed it, with a RangeError naming the sizes, before allocating;
 *  - in a real browser — Debian's chromium, headless, driven by playwright-core — a page served from 127.0.0.1
 *    imports it by package name (import map) and reproduces the libfmp fixtures to 1e-9 with nmfSync on the main
 *    thread, with nmf() in the Web Worker pool, and with nmfSync inside a Web Worker of the page; aborts, time
 *    budgets, inline mode, a caller-compiled module, a server without the wasm MIME type and the memory cap work
 *    there too, and a Web Worker script that cannot be loaded fails the fit with an Error that says what to do.
 * Chromium missing: skipped with a printed reason locally, a failure in CI (CI=true).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWasmBackend, compileWasmModule } from '../../src/backends/wasm.js';
import { nmf, nmfSync, type NmfOptions } from '../../src/index.js';
import { Random } from '../../src/random.js';
import { startStaticServer, type StaticServer } from './server.js';
import { closeTo, loadFixtures, randomMatrix, type Fixture } from '../support/helpers.js';
import { testSpec } from '../support/fit-spec.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** A result as the page's harness returns it. */
interface PlainResult {
  backend: string;
  iterations: number;
  converged: boolean;
  stopReason: string;
  seed: number | null;
  W: number[];
  H: number[];
  hChange: number[];
  wChange: number[];
  spectralError: number;
  frobeniusError: number;
  objective: number;
  objectiveHistory: number[];
  restartObjectives: number[];
}

interface Failure {
  name: string;
  message: string;
  ctor: string;
}

function expectFixture(r: PlainResult, f: Fixture): void {
  const e = f.expected;
  expect(r.backend, f.name).toBe('wasm');
  expect(r.iterations, f.name).toBe(e.iterations);
  expect(closeTo(r.W, e.W.data), `${f.name}: W`).toBe(true);
  expect(closeTo(r.H, e.H.data), `${f.name}: H`).toBe(true);
  expect(closeTo(r.hChange, e.hError), `${f.name}: hChange`).toBe(true);
  expect(closeTo(r.wChange, e.wError), `${f.name}: wChange`).toBe(true);
  expect(closeTo([r.spectralError], [e.VApproxErr]), `${f.name}: spectral error`).toBe(true);
}

// ---------------------------------------------------------------------------------------------------------------

/** Every specifier a built ES module imports: static imports and re-exports, dynamic imports, and worker URLs. */
function specifiers(source: string): { imports: string[]; workers: string[] } {
  const imports = new Set<string>();
  for (const m of source.matchAll(/(?:^|[;\n}])\s*(?:import|export)\s[^'";]*?\bfrom\s*['"]([^'"]+)['"]/g)) imports.add(m[1]!);
  for (const m of source.matchAll(/(?:^|[;\n])\s*import\s*['"]([^'"]+)['"]/g)) imports.add(m[1]!);
  for (const m of source.matchAll(/\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g)) imports.add(m[1]!);
  const workers = [...source.matchAll(/new\s+Worker\s*\(\s*new\s+URL\s*\(\s*['"]([^'"]+)['"]\s*,\s*import\.meta\.url/g)].map((m) => m[1]!);
  return { imports: [...imports], workers };
}

describe('the WebAssembly-only entry as built (dist/browser.js)', () => {
  it('imports no Node built-ins anywhere in its module graph, its Web Worker script included', () => {
    const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
    const seen = new Set<string>();
    const bad: string[] = [];
    const queue = [join(root, 'dist', 'browser.js')];
    while (queue.length > 0) {
      const file = queue.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      const { imports, workers } = specifiers(readFileSync(file, 'utf8'));
      for (const spec of imports) {
        if (spec.startsWith('node:') || builtins.has(spec) || builtins.has(spec.split('/')[0]!))
          bad.push(`${file}: ${spec} (Node built-in)`);
        else if (!spec.startsWith('./') && !spec.startsWith('../')) bad.push(`${file}: ${spec} (bare specifier)`);
        else queue.push(resolve(dirname(file), spec));
      }
      for (const spec of workers) queue.push(resolve(dirname(file), spec));
    }
    expect(bad).toEqual([]);
    const relative = [...seen].map((f) => f.slice(root.length)).sort();
    // The walk did reach the parts that matter (and not the Node ones).
    expect(relative).toContain('dist/backends/wasm-web-worker.js');
    expect(relative).toContain('dist/backends/wasm-worker-host.js');
    expect(relative).toContain('dist/backends/wasm.js');
    expect(relative).not.toContain('dist/backends/wasm-node.js');
    expect(relative).not.toContain('dist/backends/native.js');
    expect(relative).not.toContain('dist/threads.js');
  });
});

describe('the wasm memory cap', () => {
  const module = compileWasmModule(readFileSync(join(root, 'wasm', 'nmfkit.wasm')));
  const problem = (rows: number, cols: number, rank: number) => {
    const random = new Random(1);
    return {
      spec: testSpec(rows, cols, rank),
      V: random.fill(new Float64Array(rows * cols)),
      W: random.fill(new Float64Array(rows * rank)),
      H: random.fill(new Float64Array(rank * cols)),
      mask: null,
      fixedColumnsW: new Uint8Array(rank),
    };
  };

  it('refuses a fit over the cap with a RangeError naming the sizes, before allocating anything', () => {
    const cap = 4 * 2 ** 20;
    const backend = createWasmBackend(module, { maxMemoryBytes: cap, maxMemorySetting: 'maxMemoryBytes' });
    const before = backend.details().memoryBytes;
    // V alone is 8 · 800 · 700 = 4 480 000 bytes > 4 MiB.
    expect(() => backend.createFit(problem(800, 700, 8))).toThrow(RangeError);
    expect(() => backend.createFit(problem(800, 700, 8))).toThrow(
      /a 800×700 rank-8 fit \(V alone is 4480000 bytes\) needs \d+ bytes \([\d.]+ MiB\) of WebAssembly memory \(\d+ bytes .* for the fit, \d+ bytes .* for the final spectral norm, .* for the module\), more than the cap of 4194304 bytes \(4\.00 MiB\) on WebAssembly memory \(maxMemoryBytes\)/,
    );
    expect(backend.details().memoryBytes).toBe(before);
    expect(backend.details().maxMemoryBytes).toBe(cap);
    // One under the cap runs, and its memory stays within the cap.
    const fit = backend.createFit(problem(400, 500, 8));
    fit.run(3, new Float64Array(3), new Float64Array(3), 0);
    fit.finish();
    fit.dispose();
    expect(backend.details().memoryBytes).toBeLessThanOrEqual(cap);
  });

  it('refuses a fit that would fit alone but not beside the live ones, naming what is in use', () => {
    const backend = createWasmBackend(module, { maxMemoryBytes: 4 * 2 ** 20 });
    const first = backend.createFit(problem(400, 500, 4)); // ≈ 1.7 MB
    const second = backend.createFit(problem(400, 500, 4));
    expect(() => backend.createFit(problem(400, 500, 4))).toThrow(/in use by other fits .* exceeds the cap of 4194304 bytes/);
    first.dispose();
    second.dispose();
    backend.createFit(problem(400, 500, 4)).dispose(); // room again
  });

  it('rejects caps below the module or above 4 GiB', () => {
    expect(() => createWasmBackend(module, { maxMemoryBytes: 1000 })).toThrow(
      /below the .* of linear memory the module already has or needs/,
    );
    expect(() => createWasmBackend(module, { maxMemoryBytes: 2 ** 32 + 1 })).toThrow(RangeError);
  });
});

// ---------------------------------------------------------------------------------------------------------------

const haveChromium = existsSync(CHROMIUM);
const inCI = process.env.CI === 'true' || process.env.CI === '1';
if (!haveChromium && !inCI) {
  console.warn(`test/browser.test.ts: skipping the real-browser tests: ${CHROMIUM} is missing (apt-get install -y chromium)`);
}

describe.skipIf(!haveChromium && !inCI)('in a real browser (headless chromium)', () => {
  const fixtures = loadFixtures();
  let server: StaticServer;
  let context: BrowserContext;
  let profile: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    server = await startStaticServer(root);
    profile = mkdtempSync(join(tmpdir(), 'nmfkit-chromium-'));
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await context?.close();
    await server?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  /** A fresh page (a fresh module instance of nmfkit) of the test page, harness loaded; its errors are collected. */
  async function open(path = '/test/browser/index.html', errors = pageErrors): Promise<Page> {
    const page = await context.newPage();
    page.on('pageerror', (error) => errors.push(`${path}: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(`${path}: console: ${message.text()}`);
    });
    await page.goto(server.origin + path);
    await page.waitForFunction(() => (window as unknown as { harnessReady?: boolean }).harnessReady === true);
    return page;
  }

  type Harness = Record<string, (...args: unknown[]) => unknown>;
  /** Calls window.harness[name](...args) in the page. */
  function call<T>(page: Page, name: string, ...args: unknown[]): Promise<T> {
    return page.evaluate(([n, a]) => (window as unknown as { harness: Harness }).harness[n as string]!(...(a as unknown[])), [
      name,
      args,
    ] as const) as Promise<T>;
  }

  afterAll(() => {
    expect(pageErrors).toEqual([]);
  });

  it('loads lazily: nmfSync before ready() throws a clear Error; after it, nmfSync reproduces every fixture', async () => {
    const page = await open();
    const before = await call<{ entry: string; wasm: { loaded: boolean }; threads: { mode: string }; native: { reason: string } }>(
      page,
      'info',
    );
    expect(before.entry).toBe('wasm-only');
    expect(before.wasm.loaded).toBe(false);
    expect(before.threads.mode).toBe('web-worker');
    expect(before.native.reason).toMatch(/native addons cannot run in this runtime/);
    expect(server.requests.filter((r) => r.startsWith('/wasm/'))).toEqual([]); // nothing fetched yet
    const early = await call<Failure | null>(page, 'syncBeforeReady', fixtures[0]);
    expect(early?.ctor).toBe('Error');
    expect(early?.message).toMatch(/not loaded yet .*await ready\(\)/);

    await call(page, 'ready');
    expect(server.requests).toContain('/wasm/nmfkit.wasm');
    const info = await call<{ wasm: { loaded: boolean; simd: boolean; maxMemoryBytes: number; source: string } }>(page, 'info');
    // The default cap in a browser: a quarter of navigator.deviceMemory (GiB), within [256 MiB, 2 GiB], else 1 GiB.
    const deviceMemory = await page.evaluate(() => (navigator as { deviceMemory?: number }).deviceMemory);
    const expectedCap = deviceMemory ? Math.min(2 ** 31, Math.max(2 ** 28, Math.floor((deviceMemory * 2 ** 30) / 4))) : 2 ** 30;
    expect(info.wasm).toMatchObject({ loaded: true, simd: true, maxMemoryBytes: expectedCap, source: 'url' });

    const results = await call<PlainResult[]>(page, 'fitSync', fixtures);
    expect(results).toHaveLength(fixtures.length);
    results.forEach((r, i) => expectFixture(r, fixtures[i]!));
    await page.close();
  });

  it('nmf() loads the backend itself and runs fits in the Web Worker pool; nmfBatch too', async () => {
    const page = await open();
    const results = await call<PlainResult[]>(page, 'fitAsync', fixtures);
    results.forEach((r, i) => expectFixture(r, fixtures[i]!));
    expect(server.requests).toContain('/dist/backends/wasm-web-worker.js');
    const info = await call<{ threads: { mode: string; fits: number } }>(page, 'info');
    expect(info.threads.mode).toBe('web-worker');

    const batch = await call<PlainResult[]>(page, 'fitBatch', fixtures.slice(0, 4));
    for (const [i, r] of batch.entries()) {
      const f = fixtures[i]!;
      const node = nmfSync(f.input.V, { rank: 2, seed: 11, maxIter: 50, backend: 'wasm' });
      expect(r.W).toEqual(Array.from(node.W.data)); // the same wasm module and JavaScript: bit for bit
      expect(r.H).toEqual(Array.from(node.H.data));
    }
    await page.close();
  });

  it('inside a Web Worker of the page: ready(), then nmfSync reproduces every fixture', async () => {
    const page = await open();
    const report = await call<{ ok: boolean; message?: string; info: { entry: string }; sync: PlainResult[]; async: PlainResult }>(
      page,
      'fitInWorker',
      fixtures,
    );
    expect(report.message).toBeUndefined();
    expect(report.ok).toBe(true);
    expect(report.info.entry).toBe('wasm-only');
    report.sync.forEach((r, i) => expectFixture(r, fixtures[i]!));
    expectFixture(report.async, fixtures[0]!);
    await page.close();
  });

  it('a seeded fit (random initialisation in the page) equals the same fit in Node, bit for bit', async () => {
    const page = await open();
    await call(page, 'ready');
    const f = fixtures.find((x) => x.name.startsWith('spectrogram'))!;
    const browser = await call<PlainResult>(page, 'fitSeeded', f, 12345);
    const node = nmfSync(f.input.V, { rank: f.input.rank, seed: 12345, maxIter: 60, tol: 0, backend: 'wasm' });
    expect(browser.seed).toBe(12345);
    expect(browser.W).toEqual(Array.from(node.W.data));
    expect(browser.H).toEqual(Array.from(node.H.data));
    expect(browser.spectralError).toBe(node.spectralError);
    await page.close();
  });

  it('the algorithm options (losses, HALS, masks, penalties, fixed factors, restarts) give the bits Node gives, sync and in the Web Worker pool', async () => {
    const page = await open();
    await call(page, 'ready');
    const f = fixtures.find((x) => x.name.startsWith('spectrogram'))!;
    const { rows, cols } = f.input.V as { rows: number; cols: number };
    const V = { rows, cols, data: Array.from((f.input.V as { data: ArrayLike<number> }).data, (x) => x + 1e-3) };
    const mask = { rows, cols, data: V.data.map((_, k) => (k % 5 === 0 ? 0 : 1)) };
    const cases = [
      { loss: 'kl', mask, l1H: 0.01 },
      { loss: 'is', normalize: 'l2' },
      { solver: 'hals', l1W: 0.01, l2H: 0.1, fixedColumnsW: [0] },
      { loss: 0.5, restarts: 2, stop: 'objective', tol: 1e-4 },
      { updateW: false, W: f.input.W0, loss: 'kl' },
    ];
    for (const extra of cases) {
      const options = { rank: f.input.rank, seed: 3, maxIter: 40, ...extra };
      const page_ = await call<{ sync: PlainResult; async: PlainResult }>(page, 'fitWithOptions', V, options);
      const node = nmfSync(V, { ...options, backend: 'wasm' } as NmfOptions);
      for (const r of [page_.sync, page_.async]) {
        expect(r.W).toEqual(Array.from(node.W.data));
        expect(r.H).toEqual(Array.from(node.H.data));
        expect(r.objective).toBe(node.objective);
        expect(r.objectiveHistory).toEqual(Array.from(node.objectiveHistory.values));
        expect(r.restartObjectives).toEqual(Array.from(node.restartObjectives));
      }
    }
    await page.close();
  });

  for (const isolated of [false, true]) {
    it(`abort and maxTime stop Web Worker fits promptly (${isolated ? 'cross-origin isolated: shared stop flag' : 'no SharedArrayBuffer: time-budgeted runs'})`, async () => {
      const page = await open(`${isolated ? '/isolated' : ''}/test/browser/index.html`);
      expect(await page.evaluate(() => typeof SharedArrayBuffer === 'function' && crossOriginIsolated)).toBe(isolated);
      const aborted = await call<{ outcome: string; name: string; cause: string; abortMs: number }>(page, 'abortAfter', 300);
      expect(aborted).toMatchObject({ outcome: 'rejected', name: 'AbortError', cause: 'enough' });
      expect(aborted.abortMs).toBeLessThan(500);
      const timed = await call<{ stopReason: string; iterations: number; elapsedMs: number }>(page, 'maxTime', 300);
      expect(timed.stopReason).toBe('maxTime');
      expect(timed.iterations).toBeGreaterThan(0);
      expect(timed.elapsedMs).toBeLessThan(1500);
      await page.close();
    });
  }

  for (const isolated of [false, true]) {
    it(`a lone fit on threads: 2 ${isolated ? 'runs on a team of Web Workers (cross-origin isolated)' : 'keeps one Web Worker (no SharedArrayBuffer)'}`, async () => {
      const page = await open(`${isolated ? '/isolated' : ''}/test/browser/index.html`);
      await call(page, 'ready');
      const info = await call<{ threads: { teams: boolean } }>(page, 'info');
      expect(info.threads.teams).toBe(isolated);
      expect(server.requests.some((r) => r === `${isolated ? '/isolated' : ''}/wasm/nmfkit-threads.wasm`)).toBe(isolated);
      const random = randomMatrix(70, 90, 21);
      const V = { rows: 70, cols: 90, data: Array.from(random.data) };
      // KL: its ratio products add the members' partials, so a team of 2 and one worker differ in the last bits.
      const options = { rank: 5, seed: 4, maxIter: 30, tol: 0, threads: 2, loss: 'kl' };
      const browser = await call<PlainResult>(page, 'fitAsyncWith', V, options);
      // Node's wasm fit on a team of 2 worker threads runs the same module and split: the same bits.
      const team = await nmf(V, { ...options, backend: 'wasm' } as NmfOptions);
      const alone = nmfSync(V, { ...options, threads: 1, backend: 'wasm' } as NmfOptions);
      expect(Array.from(team.W.data)).not.toEqual(Array.from(alone.W.data));
      const expected = isolated ? team : alone;
      expect(browser.W).toEqual(Array.from(expected.W.data));
      expect(browser.H).toEqual(Array.from(expected.H.data));
      await page.close();
    });
  }

  it('inline mode (ready({ workers: false })): nmf() reproduces fixtures and yields to the event loop while it runs', async () => {
    const page = await open();
    await call(page, 'ready', { workers: false });
    const info = await call<{ threads: { mode: string } }>(page, 'info');
    expect(info.threads.mode).toBe('inline');
    const results = await call<PlainResult[]>(page, 'fitAsync', fixtures);
    results.forEach((r, i) => expectFixture(r, fixtures[i]!));
    const ticks = await call<{ ticks: number; elapsedMs: number; iterations: number }>(page, 'ticksDuringFit');
    expect(ticks.iterations).toBe(150);
    // A thread blocked for the whole fit would see at most one timer tick; the yields between slices of ~8 ms let
    // timers run during it (measured: 8 ticks in a 100 ms fit).
    expect(ticks.ticks).toBeGreaterThanOrEqual(3);
    const aborted = await call<{ outcome: string; name: string; abortMs: number }>(page, 'abortAfter', 200);
    expect(aborted).toMatchObject({ outcome: 'rejected', name: 'AbortError' });
    expect(aborted.abortMs).toBeLessThan(500);
    await page.close();
  });

  it('ready({ module }) takes a caller-compiled module; a server without the wasm MIME type still works', async () => {
    const page = await open();
    await call(page, 'readyWithModule');
    expect(await call<{ wasm: { source: string } }>(page, 'info')).toMatchObject({ wasm: { source: 'module' } });
    expectFixture((await call<PlainResult[]>(page, 'fitAsync', fixtures.slice(0, 1)))[0]!, fixtures[0]!);
    const conflict = await page.evaluate(() =>
      (window as unknown as { harness: { ready(o: unknown): Promise<void> } }).harness.ready({ maxMemoryBytes: 2 ** 26 }).then(
        () => 'resolved',
        (e: Error) => e.message,
      ),
    );
    expect(conflict).toMatch(/options cannot change .* \(maxMemoryBytes differ\)/);
    await page.close();

    const octet = await open();
    await call(octet, 'ready', { url: '../../wasm/nmfkit.wasm?type=octet' });
    expect(server.requests).toContain('/wasm/nmfkit.wasm?type=octet');
    expectFixture((await call<PlainResult[]>(octet, 'fitSync', fixtures.slice(0, 1)))[0]!, fixtures[0]!);
    await octet.close();
  });

  it('a Web Worker script that cannot be loaded fails the fit with an Error that says what to serve or switch off', async () => {
    const errors: string[] = [];
    const page = await open('/noworker/test/browser/index.html', errors);
    const outcome = await call<Failure>(page, 'fitAsyncOutcome', fixtures[0]);
    expect(outcome.ctor).toBe('Error');
    expect(outcome.message).toMatch(/a wasm Web Worker could not be started .*wasm-web-worker\.js .*ready\(\{ workers: false \}\)/);
    // Nothing else went wrong on the page (the browser may report the missing script itself).
    expect(errors.filter((e) => !/404|Not Found/i.test(e))).toEqual([]);
    // The page is not stuck: the same fit on the calling thread works.
    expectFixture((await call<PlainResult[]>(page, 'fitSync', fixtures.slice(0, 1)))[0]!, fixtures[0]!);
    await page.close();
  });

  it('the memory cap: a fit over it is refused, sync and in a worker, with a RangeError naming the sizes', async () => {
    const page = await open();
    // The cap of edge isolates, 32 MiB: V of 2100×2100 is 35.28 MB.
    await call(page, 'ready', { maxMemoryBytes: 32 * 2 ** 20 });
    const over = await call<{ before: number; after: number; sync: Failure; async: Failure }>(page, 'overCap', 2100, 2100, 4);
    expect(over.sync.ctor).toBe('RangeError');
    // The same refusal on both paths; the byte counts may differ, as the worker's fit may run on a team of workers
    // (the plain iteration, where the calling thread's runs the fused sweep: src/backends/block-rows.ts).
    for (const refusal of [over.sync, over.async]) {
      expect(refusal.ctor).toBe('RangeError');
      expect(refusal.message).toMatch(
        /^nmfkit wasm: a 2100×2100 rank-4 fit \(V alone is 35280000 bytes\) needs \d+ bytes .* more than the cap of 33554432 bytes \(32\.0 MiB\)/,
      );
      expect(refusal.message).toMatch(/ready\(\{ maxMemoryBytes \}\)/);
    }
    expect(over.after).toBe(over.before);
    await page.close();

    const small = await open();
    await call(small, 'ready', { maxMemoryBytes: 2 ** 21 });
    const refused = await call<{ sync: Failure; async: Failure }>(small, 'overCap', 300, 300, 4); // V: 720 000 bytes — fits
    expect(refused.sync).toBeUndefined();
    const tooBig = await call<{ sync: Failure; async: Failure }>(small, 'overCap', 600, 500, 4); // V: 2 400 000 bytes
    expect(tooBig.sync.message).toMatch(/more than the cap of 2097152 bytes \(2\.00 MiB\)/);
    expect(tooBig.async.ctor).toBe('RangeError');
    await small.close();
  });
});
