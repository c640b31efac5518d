/** Server-grade async fits: a free event loop, concurrency, cancellation, progress, time budgets, batches. */
import { describe, expect, it } from 'vitest';
import { backendInfo, nmf, nmfBatch, nmfSync, setThreads, type IterationInfo, type NmfOptions } from '../../src/index.js';
import { activeFits, wasmWorkerMemory } from '../../src/entry/node.js';
import { BACKENDS, backendAvailable, randomMatrix } from '../support/helpers.js';

function isAbortError(error: unknown, reason: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError' && (error as Error & { cause: unknown }).cause === reason;
}

describe.each(BACKENDS)('async fits on %s', (backend) => {
  const run = it.skipIf(!backendAvailable(backend));

  run('16 concurrent fits give exactly the results of nmfSync on the same inputs', async () => {
    const inputs = Array.from({ length: 16 }, (_, i) => randomMatrix(20 + i, 30 - i, 100 + i));
    const options = (i: number): NmfOptions => ({ rank: 1 + (i % 4), seed: i, maxIter: 80, tol: 1e-6, backend });
    const results = await Promise.all(inputs.map((V, i) => nmf(V, options(i))));
    inputs.forEach((V, i) => {
      const expected = nmfSync(V, options(i));
      expect(results[i]!.W.data).toEqual(expected.W.data);
      expect(results[i]!.H.data).toEqual(expected.H.data);
      expect(results[i]!.hChange).toEqual(expected.hChange);
      expect(results[i]!.iterations).toBe(expected.iterations);
      expect(results[i]!.spectralError).toBe(expected.spectralError);
    });
  });

  run('progress: every iteration once, in order, with the values of the sync fit', async () => {
    const V = randomMatrix(40, 30, 7);
    const collect = (into: IterationInfo[]) => (info: IterationInfo) => void into.push(info);
    const fromSync: IterationInfo[] = [];
    const fromAsync: IterationInfo[] = [];
    const sync = nmfSync(V, { rank: 3, seed: 9, maxIter: 60, tol: 0, backend, onIteration: collect(fromSync) });
    const async = await nmf(V, { rank: 3, seed: 9, maxIter: 60, tol: 0, backend, onIteration: collect(fromAsync) });
    expect(fromAsync).toEqual(fromSync);
    expect(fromAsync.map((i) => i.iteration)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect(async.hChange).toEqual(sync.hChange);
  });

  run('an already-aborted signal rejects at once with its reason as cause', async () => {
    const controller = new AbortController();
    const reason = new Error('client went away');
    controller.abort(reason);
    const error = await nmf(randomMatrix(10, 10, 1), { rank: 2, signal: controller.signal, backend }).catch((e) => e);
    expect(isAbortError(error, reason)).toBe(true);
  });

  run('an abort mid-fit stops it within an iteration and rejects with AbortError', async () => {
    for (const at of [1, 3, 17, 40]) {
      const controller = new AbortController();
      const reason = `stop at ${at}`;
      let last = 0;
      const error = await nmf(randomMatrix(30, 30, at), {
        rank: 3,
        seed: 1,
        tol: 0,
        maxIter: 10_000,
        backend,
        signal: controller.signal,
        onIteration: ({ iteration }) => {
          last = iteration;
          if (iteration === at) controller.abort(reason);
        },
      }).catch((e) => e);
      expect(isAbortError(error, reason)).toBe(true);
      expect(last).toBe(at);
    }
  });

  run('an abort at a random time without callbacks, and after completion', async () => {
    const controller = new AbortController();
    const pending = nmf(randomMatrix(200, 200, 3), { rank: 8, seed: 1, tol: 0, maxIter: 1_000_000, backend, signal: controller.signal });
    setTimeout(() => controller.abort('timeout'), 20 + Math.random() * 80);
    const error = await pending.catch((e) => e);
    expect(isAbortError(error, 'timeout')).toBe(true);

    const late = new AbortController();
    const done = await nmf(randomMatrix(8, 8, 4), { rank: 2, seed: 1, maxIter: 5, backend, signal: late.signal });
    late.abort();
    expect(done.iterations).toBe(5);
  });

  run('500 aborted fits leave memory bounded and the library usable', async () => {
    const V = randomMatrix(64, 64, 5);
    const before = process.memoryUsage().rss;
    for (let round = 0; round < 50; round++) {
      const fits = Array.from({ length: 10 }, (_, i) => {
        const controller = new AbortController();
        const stopAt = 1 + ((round * 10 + i) % 7);
        return nmf(V, {
          rank: 4,
          seed: i,
          tol: 0,
          maxIter: 1000,
          backend,
          signal: controller.signal,
          onIteration: ({ iteration }) => void (iteration === stopAt && controller.abort()),
        }).catch((e: Error) => e.name);
      });
      expect(await Promise.all(fits)).toEqual(Array(10).fill('AbortError'));
    }
    const growth = process.memoryUsage().rss - before;
    // Bound: 64 MiB of RSS for 500 fits of 64×64 (one fit's buffers are ~100 KiB; a leak of each would be 50 MiB).
    expect(growth).toBeLessThan(64 * 2 ** 20);
    if (backend === 'wasm') {
      // Each worker's wasm memory stays at what a few concurrent fits of this size need: ≤ 4 MiB per worker.
      for (const bytes of await wasmWorkerMemory()) expect(bytes).toBeLessThanOrEqual(4 * 2 ** 20);
    }
    const after = await nmf(V, { rank: 4, seed: 1, maxIter: 10, backend });
    expect(after.iterations).toBe(10);
  });

  run('maxTime stops a sync fit too, and a generous budget changes nothing', () => {
    const V = randomMatrix(200, 200, 6);
    const limited = nmfSync(V, { rank: 8, seed: 1, tol: 0, maxIter: 1_000_000, maxTime: 100, backend });
    expect(limited.stopReason).toBe('maxTime');
    expect(limited.iterations).toBeGreaterThan(0);
    const free = nmfSync(V, { rank: 8, seed: 1, maxIter: 20, maxTime: 60_000, backend });
    expect(free.stopReason).not.toBe('maxTime');
  });

  run('a throwing onIteration rejects that call and the next call works', async () => {
    const boom = new Error('callback failed');
    const error = await nmf(randomMatrix(10, 10, 2), {
      rank: 2,
      seed: 1,
      backend,
      onIteration: ({ iteration }) => {
        if (iteration === 3) throw boom;
      },
    }).catch((e) => e);
    expect(error).toBe(boom);
    expect((await nmf(randomMatrix(10, 10, 2), { rank: 2, seed: 1, maxIter: 4, backend })).iterations).toBe(4);
  });
});

describe.each(BACKENDS)('nmfBatch on %s', (backend) => {
  const run = it.skipIf(!backendAvailable(backend));

  run('200 small matrices give the per-matrix results, in input order', async () => {
    const matrices = Array.from({ length: 200 }, (_, i) => randomMatrix(8 + (i % 9), 12 - (i % 5), 1000 + i));
    const options: NmfOptions = { rank: 3, seed: 42, maxIter: 50, tol: 1e-5, backend };
    const results = await nmfBatch(matrices, options);
    expect(results).toHaveLength(200);
    matrices.forEach((V, i) => {
      const single = nmfSync(V, options);
      expect(results[i]!.W.data).toEqual(single.W.data);
      expect(results[i]!.H.data).toEqual(single.H.data);
      expect(results[i]!.iterations).toBe(single.iterations);
    });
  });

  run('copies of V and of the mask that earlier fits took back give later fits their own results', async () => {
    // Matrices of one shape, so that each fit's copies can be ones an earlier fit of the batch has released.
    const matrices = Array.from({ length: 300 }, (_, i) => randomMatrix(16, 12, 3000 + i));
    const before = matrices.map((V) => Float64Array.from(V.data));
    const mask = { rows: 16, cols: 12, data: Float64Array.from({ length: 192 }, (_, k) => (k % 7 === 0 ? 0 : 1)) };
    for (const options of [
      { rank: 3, seed: 7, maxIter: 30, tol: 0, backend },
      { rank: 3, seed: 7, maxIter: 30, tol: 0, backend, mask },
    ] satisfies NmfOptions[]) {
      for (let pass = 0; pass < 2; pass++) {
        const results = await nmfBatch(matrices, options);
        matrices.forEach((V, i) => {
          const single = nmfSync(V, options);
          expect(results[i]!.W.data).toEqual(single.W.data);
          expect(results[i]!.H.data).toEqual(single.H.data);
          expect(results[i]!.objective).toBe(single.objective);
        });
      }
    }
    matrices.forEach((V, i) => expect(V.data).toEqual(before[i]));
  });

  run('runs of small fits hold at most the fits setting in slots, and a call made during a batch does not wait for its end', async () => {
    const matrices = Array.from({ length: 2000 }, (_, i) => randomMatrix(16, 16, 7000 + i));
    const options: NmfOptions = { rank: 3, seed: 1, maxIter: 100, tol: 0, backend };
    let most = 0;
    let sampling = true;
    const sample = (): void => {
      most = Math.max(most, activeFits()[backend]);
      if (sampling) setImmediate(sample);
    };
    sample();
    let batchDone = false;
    const batch = nmfBatch(matrices, options).then((results) => {
      batchDone = true;
      return results;
    });
    await new Promise((resolve) => setTimeout(resolve, 30));
    const single = await nmf(randomMatrix(16, 16, 1), options);
    expect(single.iterations).toBe(100);
    // On native the batch's groups run on lanes, whose runs take no more groups once another fit waits for a slot.
    expect(batchDone).toBe(false);
    expect((await batch).every((result) => result.iterations === 100)).toBe(true);
    sampling = false;
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(backendInfo().threads.fits);
    expect(activeFits()[backend]).toBe(0);
  });

  run('bad options reject every matrix of a settled batch, each named by its index', async () => {
    const matrices = [randomMatrix(4, 4, 1), randomMatrix(4, 4, 2), randomMatrix(4, 4, 3)];
    const outcomes = await nmfBatch(matrices, { rank: 2, tol: -1, backend, settle: true });
    outcomes.forEach((outcome, i) => {
      expect(outcome.status).toBe('rejected');
      const reason = (outcome as { reason: Error }).reason;
      expect(reason).toBeInstanceOf(RangeError);
      expect(reason.message).toMatch(new RegExp(`^matrices\\[${i}\\]: options\\.tol must be`));
    });
  });

  run('a bad matrix rejects the batch with an error naming its index', async () => {
    const matrices = [randomMatrix(4, 4, 1), randomMatrix(4, 4, 2), { rows: 2, cols: 2, data: [1, -2, 3, 4] }];
    await expect(nmfBatch(matrices, { rank: 2, backend })).rejects.toThrow(/^matrices\[2\]: V must be finite and ≥ 0, but V\.data\[1\]/);
    await expect(nmfBatch(matrices, { rank: 2, backend })).rejects.toBeInstanceOf(RangeError);
  });

  run('settle: true reports each matrix on its own', async () => {
    const matrices = [randomMatrix(4, 4, 1), [[1, 2], [3]], randomMatrix(5, 3, 2)];
    const outcomes = await nmfBatch(matrices as never, { rank: 2, seed: 1, maxIter: 5, backend, settle: true });
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const failed = outcomes[1]!;
    expect(failed.status === 'rejected' && failed.reason.message).toMatch(/^matrices\[1\]: V is ragged/);
  });

  run('onIteration reports which matrix; an abort during a batch rejects it and the next call works', async () => {
    const seen = new Set<number>();
    const controller = new AbortController();
    const matrices = Array.from({ length: 20 }, (_, i) => randomMatrix(30, 30, i));
    const error = await nmfBatch(matrices, {
      rank: 4,
      seed: 1,
      tol: 0,
      maxIter: 5000,
      backend,
      signal: controller.signal,
      onIteration: ({ index, iteration }) => {
        seen.add(index);
        if (iteration === 50) controller.abort('enough');
      },
    }).catch((e) => e);
    expect(isAbortError(error, 'enough')).toBe(true);
    expect(seen.size).toBeGreaterThan(0);
    const again = await nmfBatch(matrices.slice(0, 3), { rank: 2, seed: 1, maxIter: 3, backend });
    expect(again.map((r) => r.iterations)).toEqual([3, 3, 3]);
  });

  run('small fits run in groups: each settles on its own, an abort stops the batch', async () => {
    // A V whose squares overflow cannot be fitted (NMFKIT_NOT_COMPUTABLE); its neighbours in the group can.
    const matrices = Array.from({ length: 60 }, (_, i) => randomMatrix(6, 5, 50 + i));
    matrices[7] = { rows: 6, cols: 5, data: new Float64Array(30).fill(1e200) };
    const options: NmfOptions = { rank: 2, seed: 3, maxIter: 40, tol: 0, backend };
    const outcomes = await nmfBatch(matrices, { ...options, settle: true });
    outcomes.forEach((outcome, i) => {
      if (i === 7) {
        expect(outcome.status === 'rejected' && outcome.reason.message).toMatch(/^matrices\[7\]: nmfkit: the fit cannot be computed/);
        expect(outcome.status === 'rejected' && (outcome.reason as { code?: string }).code).toBe('NMFKIT_NOT_COMPUTABLE');
        return;
      }
      expect(outcome.status).toBe('fulfilled');
      const single = nmfSync(matrices[i]!, options);
      if (outcome.status === 'fulfilled') {
        expect(outcome.value.W.data).toEqual(single.W.data);
        expect(outcome.value.hChange).toEqual(single.hChange);
        expect(outcome.value.objectiveHistory).toEqual(single.objectiveHistory);
        expect(outcome.value.spectralError).toBe(single.spectralError);
      }
    });
    await expect(nmfBatch(matrices, options)).rejects.toThrow(/^matrices\[7\]: nmfkit: the fit cannot be computed/);

    const controller = new AbortController();
    const many = Array.from({ length: 3000 }, (_, i) => randomMatrix(12, 12, i));
    const batch = nmfBatch(many, { rank: 3, seed: 1, tol: 0, maxIter: 200, backend, signal: controller.signal });
    setTimeout(() => controller.abort('stop'), 20);
    expect(isAbortError(await batch.catch((e) => e), 'stop')).toBe(true);
    expect((await nmfBatch(many.slice(0, 2), { rank: 2, seed: 1, maxIter: 3, backend })).map((r) => r.iterations)).toEqual([3, 3]);
  });
});

describe('thread policy', () => {
  it('reports the settings in backendInfo and changes them with setThreads', () => {
    const initial = backendInfo().threads;
    expect(initial.fits).toBeGreaterThanOrEqual(1);
    expect(initial.blasThreads).toBe(1);
    expect(initial.libuvPool).toBeGreaterThanOrEqual(1);
    try {
      expect(setThreads(3).fits).toBe(3);
      expect(setThreads({ blasThreads: 2 })).toMatchObject({ fits: 3, blasThreads: 2 });
      expect(backendInfo().threads).toMatchObject({ fits: 3, blasThreads: 2 });
      if (backendInfo().native.loaded) {
        // Applied to OpenBLAS at once, since no native fit is running.
        const info = backendInfo();
        expect(info.native.loaded && info.native.blas.threads).toBe(2);
      }
    } finally {
      setThreads({ fits: initial.fits, blasThreads: initial.blasThreads });
    }
  });

  it('rejects bad settings, naming them', () => {
    expect(() => setThreads(0)).toThrow(/threads must be an integer in \[1/);
    expect(() => setThreads({ fits: 2.5 })).toThrow(/threads\.fits/);
    expect(() => setThreads({ blasthreads: 2 } as never)).toThrow(/unknown option threads\.blasthreads/);
    expect(() => setThreads('4' as never)).toThrow(TypeError);
  });
});
