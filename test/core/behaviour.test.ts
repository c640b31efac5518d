/** The facade's promises: inputs untouched, seeding, normalisation, callbacks, backend choice, agreement. */
import { afterEach, describe, expect, it } from 'vitest';
import { backendInfo, nmf, nmfSync, type NmfOptions, type NmfResult } from '../../src/index.js';
import { buildResult, multiply } from '../../src/result.js';
import { chooseBackend } from '../../src/entry/node.js';
import { driveSync } from '../../src/driver.js';
import { planFit } from '../../src/options.js';
import { Random } from '../../src/random.js';
import { BACKENDS, backendAvailable, loadFixture, randomMatrix, relativeError } from '../support/helpers.js';

const both = BACKENDS.every((b) => backendAvailable(b));

describe.each(BACKENDS)('on %s', (backend) => {
  const run = it.skipIf(!backendAvailable(backend));

  run('never modifies the caller’s arrays (V, W, H in every accepted form)', async () => {
    const V = { rows: 6, cols: 5, data: new Float64Array(randomMatrix(6, 5, 1).data) };
    const W = { rows: 6, cols: 2, data: Array.from(randomMatrix(6, 2, 2).data) };
    const H = [Array.from(randomMatrix(1, 5, 3).data), Array.from(randomMatrix(1, 5, 4).data)];
    const copies = [V.data.slice(), W.data.slice(), H.map((r) => r.slice())];
    const options: NmfOptions = { rank: 2, W, H, maxIter: 50, tol: 0, normalize: 'max', backend };
    const sync = nmfSync(V, options);
    const async = await nmf(V, options);
    expect(V.data).toEqual(copies[0]);
    expect(W.data).toEqual(copies[1]);
    expect(H).toEqual(copies[2]);
    // Results are fresh arrays, not views of the inputs or of each other.
    expect(sync.W.data.buffer).not.toBe(async.W.data.buffer);
    expect(sync.W.data).toEqual(async.W.data);
  });

  run('normalize: max scales W columns to max 1 and keeps W·H', () => {
    const V = randomMatrix(12, 9, 5);
    const plain = nmfSync(V, { rank: 3, seed: 11, maxIter: 40, backend });
    const normalized = nmfSync(V, { rank: 3, seed: 11, maxIter: 40, normalize: 'max', backend });
    for (let r = 0; r < 3; r++) {
      let max = 0;
      for (let k = 0; k < 12; k++) max = Math.max(max, normalized.W.data[k * 3 + r]!);
      expect(max).toBeCloseTo(1, 14);
    }
    expect(relativeError(normalized.reconstruct().data, plain.reconstruct().data)).toBeLessThan(1e-13);
    expect(relativeError([normalized.spectralError], [plain.spectralError])).toBeLessThan(1e-10);
  });

  run('onIteration sees every iteration in order and returning false stops after it', async () => {
    const V = randomMatrix(10, 8, 6);
    for (const fit of [nmfSync, nmf]) {
      const seen: number[] = [];
      const result = await fit(V, {
        rank: 2,
        seed: 2,
        tol: 0,
        backend,
        onIteration: (info) => {
          seen.push(info.iteration);
          return info.iteration < 7;
        },
      });
      expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7]);
      expect(result.iterations).toBe(7);
      expect(result.stopReason).toBe('callback');
      expect(result.converged).toBe(false);
    }
  });

  run('onIteration reports the same changes as the result', () => {
    const V = randomMatrix(9, 7, 8);
    const h: number[] = [];
    const w: number[] = [];
    const result = nmfSync(V, {
      rank: 3,
      seed: 4,
      maxIter: 30,
      tol: 0,
      backend,
      onIteration: (i) => void (h.push(i.hChange), w.push(i.wChange)),
    });
    expect(h).toEqual(Array.from(result.hChange));
    expect(w).toEqual(Array.from(result.wChange));
    expect(result.stopReason).toBe('maxIter');
  });

  run('maxIter 0 returns the initial factors and no history', () => {
    const V = randomMatrix(4, 5, 9);
    const W = randomMatrix(4, 2, 10);
    const H = randomMatrix(2, 5, 12);
    const result = nmfSync(V, { rank: 2, W, H, maxIter: 0, backend });
    expect(result.iterations).toBe(0);
    expect(result.hChange.length).toBe(0);
    expect(result.W.data).toEqual(W.data);
    expect(result.H.data).toEqual(H.data);
    expect(result.stopReason).toBe('maxIter');
    expect(result.seed).toBeNull();
    expect(relativeError([result.frobeniusError], [frobenius(V.data, multiply(W, H).data)])).toBeLessThan(1e-12);
  });

  run('a seed reproduces the fit; no seed draws one and reports it', () => {
    const V = randomMatrix(8, 6, 13);
    const a = nmfSync(V, { rank: 2, seed: 42, maxIter: 20, backend });
    const b = nmfSync(V, { rank: 2, seed: 42, maxIter: 20, backend });
    expect(a.W.data).toEqual(b.W.data);
    expect(a.seed).toBe(42);
    const c = nmfSync(V, { rank: 2, maxIter: 20, backend });
    expect(Number.isSafeInteger(c.seed)).toBe(true);
    const d = nmfSync(V, { rank: 2, maxIter: 20, backend, seed: c.seed! });
    expect(d.W.data).toEqual(c.W.data);
    expect(d.H.data).toEqual(c.H.data);
  });

  run('the random initialisation is U[0,1): W0 drawn first, then H0', () => {
    const V = randomMatrix(3, 4, 14);
    const result = nmfSync(V, { rank: 2, seed: 99, maxIter: 0, backend });
    const random = new Random(99);
    expect(result.W.data).toEqual(random.fill(new Float64Array(6)));
    expect(result.H.data).toEqual(random.fill(new Float64Array(8)));
  });

  run('reconstruct() is W·H', () => {
    const V = randomMatrix(5, 7, 15);
    const result = nmfSync(V, { rank: 2, seed: 1, maxIter: 10, backend });
    const approx = result.reconstruct();
    expect(approx.rows).toBe(5);
    expect(approx.cols).toBe(7);
    let e = 0;
    for (let k = 0; k < 5; k++) {
      for (let n = 0; n < 7; n++) {
        let s = 0;
        for (let r = 0; r < 2; r++) s += result.W.data[k * 2 + r]! * result.H.data[r * 7 + n]!;
        e = Math.max(e, Math.abs(s - approx.data[k * 7 + n]!));
      }
    }
    expect(e).toBeLessThan(1e-14);
  });
});

