/**
 * A Float32Array V: a synchronous single fit without a mask borrows it as it is (no widened copy in between), and
 * its backend copies it into the fit's own memory in the fit's dtype. That must change nothing but the time: the
 * result is, to the bit, the one a Float64Array holding the same values gives — on both backends, for float64 and
 * float32 fits, for MU, HALS and KL, on teams of one and two threads — the caller's array is left as it was, and
 * bad entries are named as in any V. Where the fit must own a copy (an async fit, a mask, restarts, a
 * SharedArrayBuffer another thread may write) V is copied into a Float64Array as before.
 */
import { describe, expect, it } from 'vitest';
import { chooseBackend } from '../../src/entry/node.js';
import { nmf, nmfSync, type NmfOptions, type NmfResult } from '../../src/index.js';
import { planFit } from '../../src/options.js';
import { BACKENDS, backendAvailable } from '../support/helpers.js';

const K = 23;
const N = 31;

/** Entries that float32 holds exactly, with fractional parts and a few zeros, from a small LCG. */
function float32Entries(seed: number): Float32Array {
  const out = new Float32Array(K * N);
  let s = seed >>> 0;
  for (let k = 0; k < out.length; k++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[k] = s % 7 === 0 ? 0 : (s >>> 8) / 2 ** 20;
  }
  return out;
}

/** Everything a result reports, for exact comparison. */
function outcome(r: NmfResult): unknown {
  return {
    W: Array.from(r.W.data),
    H: Array.from(r.H.data),
    hChange: Array.from(r.hChange),
    wChange: Array.from(r.wChange),
    iterations: r.iterations,
    spectralError: r.spectralError,
    frobeniusError: r.frobeniusError,
    objective: r.objective,
  };
}

const SOLVERS: Record<string, Partial<NmfOptions>> = {
  mu: {},
  hals: { solver: 'hals' },
  kl: { loss: 'kl' },
};

describe.each(BACKENDS.filter(backendAvailable))('a Float32Array V on %s', (backend) => {
  const threadCounts = backend === 'native' ? [1, 2] : [1];

  it.each(['float64', 'float32'] as const)('gives the bits a Float64Array of the same values gives (dtype %s)', (dtype) => {
    for (const [name, solver] of Object.entries(SOLVERS)) {
      for (const threads of threadCounts) {
        const V32 = float32Entries(7);
        const before = V32.slice();
        const options: NmfOptions = { rank: 3, seed: 11, maxIter: 25, tol: 0, backend, dtype, threads, ...solver };
        const borrowed = nmfSync({ rows: K, cols: N, data: V32 }, options);
        const copied = nmfSync({ rows: K, cols: N, data: Float64Array.from(V32) }, options);
        expect(outcome(borrowed), `${name}, ${threads} thread(s)`).toEqual(outcome(copied));
        expect(borrowed.iterations).toBe(25);
        // The caller's array: untouched, still its own.
        expect(V32).toEqual(before);
        expect(V32.buffer.byteLength).toBe(K * N * 4);
      }
    }
  });

  it('reads a view that starts inside its buffer, and agrees with the async fit, which copies', async () => {
    const whole = new Float32Array(K * N + 5);
    whole.set(float32Entries(3), 5);
    const view = whole.subarray(5);
    const options: NmfOptions = { rank: 2, seed: 4, maxIter: 15, tol: 0, backend };
    const sync = nmfSync({ rows: K, cols: N, data: view }, options);
    const async = await nmf({ rows: K, cols: N, data: view }, options);
    expect(outcome(sync)).toEqual(outcome(async));
    expect(Array.from(whole.subarray(0, 5))).toEqual([0, 0, 0, 0, 0]);
  });

  it('names a bad entry of a borrowed Float32Array as of any V', () => {
    for (const bad of [NaN, -1, Infinity]) {
      const data = float32Entries(5);
      data[40] = bad;
      expect(() => nmfSync({ rows: K, cols: N, data }, { rank: 2, backend })).toThrow(
        new RegExp(`^V must be finite and ≥ 0, but V\\.data\\[40\\] \\(row 1, column 9\\) is ${String(bad)}`),
      );
    }
  });
});

describe('which fits borrow a Float32Array V', () => {
  const backend = chooseBackend(backendAvailable('native') ? 'native' : 'wasm');
  const problemV = (data: Float32Array, options: NmfOptions, mode: 'sync' | 'async'): Float64Array | Float32Array =>
    planFit({ rows: K, cols: N, data }, { rank: 2, seed: 1, ...options }, { mode }).problemFor(0, backend, 1).problem.V;

  it('a synchronous single fit without a mask hands the caller’s memory to the backend', () => {
    const V32 = float32Entries(9);
    const V = problemV(V32, {}, 'sync');
    expect(V).toBeInstanceOf(Float32Array);
    expect(V.buffer).toBe(V32.buffer);
  });

  it('an async fit, a fit with restarts or a mask, and a shared array get a Float64Array copy', () => {
    const V32 = float32Entries(9);
    const shared = new Float32Array(new SharedArrayBuffer(K * N * 4));
    shared.set(V32);
    const mask = { rows: K, cols: N, data: new Float64Array(K * N).fill(1) };
    for (const [what, V] of [
      ['async', problemV(V32, {}, 'async')],
      ['restarts', problemV(V32, { restarts: 2 }, 'sync')],
      ['mask', problemV(V32, { mask }, 'sync')],
      ['shared', problemV(shared, {}, 'sync')],
    ] as const) {
      expect(V, what).toBeInstanceOf(Float64Array);
      expect(V.buffer, what).not.toBe(V32.buffer);
      expect(Array.from(V), what).toEqual(Array.from(V32));
    }
  });
});
