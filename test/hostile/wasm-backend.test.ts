/**
 * Below the facade: the wasm backend (src/backends/wasm.ts), called directly, refuses sizes beyond its 4 GiB memory
 * before anything is allocated, and dimensions that are not positive integers or arrays of the wrong length.
 */
import { describe, expect, it } from 'vitest';
import { compileWasmFileSync, WASM_URL } from '../../src/backends/wasm-node.js';
import { createWasmBackend } from '../../src/backends/wasm.js';
import { backendAvailable } from '../support/helpers.js';
import { catchError } from './hostile-values.js';

describe.runIf(backendAvailable('wasm'))('the wasm backend (src/backends/wasm.ts), called directly', () => {
  const backend = createWasmBackend(compileWasmFileSync(WASM_URL)!);
  const problem = (rows: number, cols: number, rank: number) => ({
    rows,
    cols,
    rank,
    V: new Float64Array(0),
    W: new Float64Array(0),
    H: new Float64Array(0),
    eps: 2 ** -23,
    tol: 0,
  });

  it('sizes beyond its 4 GiB memory are a RangeError before anything is allocated', () => {
    const before = backend.details().memoryBytes!;
    for (const [K, N, R] of [[65536, 65536, 1], [1, 1, 2 ** 31 - 1], [1, 1, 40000], [2 ** 31 - 1, 2 ** 31 - 1, 2 ** 31 - 1], [30000, 30000, 1]]) {
      const error = catchError(() => backend.createFit(problem(K!, N!, R!)));
      expect(error, `${K}×${N} rank ${R}`).toBeInstanceOf(RangeError);
      expect((error as Error).message).toMatch(/4 GiB|memory|too large/);
    }
    expect(backend.details().memoryBytes).toBe(before);
  });

  it('dimensions that are not positive integers, and arrays of the wrong length', () => {
    for (const [K, N, R] of [[0, 1, 1], [1, -1, 1], [1, 1, 1.5], [NaN, 1, 1], [2 ** 31, 1, 1]]) {
      expect(() => backend.createFit(problem(K!, N!, R!))).toThrow(RangeError);
    }
    expect(() => backend.createFit({ ...problem(2, 2, 1), V: new Float64Array(3), W: new Float64Array(2), H: new Float64Array(2) })).toThrow(RangeError);
  });
});