/** Native and wasm results of the same fit agree to 1e-9 in every output. */
function expectAgree(a: NmfResult, b: NmfResult): void {
  expect(relativeError(a.W.data, b.W.data)).toBeLessThan(1e-9);
  expect(relativeError(a.H.data, b.H.data)).toBeLessThan(1e-9);
  expect(relativeError(a.hChange, b.hChange)).toBeLessThan(1e-9);
  expect(relativeError(a.wChange, b.wChange)).toBeLessThan(1e-9);
  expect(relativeError([a.spectralError], [b.spectralError])).toBeLessThan(1e-9);
  expect(relativeError([a.frobeniusError], [b.frobeniusError])).toBeLessThan(1e-9);
}

function frobenius(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s);
}

describe('native and wasm agree', () => {
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [1, 17, 3],
    [23, 1, 2],
    [7, 5, 9],
    [33, 65, 4],
    [64, 64, 8],
    [129, 80, 5],
    [200, 150, 17],
  ];
  it.skipIf(!both).each(shapes)('%i×%i rank %i, 60 iterations from the same seed', (K, N, R) => {
    const V = randomMatrix(K, N, K * 1000 + N);
    const options: NmfOptions = { rank: R, seed: 5, maxIter: 60, tol: 0 };
    const a = nmfSync(V, { ...options, backend: 'native' });
    const b = nmfSync(V, { ...options, backend: 'wasm' });
    expectAgree(a, b);
  });

  // The fused sweep (FitSpec.blockRows, not a user option): blocks of 128 rows (600×500: the last one 88), and
  // others that give several blocks and a remainder block.
  const fusedShapes: [number, number, number, number][] = [
    [600, 500, 12, 128],
    [600, 500, 12, 64],
    [129, 80, 5, 7],
    [200, 150, 17, 16],
    [23, 1, 2, 5],
  ];
  it.skipIf(!both).each(fusedShapes)('%i×%i rank %i, fused kernel with blockRows %i, 60 iterations', (K, N, R, blockRows) => {
    const V = randomMatrix(K, N, K * 1000 + N);
    const problem = (backend: 'native' | 'wasm') => {
      const plan = planFit(V, { rank: R, seed: 5, maxIter: 60, tol: 0, backend });
      return { plan, problem: plan.problemFor(0, { blockRows: () => blockRows, teamSize: () => 1 }, 1).problem };
    };
    const run = (backend: 'native' | 'wasm') => {
      const { plan, problem: fitProblem } = problem(backend);
      expect(fitProblem.spec.blockRows).toBe(blockRows);
      const fit = chooseBackend(backend).createFit(fitProblem);
      return buildResult(plan, driveSync(fit, plan), backend);
    };
    const a = run('native');
    const b = run('wasm');
    expectAgree(a, b);
    // And each agrees with its own plain kernel (wasm bit for bit: its block sums resume the same running sums).
    const plain = nmfSync(V, { rank: R, seed: 5, maxIter: 60, tol: 0, backend: 'wasm' });
    expect(b.W.data).toEqual(plain.W.data);
    expect(b.hChange).toEqual(plain.hChange);
    const nativePlain = nmfSync(V, { rank: R, seed: 5, maxIter: 60, tol: 0, backend: 'native' });
    expect(relativeError(a.W.data, nativePlain.W.data)).toBeLessThan(1e-12);
  });

  it.skipIf(!both)('the automatic kernel choice: fused from V ≥ 4 MiB (wasm: unless a slab of WᵀV overflows L2); they agree', () => {
    // 1100×1000 float64 is 8.8 MB: native sweeps it in blocks of 65 rows (the last one 60), wasm in blocks of 64.
    const V = randomMatrix(1100, 1000, 77);
    const options: NmfOptions = { rank: 4, seed: 3, maxIter: 30, tol: 0 };
    // Reads of V per iteration: 1 when the facade resolves blocks of the fused sweep for this backend, else 2.
    const passes = (backend: 'native' | 'wasm', matrix: typeof V, rank = 4, dtype: 'float64' | 'float32' = 'float64') => {
      const plan = planFit(matrix, { ...options, rank, dtype });
      // On one thread: a team splits the iteration that reads V twice instead (src/backends/block-rows.ts).
      return plan.problemFor(0, chooseBackend(backend), 1).problem.spec.blockRows > 0 ? 1 : 2;
    };
    expect(passes('native', V)).toBe(1);
    expect(passes('wasm', V)).toBe(1);
    expect(passes('native', randomMatrix(300, 200, 1))).toBe(2);
    expect(passes('wasm', randomMatrix(300, 200, 1))).toBe(2);
    // R × min(N, 2048) float64 entries of WᵀV = 1 MiB > 512 KiB: wasm keeps the plain kernel, native sweeps.
    const wideRank = randomMatrix(600, 2100, 2);
    expect(passes('wasm', wideRank, 64)).toBe(2);
    expect(passes('wasm', wideRank, 64, 'float32')).toBe(1);
    expect(passes('native', wideRank, 64)).toBe(1);
    const a = nmfSync(V, { ...options, backend: 'native' });
    const b = nmfSync(V, { ...options, backend: 'wasm' });
    expectAgree(a, b);
  });

  it.skipIf(!both)('the same seed gives the same W0 and H0 on both', () => {
    const V = loadFixture('toy-4x8-r2').input.V;
    const a = nmfSync(V, { rank: 3, seed: 2024, maxIter: 0, backend: 'native' });
    const b = nmfSync(V, { rank: 3, seed: 2024, maxIter: 0, backend: 'wasm' });
    expect(a.W.data).toEqual(b.W.data);
    expect(a.H.data).toEqual(b.H.data);
  });
});

