// Runs in the page of test/browser.test.ts: everything the test asks of nmfkit's browser entry, with results
// turned into plain JSON (typed arrays into arrays) so the test can compare them with the fixtures in Node.
import * as nmfkit from 'nmfkit';
import { failure, noise, optionsOf, plain } from './harness-shared.js';

/** Runs a module worker (./fit-worker.js) on the fixtures and returns what it posts back. */
function inWorker(message) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./fit-worker.js', import.meta.url), { type: 'module' });
    worker.onmessage = (event) => {
      worker.terminate();
      resolve(event.data);
    };
    worker.onerror = (event) => {
      worker.terminate();
      reject(new Error(`fit-worker failed: ${event.message}`));
    };
    worker.postMessage(message);
  });
}

window.harness = {
  info: () => nmfkit.backendInfo(),
  ready: (options) => nmfkit.ready(options),
  /** ready() with a module this page compiled itself, as a workerd app passes an imported .wasm module. */
  async readyWithModule() {
    const module = await WebAssembly.compileStreaming(fetch(new URL('../../wasm/nmfkit.wasm', import.meta.url)));
    await nmfkit.ready({ module });
  },
  /** What nmfSync does before ready() has resolved. */
  syncBeforeReady(f) {
    try {
      nmfkit.nmfSync(f.input.V, optionsOf(f));
      return null;
    } catch (error) {
      return failure(error);
    }
  },
  fitSync: (fixtures) => fixtures.map((f) => plain(nmfkit.nmfSync(f.input.V, optionsOf(f)))),
  fitAsync: async (fixtures) => (await Promise.all(fixtures.map((f) => nmfkit.nmf(f.input.V, optionsOf(f))))).map(plain),
  /** nmf() on the first fixture: the result, or the error it rejected with. */
  fitAsyncOutcome: (f) => nmfkit.nmf(f.input.V, optionsOf(f)).then(plain, failure),
  fitBatch: async (fixtures) => {
    // nmfBatch gives every matrix the same options, so batch the fixtures' V with a seed instead of W0/H0.
    const results = await nmfkit.nmfBatch(
      fixtures.map((f) => f.input.V),
      { rank: 2, seed: 11, maxIter: 50 },
    );
    return results.map(plain);
  },
  fitSeeded: (f, seed) => plain(nmfkit.nmfSync(f.input.V, { rank: f.input.rank, seed, maxIter: 60, tol: 0 })),
  /** nmfSync and nmf (Web Worker pool) with the algorithm options of docs/algorithms.md, given as plain data. */
  fitWithOptions: async (V, options) => ({
    sync: plain(nmfkit.nmfSync(V, options)),
    async: plain(await nmfkit.nmf(V, options)),
  }),
  fitInWorker: (fixtures) => inWorker({ fixtures }),
  /** nmf() in the Web Worker pool with the given options (threads among them). */
  fitAsyncWith: async (V, options) => plain(await nmfkit.nmf(V, options)),
  /** Aborts an async fit of a large problem after `afterMs`; returns how it ended and how long the abort took. */
  async abortAfter(afterMs) {
    const controller = new AbortController();
    const V = noise(300, 400, 3);
    const started = performance.now();
    const fit = nmfkit.nmf(V, { rank: 20, maxIter: 100000, tol: 0, seed: 1, signal: controller.signal });
    await new Promise((r) => setTimeout(r, afterMs));
    const aborted = performance.now();
    controller.abort(new Error('enough'));
    try {
      await fit;
      return { outcome: 'resolved' };
    } catch (error) {
      const done = performance.now();
      return { outcome: 'rejected', ...failure(error), cause: error?.cause?.message, abortMs: done - aborted, totalMs: done - started };
    }
  },
  /** maxTime on an async fit of a large problem. */
  async maxTime(ms) {
    const started = performance.now();
    const r = await nmfkit.nmf(noise(300, 400, 4), { rank: 20, maxIter: 100000, tol: 0, seed: 1, maxTime: ms });
    return { stopReason: r.stopReason, iterations: r.iterations, elapsedMs: performance.now() - started };
  },
  /** Whether the page's event loop keeps turning while an async fit runs: timer ticks during the fit. */
  async ticksDuringFit() {
    let ticks = 0;
    let running = true;
    const tick = () => {
      if (!running) return;
      ticks++;
      setTimeout(tick, 0);
    };
    setTimeout(tick, 0);
    const started = performance.now();
    const r = await nmfkit.nmf(noise(200, 300, 5), { rank: 10, maxIter: 150, tol: 0, seed: 2 });
    running = false;
    return { ticks, elapsedMs: performance.now() - started, iterations: r.iterations };
  },
  /** A fit too large for the memory cap, sync and async: the errors, and the memory before and after. */
  overCap(rows, cols, rank) {
    const before = nmfkit.backendInfo().wasm.memoryBytes;
    let sync;
    try {
      nmfkit.nmfSync(noise(rows, cols, 6), { rank, maxIter: 1, seed: 1 });
    } catch (error) {
      sync = failure(error);
    }
    const after = nmfkit.backendInfo().wasm.memoryBytes;
    return nmfkit
      .nmf(noise(rows, cols, 6), { rank, maxIter: 1, seed: 1 })
      .then(() => ({ before, after, sync, async: null }))
      .catch((error) => ({ before, after, sync, async: failure(error) }));
  },
};
window.harnessReady = true;
