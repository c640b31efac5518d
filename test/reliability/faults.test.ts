/**
 * Faults: a callback that throws, an abort in the middle of a batch, a wasm worker thread that dies in the middle
 * of a fit. Each must reject the call it hit with a clear error (the callback's own exception, an AbortError
 * carrying the reason, an error saying the worker exited), leave no admission slot or worker behind, and the next
 * call must work and give the same numbers as before.
 *
 * The worker threads are reached without a hook in the library: worker_threads.Worker is replaced by a subclass
 * that records every instance (syncBuiltinESMExports makes `import { Worker } from 'node:worker_threads'` see it),
 * before the pool starts its first worker — this file runs in its own process, with its own pool.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { nmf, nmfBatch, nmfSync, setThreads, backendInfo, type NmfOptions } from '../../src/index.js';
import { activeFits, wasmWorkerMemory } from '../../src/entry/node.js';
import { BACKENDS, backendAvailable, randomMatrix } from '../support/helpers.js';

type Worker = import('node:worker_threads').Worker;
// Every wasm pool worker this process starts, in order, and those still running.
const workers: Worker[] = [];
const alive = new Set<Worker>();
const threads = createRequire(import.meta.url)('node:worker_threads') as typeof import('node:worker_threads');
const OriginalWorker = threads.Worker;
threads.Worker = class RecordedWorker extends OriginalWorker {
  constructor(...args: ConstructorParameters<typeof OriginalWorker>) {
    super(...args);
    workers.push(this);
    alive.add(this);
    this.once('exit', () => alive.delete(this));
  }
};

/** Terminates every pool worker that is still running (so whichever hosts a fit dies). */
async function terminateAll(): Promise<void> {
  expect(alive.size).toBeGreaterThan(0);
  await Promise.all([...alive].map((w) => w.terminate()));
}
syncBuiltinESMExports();
afterAll(() => {
  threads.Worker = OriginalWorker;
  syncBuiltinESMExports();
});

const V = randomMatrix(30, 24, 7);
const options = (backend: string, extra: Partial<NmfOptions> = {}): NmfOptions =>
  ({ rank: 3, seed: 5, maxIter: 40, tol: 0, backend, ...extra }) as NmfOptions;

/** The next call on `backend` works, and gives exactly the numbers of a fit that nothing disturbed. */
async function nextCallWorks(backend: string): Promise<void> {
  expect(activeFits()).toEqual({ native: 0, wasm: 0 });
  const expected = nmfSync(V, options(backend));
  const got = await nmf(V, options(backend));
  expect(got.W.data).toEqual(expected.W.data);
  expect(got.iterations).toBe(40);
  expect(nmfSync(V, options(backend)).H.data).toEqual(expected.H.data);
}

function isAbortError(error: unknown, reason: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError' && (error as Error & { cause: unknown }).cause === reason;
}

