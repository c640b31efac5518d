/**
 * Leaks: four rounds of 5,000 synchronous and 1,000 asynchronous fits over both backends — mixed small sizes, fits stopped by a
 * callback, by a throwing callback, by the overflow rule, by maxTime, and async ones aborted before, during and
 * after their run — must leave the process where it was: resident memory, memory V8 is told about by the native
 * addon (`external`), the main thread's wasm memory and every worker's wasm memory, each within a stated bound.
 *
 * Method: one warm-up round of every kind of fit (so that pools, JIT code, the wasm heaps' free lists and libuv
 * threads exist), a forced GC, the baseline; then the load in four rounds, each followed by a forced GC and a
 * measurement. A fit here holds 1–40 KiB of native or wasm memory (~20 KiB typical): leaking it, or anything of
 * 4 KiB or more per fit, exceeds the last round's RSS bound; leaking the JS side of a fit, or a buffer V8 was told
 * about, exceeds the heap and `external` bounds at far smaller sizes; a wasm block not freed grows the heaps.
 *
 * Bounds (measured on the 2-core development machine over several runs, then given a margin; the test prints
 * its numbers):
 *  - RSS growth < 48 MiB over the whole load (a one-time growth: malloc arenas, OpenBLAS's per-thread buffers, V8
 *    sizing its heaps in the main thread and the workers), and < 16 MiB over one of the last two rounds (six rounds
 *    in a row grew one step of ~20 MiB in the first three, then +0.7, +2.6, +0.8 MiB: it levels off; under load
 *    the step came as late as the last round, 16.1 MiB), where a leak of 4 KiB a fit would add 24 MiB to every
 *    round of 6,000 fits;
 *  - live JS heap (heapUsed after GC) < 4 MiB (measured −0.4 … +0.3 MiB);
 *  - `external` < 1 MiB (measured 0: every native fit reports its buffers to V8 and releases them on dispose);
 *  - wasm memory of the main instance and of each worker: no growth beyond the warm-up's high-water mark plus one
 *    growth step (1 MiB; measured 0: the heap reuses freed blocks, at 1 MiB per instance).
 * Leaks of native memory too small for these bounds are the business of `npm run test:asan` and valgrind
 * (scripts/asan.sh, scripts/valgrind.sh).
 */
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { backendInfo, nmf, nmfSync, type NmfOptions } from '../../src/index.js';
import { activeFits, wasmWorkerMemory } from '../../src/entry/node.js';
import { BACKENDS, backendAvailable, randomMatrix } from '../support/helpers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const MiB = 2 ** 20;
const backends = BACKENDS.filter((b) => backendAvailable(b));

/** Collects garbage until the numbers settle (finalizers of dropped fits run on a later turn). */
async function settle(): Promise<void> {
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function wasmMainBytes(): number {
  const info = backendInfo();
  return info.wasm.loaded ? info.wasm.memoryBytes : 0;
}

/** A small problem, different every time: K, N in 2…40, R in 1…8. */
function problem(i: number): { V: ReturnType<typeof randomMatrix>; options: NmfOptions } {
  const K = 2 + ((i * 7) % 39);
  const N = 2 + ((i * 13) % 39);
  const R = 1 + ((i * 5) % 8);
  return { V: randomMatrix(K, N, i), options: { rank: R, seed: i, maxIter: 5 + (i % 20), tol: 0 } };
}

const huge = { rows: 2, cols: 2, data: [1e300, 1, 2, 1e300] };

/**
 * The load's own checks throw plain errors instead of calling expect(): vitest keeps state for some assertions
 * (`rejects` promises) until the test ends, which would be measured as a leak of ~1 KiB per async fit.
 */
function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`leaks.test.ts: ${what}`);
}

