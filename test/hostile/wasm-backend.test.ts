/**
 * Below the facade: the wasm backend (src/backends/wasm.ts), called directly, refuses sizes beyond its 4 GiB memory
 * before anything is allocated, specification slots that encode no valid value, and arrays of the wrong length.
 * It checks what memory safety needs; the values themselves are the facade's to validate.
 */
import { describe, expect, it } from 'vitest';
import type { FitProblem } from '../../src/contract.js';
import { compileWasmFileSync, WASM_URL } from '../../src/backends/wasm-node.js';
import { createWasmBackend } from '../../src/backends/wasm.js';
import type { FitSpec } from '../../src/spec.js';
import { testSpec } from '../support/fit-spec.js';
import { backendAvailable } from '../support/helpers.js';
import { catchError, coded } from './hostile-values.js';

describe.runIf(backendAvailable('wasm'))('the wasm backend (src/backends/wasm.ts), called directly', () => {
  const backend = createWasmBackend(compileWasmFileSync(WASM_URL)!);
  const problem = (rows: number, cols: number, rank: number, changes: Partial<FitSpec> = {}): FitProblem => ({
    spec: testSpec(rows, cols, rank, { tol: 0, ...changes }),
    V: new Float64Array(0),
    W: new Float64Array(0),
    H: new Float64Array(0),
    mask: null,
    fixedColumnsW: new Uint8Array(0),
  });
  const sized = (changes: Partial<FitSpec> = {}): FitProblem => ({
    ...problem(2, 2, 1, changes),
    V: new Float64Array(4),
    W: new Float64Array(2),
    H: new Float64Array(2),
    fixedColumnsW: new Uint8Array(1),
  });

  /** Asserts that `f` throws a `kind` whose message matches `message`, with a code of nmfkit's. */
  const refused = (
    f: () => unknown,
    kind: typeof RangeError | typeof TypeError | typeof Error,
    message: RegExp = /./,
    context = String(message),
  ): void => {
    const error = catchError(f);
    expect(error, context).toBeInstanceOf(kind);
    expect((error as Error).message, context).toMatch(message);
    coded(error, context);
  };

  it('an NMFD specification: W of T·K·R entries, T in [1, cols], float64 only, no mask', () => {
    const nmfd = (changes: Partial<FitSpec> = {}): FitProblem =>
      sized({ solver: 'nmfd', beta: 1, spectralError: false, templateFrames: 2, ...changes });
    refused(() => backend.createFit(nmfd()), RangeError, /W must be a Float64Array of K×R×T = 2×1×2 = 4/);
    refused(() => backend.createFit({ ...nmfd({ templateFrames: 3 }), W: new Float64Array(6) }), RangeError, /templateFrames/);
    refused(() => backend.createFit({ ...nmfd({ dtype: 'float32' }), W: new Float64Array(4) }), RangeError, /dtype/);
    refused(
      () => backend.createFit({ ...nmfd({ masked: true }), W: new Float64Array(4), mask: new Float64Array(4) }),
      RangeError,
      /masked/,
    );
    refused(() => backend.createFit({ ...sized({ templateFrames: 2 }), W: new Float64Array(4) }), RangeError, /templateFrames/);
    const fit = backend.createFit({
      ...nmfd(),
      V: new Float64Array(4).fill(1),
      W: new Float64Array(4).fill(0.25),
      H: new Float64Array(2).fill(1),
    });
    expect(fit.run(2, new Float64Array(2), new Float64Array(2), 0)).toBe(2);
    expect(fit.finish().W.length).toBe(4);
    fit.dispose();
  });

  it('sizes beyond its 4 GiB memory are a RangeError before anything is allocated', () => {
    const before = backend.details().memoryBytes!;
    for (const [K, N, R] of [
      [65536, 65536, 1],
      [1, 1, 2 ** 31 - 1],
      [1, 1, 40000],
      [2 ** 31 - 1, 2 ** 31 - 1, 2 ** 31 - 1],
      [30000, 30000, 1],
    ]) {
      const error = catchError(() => backend.createFit(problem(K!, N!, R!)));
      expect(error, `${K}×${N} rank ${R}`).toBeInstanceOf(RangeError);
      expect((error as Error).message).toMatch(/4 GiB|memory|too large/);
      coded(error, `${K}×${N} rank ${R}`);
    }
    refused(() => backend.createFit(sized({ blockRows: 2 ** 31 - 1, rank: 1 })), RangeError);
    expect(backend.details().memoryBytes).toBe(before);
  });

  it('a CSR pattern: what memory safety needs is checked (offsets from 0 to nnz, never decreasing, indices in range)', () => {
    // A 2×3 V with 3 stored entries: row 0 {2}, row 1 {0, 1}.
    const csr = (indptr: unknown, indices: unknown, V = new Float64Array(3).fill(1)): FitProblem => ({
      ...problem(2, 3, 2, { storage: 'csr', nnz: 3, masked: true }),
      V,
      W: new Float64Array(4).fill(1),
      H: new Float64Array(6).fill(1),
      fixedColumnsW: new Uint8Array(2),
      pattern: { indptr, indices } as never,
    });
    backend.createFit(csr(Int32Array.of(0, 1, 3), Int32Array.of(2, 0, 1))).dispose();
    refused(() => backend.createFit({ ...csr(null, null), pattern: null }), RangeError, /indptr and indices must be Int32Arrays/);
    refused(() => backend.createFit(csr(Int32Array.of(0, 1, 3), Uint32Array.of(2, 0, 1))), RangeError, /must be Int32Arrays/);
    refused(() => backend.createFit(csr(Int32Array.of(0, 3), Int32Array.of(2, 0, 1))), RangeError, /lengths must be K \+ 1 and nnz/);
    refused(() => backend.createFit(csr(Int32Array.of(1, 1, 3), Int32Array.of(2, 0, 1))), RangeError, /indptr must run from 0 to nnz/);
    refused(() => backend.createFit(csr(Int32Array.of(0, 4, 3), Int32Array.of(2, 0, 1))), RangeError, /indptr decreases at 2/);
    refused(() => backend.createFit(csr(Int32Array.of(0, 1, 3), Int32Array.of(3, 0, 1))), RangeError, /indices\[0\] is out of range/);
    refused(() => backend.createFit(csr(Int32Array.of(0, 1, 3), Int32Array.of(2, 0, 1), new Float64Array(6))), RangeError, /V must be/);
    refused(
      () => backend.createFit({ ...csr(null, null), spec: testSpec(2, 3, 2, { storage: 'csr', nnz: 2 ** 31 }) }),
      RangeError,
      /spec\.nnz must be at most/,
    );
  });

  it('dimensions that are not positive integers, slots that encode nothing, and arrays of the wrong length', () => {
    for (const [K, N, R] of [
      [0, 1, 1],
      [1, -1, 1],
      [1, 1, 1.5],
      [NaN, 1, 1],
      [2 ** 31, 1, 1],
    ]) {
      refused(() => backend.createFit(problem(K!, N!, R!)), RangeError, /./, `${K}×${N} rank ${R}`);
    }
    const bad: Partial<Record<keyof FitSpec, unknown>>[] = [
      { dtype: 'float16' },
      { solver: 'cd' },
      { stop: 'never' },
      { normalize: 'l3' },
      { errorEvery: 0 },
      { errorEvery: 2.5 },
      { blockRows: -1 },
      { blockRows: 2 ** 40 },
    ];
    for (const changes of bad) {
      refused(() => backend.createFit(sized(changes as Partial<FitSpec>)), RangeError, /./, JSON.stringify(changes));
    }
    refused(() => backend.createFit({ ...sized(), V: new Float64Array(3) }), RangeError, /V must be a Float64Array or Float32Array of K×N/);
    refused(() => backend.createFit({ ...sized(), V: new Float32Array(3) }), RangeError, /V must be a Float64Array or Float32Array of K×N/);
    refused(
      () => backend.createFit({ ...sized(), V: new Int32Array(sized().V.length) as unknown as Float64Array }),
      RangeError,
      /V must be a Float64Array or Float32Array of K×N/,
    );
    refused(
      () => backend.createFit({ ...sized(), W: new Float32Array(sized().W.length) as unknown as Float64Array }),
      RangeError,
      /W must be a Float64Array of K×R/,
    );
    refused(() => backend.createFit({ ...sized({ masked: true }) }), RangeError, /mask must be a Float64Array/);
    refused(
      () => backend.createFit({ ...sized(), fixedColumnsW: new Uint8Array(2) }),
      RangeError,
      /fixedColumnsW must be a Uint8Array of R = 1/,
    );
    // A valid problem still runs after all of this.
    const fit = backend.createFit({ ...sized(), V: Float64Array.of(1, 2, 3, 4), W: Float64Array.of(1, 1), H: Float64Array.of(1, 1) });
    expect(fit.run(3, new Float64Array(3), new Float64Array(3), 0)).toBe(3);
    expect(fit.finish().frobeniusError).toBeGreaterThanOrEqual(0);
    // Used after finish and after dispose: an Error, with a code.
    refused(() => fit.run(1, new Float64Array(1), new Float64Array(1), 0), Error, /after finish/);
    fit.dispose();
    refused(() => fit.finish(), Error, /disposed/);
  });
});