describe.each(BACKENDS)('faults on %s', (backend) => {
  const run = it.skipIf(!backendAvailable(backend));

  run('a throwing onIteration rejects that call with its own exception (sync and async), then the next call works', async () => {
    for (const thrown of [new Error('callback failed'), new TypeError('bad state'), 'a string', undefined]) {
      for (const at of [1, 3, 40]) {
        const onIteration = ({ iteration }: { iteration: number }): void => {
          if (iteration === at) throw thrown;
        };
        let syncError: unknown = 'nothing thrown';
        try {
          nmfSync(V, options(backend, { onIteration }));
        } catch (error) {
          syncError = error;
        }
        expect(syncError).toBe(thrown);
        let pending: Promise<unknown> | undefined;
        expect(() => (pending = nmf(V, options(backend, { onIteration })))).not.toThrow();
        await expect(pending!).rejects.toBe(thrown);
      }
    }
    await nextCallWorks(backend);
  });

  run('onIteration may call nmfkit again (sync and async fits inside a fit’s callback)', async () => {
    const inner = nmfSync(randomMatrix(12, 9, 1), options(backend));
    const seen: number[] = [];
    const outer = nmfSync(V, {
      ...options(backend, { maxIter: 6 }),
      onIteration: ({ iteration }) => {
        // A wasm fit inside a wasm fit may grow the heap under the outer fit's buffers: they must survive it.
        const again = nmfSync(randomMatrix(12, 9, 1), options(backend));
        expect(again.W.data).toEqual(inner.W.data);
        nmfSync(randomMatrix(200, 150, iteration), options(backend, { maxIter: 1, rank: 20 }));
        seen.push(iteration);
      },
    });
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
    expect(outer.W.data).toEqual(nmfSync(V, options(backend, { maxIter: 6 })).W.data);
    const nested: Promise<unknown>[] = [];
    const asyncOuter = await nmf(V, {
      ...options(backend, { maxIter: 4 }),
      onIteration: () => void nested.push(nmf(randomMatrix(12, 9, 1), options(backend))),
    });
    expect(asyncOuter.W.data).toEqual(nmfSync(V, options(backend, { maxIter: 4 })).W.data);
    for (const r of (await Promise.all(nested)) as { W: { data: Float64Array } }[]) expect(r.W.data).toEqual(inner.W.data);
    await nextCallWorks(backend);
  });

  run('a throwing onIteration in a batch rejects it naming the matrix, stops the others, and the next batch works', async () => {
    const matrices = Array.from({ length: 12 }, (_, i) => randomMatrix(20, 20, 100 + i));
    const boom = new Error('batch callback failed');
    const error = await nmfBatch(matrices, {
      ...options(backend, { maxIter: 400 }),
      onIteration: ({ index, iteration }) => {
        if (index === 5 && iteration === 4) throw boom;
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe('matrices[5]: batch callback failed');
    expect((error as Error).cause).toBe(boom);
    const settled = await nmfBatch(matrices.slice(0, 3), {
      ...options(backend),
      settle: true,
      onIteration: ({ index }) => {
        if (index === 1) throw boom;
      },
    });
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    await nextCallWorks(backend);
  });

  run('an abort during a batch — running, queued, settle or not — rejects with its reason and frees every slot', async () => {
    const initial = backendInfo().threads;
    try {
      for (const fits of [1, 2]) {
        setThreads({ fits, blasThreads: initial.blasThreads });
        for (const settle of [false, true]) {
          const controller = new AbortController();
          const reason = new Error(`stop (fits ${fits}, settle ${settle})`);
          const matrices = Array.from({ length: 10 }, (_, i) => randomMatrix(25, 25, i));
          const seen = new Set<number>();
          const error = await nmfBatch(matrices, {
            ...options(backend, { maxIter: 100_000 }),
            settle,
            signal: controller.signal,
            onIteration: ({ index, iteration }) => {
              seen.add(index);
              if (iteration === 10) controller.abort(reason);
            },
          }).catch((e: unknown) => e);
          expect(isAbortError(error, reason)).toBe(true);
          // Matrices queued behind the abort never started.
          expect(seen.size).toBeLessThan(matrices.length);
          expect(activeFits()).toEqual({ native: 0, wasm: 0 });
        }
        // An abort from a timer, without callbacks (the kernels see the stop flag between iterations).
        const controller = new AbortController();
        setTimeout(() => controller.abort('timer'), 30);
        const error = await nmfBatch(
          Array.from({ length: 6 }, (_, i) => randomMatrix(120, 100, i)),
          { ...options(backend, { maxIter: 1_000_000, rank: 6 }), signal: controller.signal },
        ).catch((e: unknown) => e);
        expect(isAbortError(error, 'timer')).toBe(true);
      }
    } finally {
      setThreads({ fits: initial.fits, blasThreads: initial.blasThreads });
    }
    const again = await nmfBatch([V, V], options(backend));
    expect(again[0]!.W.data).toEqual(nmfSync(V, options(backend)).W.data);
    await nextCallWorks(backend);
  });
});

describe.runIf(backendAvailable('wasm'))('a wasm worker thread terminated mid-fit', () => {
  const initial = backendInfo().threads;
  afterAll(() => setThreads({ fits: initial.fits, blasThreads: initial.blasThreads }));

  /** Starts a long wasm fit and resolves, with its promise, once it has run `iterations` iterations. */
  async function running(iterations = 3): Promise<{ result: Promise<unknown> }> {
    let started!: () => void;
    const ready = new Promise<void>((resolve) => (started = resolve));
    const result = nmf(randomMatrix(60, 50, 3), {
      ...options('wasm', { maxIter: 1_000_000, rank: 4 }),
      onIteration: ({ iteration }) => void (iteration === iterations && started()),
    }).catch((e: unknown) => e);
    await Promise.race([ready, result]);
    return { result };
  }

  it('rejects that fit with an error saying the worker exited; the next fit gets a fresh worker', async () => {
    setThreads(1);
    const { result } = await running();
    await terminateAll();
    const error = await result;
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/nmfkit: a wasm worker thread exited \(code \d+\) during a fit/);
    expect(activeFits()).toEqual({ native: 0, wasm: 0 });
    const count = workers.length;
    await nextCallWorks('wasm');
    expect(workers.length).toBe(count + 1);
    // The pool no longer asks the dead worker anything (wasmWorkerMemory would otherwise never settle).
    const memory = await wasmWorkerMemory();
    expect(memory.length).toBe(1);
  });

  it('every fit hosted by the dead worker is rejected; fits in other workers finish normally', async () => {
    setThreads(2);
    await terminateAll(); // start from an empty pool
    // Four fits over two workers: two each (a new fit goes to the worker with the fewest live fits).
    const fits = Array.from({ length: 4 }, (_, i) =>
      nmf(randomMatrix(40, 40, i), options('wasm', { maxIter: 3000, rank: 4, seed: i })).catch((e: unknown) => e),
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(alive.size).toBe(2);
    await [...alive][0]!.terminate();
    const outcomes = await Promise.all(fits);
    const failed = outcomes.filter((o) => o instanceof Error);
    const finished = outcomes.filter((o) => !(o instanceof Error));
    expect(failed.length).toBeGreaterThan(0);
    for (const e of failed) expect((e as Error).message).toMatch(/wasm worker thread exited|wasm worker of this fit has exited/);
    expect(finished.length).toBeGreaterThan(0);
    for (const r of finished) expect((r as { iterations: number }).iterations).toBe(3000);
    await nextCallWorks('wasm');
  });

  it('a worker that dies while idle is replaced by the next fit, and one that dies while a fit is being created fails that fit', async () => {
    setThreads(1);
    await nmf(V, options('wasm'));
    await terminateAll();
    await nextCallWorks('wasm');
    // Terminate right after the fit was posted (its create request is pending in the worker).
    const pending = nmf(randomMatrix(50, 50, 9), options('wasm', { maxIter: 100_000 })).catch((e: unknown) => e);
    await new Promise((resolve) => setImmediate(resolve));
    await terminateAll();
    const error = await pending;
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/wasm worker/);
    await nextCallWorks('wasm');
  });

  it('a team fit whose helper worker dies goes on (the leader does its shares) and finishes; the pool hires a fresh helper', async () => {
    setThreads(2);
    if (alive.size > 0) await terminateAll(); // start from an empty pool
    const big = randomMatrix(300, 400, 12);
    const teamOptions = options('wasm', { rank: 8, maxIter: 400, threads: 2 });
    const undisturbed = await nmf(big, teamOptions);
    await terminateAll();
    let started!: () => void;
    const ready = new Promise<void>((resolve) => (started = resolve));
    const before = workers.length;
    const result = nmf(big, { ...teamOptions, onIteration: ({ iteration }) => void (iteration === 20 && started()) });
    await ready;
    // The fit's worker first, then its helper.
    expect(workers.length).toBe(before + 2);
    await workers[before + 1]!.terminate();
    const recovered = await result;
    expect(recovered.iterations).toBe(400);
    // A helper killed in the middle of an in-place update may leave its rows updated twice, so the factors need
    // not be the undisturbed bits; the fit still converges to the same objective.
    expect(Math.abs(recovered.objective - undisturbed.objective) / undisturbed.objective).toBeLessThan(1e-3);
    expect(activeFits()).toEqual({ native: 0, wasm: 0 });
    const count = workers.length;
    const again = await nmf(big, teamOptions);
    expect(again.W.data).toEqual(undisturbed.W.data);
    expect(workers.length, 'a fresh helper, the same fit worker').toBe(count + 1);
  });

  it('a team fit whose own worker dies is rejected, and its helper is released: the next team fit reuses it', async () => {
    setThreads(2);
    if (alive.size > 0) await terminateAll();
    const big = randomMatrix(300, 400, 13);
    const teamOptions = options('wasm', { rank: 8, maxIter: 100_000, threads: 2 });
    let started!: () => void;
    const ready = new Promise<void>((resolve) => (started = resolve));
    const before = workers.length;
    const result = nmf(big, { ...teamOptions, onIteration: ({ iteration }) => void (iteration === 5 && started()) }).catch(
      (e: unknown) => e,
    );
    await ready;
    expect(workers.length).toBe(before + 2);
    await workers[before]!.terminate();
    expect(((await result) as Error).message).toMatch(/wasm worker thread exited/);
    const again = await nmf(big, { ...teamOptions, maxIter: 20 });
    expect(again.iterations).toBe(20);
    expect(workers.length, 'a fresh fit worker, the same helper').toBe(before + 3);
    expect(alive.has(workers[before + 1]!)).toBe(true);
  });

  it('a fit aborted while its worker dies rejects once, with one of the two errors', async () => {
    setThreads(1);
    const controller = new AbortController();
    const { result } = await (async () => {
      let started!: () => void;
      const ready = new Promise<void>((resolve) => (started = resolve));
      const result = nmf(randomMatrix(60, 50, 4), {
        ...options('wasm', { maxIter: 1_000_000 }),
        signal: controller.signal,
        onIteration: ({ iteration }) => void (iteration === 2 && started()),
      }).catch((e: unknown) => e);
      await ready;
      return { result };
    })();
    controller.abort('both');
    await terminateAll();
    const error = (await result) as Error;
    expect(error.name === 'AbortError' || /wasm worker/.test(error.message)).toBe(true);
    await nextCallWorks('wasm');
  });
});

describe.runIf(backendAvailable('wasm'))('wasm worker threads in a node started with V8 flags', () => {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const program = fileURLToPath(new URL('../programs/wasm-async-fit.mjs', import.meta.url));
  const node = (args: string[]): string =>
    execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8', env: { ...process.env, NMFKIT_BACKEND: '' } });

  // `node --max-old-space-size=4096 app.js` puts the flag in process.execArgv, which a Worker inherits and refuses
  // (ERR_WORKER_INVALID_EXEC_ARGV): every async wasm fit failed. The pool now starts its workers without them.
  it('nmf on wasm works under --max-old-space-size, --expose-gc, --stack-size and --title', () => {
    expect(node(['--max-old-space-size=512', '--expose-gc', '--stack-size=2000', '--title=nmfkit-test', program]).trim()).toBe('3');
  });

  // `node --input-type=module -e …` makes a worker that inherits those options fail with ERR_INPUT_TYPE_NOT_ALLOWED.
  it('nmf on wasm works in a program given as --input-type=module -e source, with the same flags', () => {
    const source = readFileSync(program, 'utf8');
    expect(
      node([
        '--max-old-space-size=512',
        '--expose-gc',
        '--stack-size=2000',
        '--title=nmfkit-test',
        '--input-type=module',
        '-e',
        source,
      ]).trim(),
    ).toBe('3');
  });
});