describe('backend choice', () => {
  const saved = process.env.NMFKIT_BACKEND;
  afterEach(() => {
    if (saved === undefined) delete process.env.NMFKIT_BACKEND;
    else process.env.NMFKIT_BACKEND = saved;
  });

  it('auto uses native when it loaded, else wasm, and says so', () => {
    delete process.env.NMFKIT_BACKEND;
    const info = backendInfo();
    expect(info.chosenBy).toBe('auto');
    expect(info.backend).toBe(info.native.loaded ? 'native' : 'wasm');
    const result = nmfSync(
      [
        [1, 2],
        [3, 4],
      ],
      { rank: 1, seed: 1, maxIter: 2 },
    );
    expect(result.backend).toBe(info.backend);
    if (info.native.loaded) {
      expect(info.native.blas.vendor).toMatch(/OpenBLAS|Accelerate/);
      expect(info.native.blas.threads).toBeGreaterThanOrEqual(1);
    } else {
      expect(info.native.reason.length).toBeGreaterThan(0);
      expect(info.native.fix.length).toBeGreaterThan(0);
    }
    expect(info.wasm.loaded).toBe(true);
    if (info.wasm.loaded) expect(info.wasm.simd).toBe(true);
  });

  it('NMFKIT_BACKEND=wasm overrides the automatic choice', () => {
    process.env.NMFKIT_BACKEND = 'wasm';
    expect(backendInfo()).toMatchObject({ backend: 'wasm', chosenBy: 'NMFKIT_BACKEND' });
    expect(
      nmfSync(
        [
          [1, 2],
          [3, 4],
        ],
        { rank: 1, seed: 1, maxIter: 2 },
      ).backend,
    ).toBe('wasm');
  });

  it.skipIf(!backendAvailable('native'))('NMFKIT_BACKEND=native selects native; an explicit option still wins', () => {
    process.env.NMFKIT_BACKEND = 'native';
    expect(
      nmfSync(
        [
          [1, 2],
          [3, 4],
        ],
        { rank: 1, seed: 1, maxIter: 2 },
      ).backend,
    ).toBe('native');
    expect(
      nmfSync(
        [
          [1, 2],
          [3, 4],
        ],
        { rank: 1, seed: 1, maxIter: 2, backend: 'wasm' },
      ).backend,
    ).toBe('wasm');
  });

  it('an unknown NMFKIT_BACKEND is an error naming the value', () => {
    process.env.NMFKIT_BACKEND = 'cuda';
    expect(() => nmfSync([[1]], { rank: 1 })).toThrow(/NMFKIT_BACKEND must be 'native', 'wasm' or 'auto', got "cuda"/);
  });
});