/** The error `run` throws (or its promise rejects with), or a failure if it does not. */
async function failure(run: () => unknown): Promise<Error> {
  try {
    await run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('leaks.test.ts: expected a failure');
}

/** One synchronous fit of kind i % 8 on `backend`; every kind must end (result or expected error) cleanly. */
function syncFit(i: number, backend: string): void {
  const { V, options } = problem(i);
  const o = { ...options, backend } as NmfOptions;
  switch (i % 8) {
    case 0:
      check(nmfSync(V, { ...o, onIteration: ({ iteration }) => iteration < 3 }).iterations === Math.min(3, o.maxIter!), 'callback stop');
      return;
    case 1:
      try {
        nmfSync(V, {
          ...o,
          onIteration: () => {
            throw new Error('stop');
          },
        });
        check(false, 'a throwing callback must end the fit');
      } catch (error) {
        check((error as Error).message === 'stop', 'the callback’s error');
      }
      return;
    case 2:
      try {
        nmfSync(huge, { ...o, rank: 2 });
        check(false, 'overflow must be a RangeError');
      } catch (error) {
        check(error instanceof RangeError, 'overflow is a RangeError');
      }
      return;
    case 3:
      check(/maxTime|maxIter/.test(nmfSync(V, { ...o, maxTime: 0 }).stopReason), 'maxTime');
      return;
    case 4:
      check(nmfSync(V, { ...o, normalize: 'max', dtype: 'float32' } as NmfOptions).iterations === o.maxIter, 'float32');
      return;
    default:
      check(nmfSync(V, o).iterations === o.maxIter, 'plain fit');
  }
}

/** One asynchronous fit of kind i % 8; some are aborted before they start, while they run, or after. */
async function asyncFit(i: number, backend: string): Promise<void> {
  const { V, options } = problem(i);
  const o = { ...options, backend, maxIter: 5 + (i % 40) } as NmfOptions;
  const controller = new AbortController();
  const aborted = async (run: () => unknown): Promise<void> => check((await failure(run)).name === 'AbortError', 'an AbortError');
  switch (i % 8) {
    case 0:
      controller.abort();
      return aborted(() => nmf(V, { ...o, signal: controller.signal }));
    case 1: {
      const stopAt = 1 + (i % 4);
      return aborted(() =>
        nmf(V, {
          ...o,
          maxIter: 1000,
          signal: controller.signal,
          onIteration: ({ iteration }) => void (iteration === stopAt && controller.abort()),
        }),
      );
    }
    case 2: {
      const pending = nmf(V, { ...o, maxIter: 100_000, signal: controller.signal });
      setTimeout(() => controller.abort(), i % 3);
      return aborted(() => pending);
    }
    case 3:
      check((await failure(() => nmf(huge, { ...o, rank: 2 }))) instanceof RangeError, 'overflow is a RangeError');
      return;
    case 4: {
      const error = await failure(() =>
        nmf(V, {
          ...o,
          onIteration: () => {
            throw new Error('stop');
          },
        }),
      );
      check(error.message === 'stop', 'the callback’s error');
      return;
    }
    case 5: {
      const result = await nmf(V, { ...o, signal: controller.signal });
      controller.abort(); // after the fit: changes nothing
      check(result.iterations === o.maxIter, 'abort after the fit');
      return;
    }
    default:
      check((await nmf(V, o)).iterations === o.maxIter, 'plain async fit');
  }
}

/** Runs `count` async fits, `parallel` at a time, alternating backends. */
async function asyncLoad(from: number, count: number, parallel: number): Promise<void> {
  let next = from;
  const runner = async (): Promise<void> => {
    while (next < from + count) {
      const i = next++;
      await asyncFit(i, backends[i % backends.length]!);
    }
  };
  await Promise.all(Array.from({ length: parallel }, runner));
}

describe.runIf(backends.length > 0)('leaks', () => {
  it('4 × (5,000 sync and 1,000 async fits) (both backends, mixed sizes, some aborted) leave memory where it was', async () => {
    const started = performance.now();
    // Warm-up: every kind of fit on every backend, so pools, workers and JIT code exist before the baseline.
    for (let i = 0; i < 400; i++) syncFit(i, backends[i % backends.length]!);
    await asyncLoad(0, 160, 8);
    await settle();
    const before = { ...process.memoryUsage(), wasm: wasmMainBytes(), workers: await wasmWorkerMemory() };

    // Four rounds of 5,000 sync and 1,000 async fits. The first three may still grow the process once (malloc
    // arenas, OpenBLAS's per-thread buffers, V8's heap sizing in the main thread and the wasm workers: a step of
    // about 20 MiB in one of them, whichever depends on allocation sizes and timing); the last must not, since a
    // leak grows with every fit.
    let syncSeconds = 0;
    let asyncSeconds = 0;
    // The memory after rounds 2 and 3: a leak grows every round, a one-time step (see above) only one of them.
    let second = before;
    let middle = before;
    for (const half of [0, 1, 2, 3]) {
      const t0 = performance.now();
      for (let i = 0; i < 5000; i++) syncFit(1000 + half * 5000 + i, backends[i % backends.length]!);
      const t1 = performance.now();
      await asyncLoad(20_000 + half * 1000, 1000, 8);
      syncSeconds += (t1 - t0) / 1000;
      asyncSeconds += (performance.now() - t1) / 1000;
      await settle();
      if (half === 1) second = { ...process.memoryUsage(), wasm: wasmMainBytes(), workers: await wasmWorkerMemory() };
      if (half === 2) middle = { ...process.memoryUsage(), wasm: wasmMainBytes(), workers: await wasmWorkerMemory() };
    }
    const after = { ...process.memoryUsage(), wasm: wasmMainBytes(), workers: await wasmWorkerMemory() };

    const growth = {
      rssMiB: (after.rss - before.rss) / MiB,
      rssLastRoundMiB: (after.rss - middle.rss) / MiB,
      rssThirdRoundMiB: (middle.rss - second.rss) / MiB,
      externalMiB: (after.external - before.external) / MiB,
      heapUsedMiB: (after.heapUsed - before.heapUsed) / MiB,
      heapTotalMiB: (after.heapTotal - before.heapTotal) / MiB,
      // Resident memory outside the main V8 heap: native buffers, malloc, worker threads.
      rssOutsideHeapMiB: (after.rss - after.heapTotal - (before.rss - before.heapTotal)) / MiB,
      wasmMainMiB: (after.wasm - before.wasm) / MiB,
      workersMiB: after.workers.map((bytes, i) => (bytes - (before.workers[i] ?? 0)) / MiB),
      syncSeconds,
      asyncSeconds,
    };
    console.log(
      `leaks.test.ts (${((performance.now() - started) / 1000).toFixed(1)} s): ${JSON.stringify(growth)}; wasm main ${after.wasm / MiB} MiB, workers ${after.workers.map((b) => b / MiB).join(', ')} MiB`,
    );

    expect(activeFits()).toEqual({ native: 0, wasm: 0 });
    expect(growth.rssMiB).toBeLessThan(48);
    // The smaller of the last two rounds' growths: a leak of 4 KiB a fit adds 24 MiB to both.
    expect(Math.min(growth.rssLastRoundMiB, growth.rssThirdRoundMiB)).toBeLessThan(16);
    expect(growth.heapUsedMiB).toBeLessThan(4);
    expect(growth.externalMiB).toBeLessThan(1);
    expect(growth.wasmMainMiB).toBeLessThanOrEqual(1);
    // Workers may have been replaced (a new worker starts small); each stays within the warm-up's high water mark.
    const highWater = Math.max(0, ...before.workers);
    for (const bytes of after.workers) expect(bytes).toBeLessThanOrEqual(highWater + MiB);
  });
});
