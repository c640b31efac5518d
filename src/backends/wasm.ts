/**
 * The WebAssembly backend: AssemblyScript kernels (assembly/, built to wasm/nmfkit.wasm with f64x2 SIMD) behind
 * the {@link Backend} contract.
 *
 * This file imports no Node built-ins, so a browser entry can reuse it: it gets a compiled
 * `WebAssembly.Module` however it likes (see ./wasm-node.ts for Node) and calls {@link createWasmBackend}.
 *
 * Memory: one instance per backend, with its own linear memory. Each fit takes one arena (header + every buffer
 * it needs, laid out by assembly/fit.ts) from a JavaScript-side free list (./wasm-memory.ts); `dispose` gives
 * it back. Views on the memory are made afresh for every copy, since growing the memory detaches old ones.
 */

import type {
  AsyncKernelFit,
  Backend,
  BackendDetails,
  FitProblem,
  KernelFit,
  KernelNormalize,
  KernelResult,
} from '../contract.js';
import { WasmHeap } from './wasm-memory.js';

/** The module's exports (assembly/index.ts). Pointers are u32 but arrive as i32: read them with `>>> 0`. */
interface NmfkitExports {
  readonly memory: WebAssembly.Memory;
  heapBase(): number;
  fit_runChunk(): number;
  fit_arenaBytes(K: number, N: number, R: number): number;
  fit_init(fit: number, K: number, N: number, R: number, eps: number, tol: number): void;
  fit_ptrV(fit: number): number;
  fit_ptrW(fit: number): number;
  fit_ptrH(fit: number): number;
  fit_ptrHChanges(fit: number): number;
  fit_ptrWChanges(fit: number): number;
  fit_run(fit: number, steps: number, hOut: number, wOut: number): number;
  fit_converged(fit: number): number;
  fit_finish(fit: number, normalize: number, work: number, m: number): number;
  fit_frobeniusError(fit: number): number;
  fit_lanczosWorkBytes(K: number, N: number, m: number): number;
}

/** Names every export the loader needs, to fail early and clearly on a stale or foreign .wasm file. */
const REQUIRED_EXPORTS = [
  'memory', 'heapBase', 'fit_runChunk', 'fit_arenaBytes', 'fit_init', 'fit_ptrV', 'fit_ptrW', 'fit_ptrH',
  'fit_ptrHChanges', 'fit_ptrWChanges', 'fit_run', 'fit_converged', 'fit_finish', 'fit_frobeniusError',
  'fit_lanczosWorkBytes',
] as const;

/** Largest value of K, N or R: they are passed as i32. */
const MAX_DIM = 2 ** 31 - 1;
/**
 * Lanczos steps the first workspace of `finish` has room for, for a residual whose smaller side is n: the
 * iteration needs ~30 steps at n = 40 and ~80 at n = 1025 on noise-like residuals (the hard case), so
 * max(64, 4·√n) rarely falls short; when it does the room is doubled and Lanczos starts over (deterministic, so
 * the result does not depend on the room). The workspace is ≈ 8·m·n bytes (the Lanczos vectors; the rest is
 * O(m + K + N)): small beside the residual's 8·K·N.
 */
function firstLanczosSteps(n: number): number {
  return Math.min(n, Math.max(64, 4 * Math.ceil(Math.sqrt(n))));
}

const SIMD_HINT =
  'nmfkit\'s WebAssembly module uses 128-bit SIMD (v128 / f64x2) and bulk memory; this runtime does not ' +
  'support them (Node.js ≥ 16.4, Chrome ≥ 91, Firefox ≥ 89, Safari ≥ 16.4 do)';

/**
 * Compiles the module's bytes, with a clear error when the runtime rejects them (no SIMD support is the usual
 * reason) instead of a bare CompileError.
 */
export function compileWasmModule(bytes: BufferSource): WebAssembly.Module {
  if (!WebAssembly.validate(bytes)) {
    throw new Error(`nmfkit: cannot load the WebAssembly backend: the module does not validate. ${SIMD_HINT}.`);
  }
  try {
    return new WebAssembly.Module(bytes);
  } catch (cause) {
    throw new Error(`nmfkit: cannot compile the WebAssembly backend. ${SIMD_HINT}.`, { cause });
  }
}

/**
 * How the backend makes fits that run off the calling thread. The kernels themselves are synchronous, so this
 * comes from the host: Node passes its worker-thread pool (./wasm-node.ts), a browser entry its Web Workers.
 */
export type AsyncFitFactory = (problem: FitProblem) => AsyncKernelFit;

/**
 * Instantiates the compiled module (synchronously) and returns the 'wasm' backend on it. Without
 * `createAsyncFit`, the backend's createAsyncFit throws (there are no threads to run on).
 */
export function createWasmBackend(module: WebAssembly.Module, createAsyncFit?: AsyncFitFactory): Backend {
  const instance = new WebAssembly.Instance(module, {});
  const exports = instance.exports as Record<string, unknown>;
  for (const name of REQUIRED_EXPORTS) {
    if (exports[name] === undefined) {
      throw new Error(`nmfkit: the WebAssembly module lacks the export '${name}' (stale wasm/nmfkit.wasm? run npm run build:wasm)`);
    }
  }
  const wasm = exports as unknown as NmfkitExports;
  const heap = new WasmHeap(wasm.memory, wasm.heapBase() >>> 0);
  const runChunk = wasm.fit_runChunk();
  // A fit that is collected without dispose() gives its arena back all the same.
  const leaks = new FinalizationRegistry<number>((arena) => heap.free(arena));

  return {
    name: 'wasm',
    createFit(problem: FitProblem): KernelFit {
      return new WasmFit(wasm, heap, runChunk, leaks, problem);
    },
    createAsyncFit(problem: FitProblem): AsyncKernelFit {
      if (!createAsyncFit) {
        throw new Error('nmfkit: this wasm backend was created without a way to run fits off the calling thread');
      }
      return createAsyncFit(problem);
    },
    details(): BackendDetails {
      return { simd: true, memoryBytes: heap.memoryBytes };
    },
  };
}

function checkDimension(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1 || value > MAX_DIM) {
    throw new RangeError(`nmfkit wasm: ${name} must be an integer in [1, 2^31 − 1], got ${value}`);
  }
}

function checkLength(name: string, array: Float64Array, expected: number, shape: string): void {
  if (!(array instanceof Float64Array) || array.length !== expected) {
    throw new RangeError(`nmfkit wasm: ${name} must be a Float64Array of ${shape} = ${expected} entries`);
  }
}

type FitState = 'ready' | 'finishing' | 'finished' | 'disposed';

class WasmFit implements KernelFit {
  readonly #wasm: NmfkitExports;
  readonly #heap: WasmHeap;
  readonly #runChunk: number;
  readonly #leaks: FinalizationRegistry<number>;
  readonly #K: number;
  readonly #N: number;
  readonly #R: number;
  readonly #arena: number;
  readonly #token = {};
  #state: FitState = 'ready';

  constructor(
    wasm: NmfkitExports,
    heap: WasmHeap,
    runChunk: number,
    leaks: FinalizationRegistry<number>,
    problem: FitProblem,
  ) {
    const { rows: K, cols: N, rank: R } = problem;
    checkDimension('rows (K)', K);
    checkDimension('cols (N)', N);
    checkDimension('rank (R)', R);
    // Every size in Number arithmetic (exact below 2^53) before anything is looked at or allocated.
    const what = `a ${K}×${N} rank-${R} fit (V alone is ${K * N * 8} bytes)`;
    const bytes = wasm.fit_arenaBytes(K, N, R);
    if (K * N * 8 >= 2 ** 32 || K * R * 8 >= 2 ** 32 || R * N * 8 >= 2 ** 32 || !(bytes < 2 ** 32)) {
      throw new RangeError(
        `nmfkit wasm: ${what} needs ${bytes} bytes of linear memory, more than the 4 GiB a 32-bit WebAssembly ` +
          'memory can hold',
      );
    }
    checkLength('V', problem.V, K * N, `K×N = ${K}×${N}`);
    checkLength('W', problem.W, K * R, `K×R = ${K}×${R}`);
    checkLength('H', problem.H, R * N, `R×N = ${R}×${N}`);
    this.#wasm = wasm;
    this.#heap = heap;
    this.#runChunk = runChunk;
    this.#leaks = leaks;
    this.#K = K;
    this.#N = N;
    this.#R = R;
    this.#arena = heap.alloc(bytes, what);
    wasm.fit_init(this.#arena, K, N, R, problem.eps, problem.tol);
    this.#view(wasm.fit_ptrV(this.#arena), K * N).set(problem.V);
    this.#view(wasm.fit_ptrW(this.#arena), K * R).set(problem.W);
    this.#view(wasm.fit_ptrH(this.#arena), R * N).set(problem.H);
    leaks.register(this, this.#arena, this.#token);
  }

  /** A view of `length` doubles at `ptr`, on the memory's current buffer. */
  #view(ptr: number, length: number): Float64Array {
    return new Float64Array(this.#wasm.memory.buffer, ptr >>> 0, length);
  }

  #checkUsable(method: string): void {
    if (this.#state === 'disposed') throw new Error(`nmfkit wasm: ${method}() on a disposed fit`);
    if (method === 'run' && this.#state !== 'ready') throw new Error('nmfkit wasm: run() after finish()');
    if (method === 'finish' && this.#state === 'finished') throw new Error('nmfkit wasm: finish() called twice');
  }

  run(steps: number, hChange: Float64Array, wChange: Float64Array, offset: number): number {
    this.#checkUsable('run');
    if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`nmfkit wasm: steps must be an integer ≥ 1, got ${steps}`);
    if (!Number.isInteger(offset) || offset < 0) throw new RangeError(`nmfkit wasm: offset must be an integer ≥ 0, got ${offset}`);
    if (offset + steps > hChange.length || offset + steps > wChange.length) {
      throw new RangeError(
        `nmfkit wasm: change arrays of lengths ${hChange.length} and ${wChange.length} cannot take ${steps} ` +
          `entries at offset ${offset}`,
      );
    }
    const wasm = this.#wasm;
    const fit = this.#arena;
    const hPtr = wasm.fit_ptrHChanges(fit) >>> 0;
    const wPtr = wasm.fit_ptrWChanges(fit) >>> 0;
    let done = 0;
    while (done < steps) {
      const chunk = Math.min(steps - done, this.#runChunk);
      const ran = wasm.fit_run(fit, chunk, hPtr, wPtr);
      hChange.set(this.#view(hPtr, ran), offset + done);
      wChange.set(this.#view(wPtr, ran), offset + done);
      done += ran;
      if (wasm.fit_converged(fit)) break;
    }
    return done;
  }

  finish(normalize: KernelNormalize): KernelResult {
    this.#checkUsable('finish');
    if (normalize !== 'none' && normalize !== 'max') {
      throw new RangeError(`nmfkit wasm: normalize must be 'none' or 'max', got ${String(normalize)}`);
    }
    const wasm = this.#wasm;
    const fit = this.#arena;
    const K = this.#K;
    const N = this.#N;
    const R = this.#R;
    const n = Math.min(K, N);
    // From here on V holds the residual: no more run() calls. A finish() that threw (memory for the Lanczos
    // workspace refused) may be called again and picks up where it stopped.
    this.#state = 'finishing';
    let spectralError = -1;
    for (let m = firstLanczosSteps(n); ; m = Math.min(n, 2 * m)) {
      const bytes = wasm.fit_lanczosWorkBytes(K, N, m);
      if (!(bytes < 2 ** 32)) {
        throw new RangeError(
          `nmfkit wasm: the spectral norm of a ${K}×${N} residual needs a ${bytes}-byte Lanczos workspace ` +
            `(${m} steps), more than the 4 GiB a 32-bit WebAssembly memory can hold`,
        );
      }
      const work = this.#heap.alloc(bytes, `the Lanczos workspace (${m} steps) of a ${K}×${N} residual`);
      try {
        spectralError = wasm.fit_finish(fit, normalize === 'max' ? 1 : 0, work, m);
      } finally {
        this.#heap.free(work);
      }
      if (spectralError >= 0 || m >= n) break;
    }
    const result: KernelResult = {
      W: this.#view(wasm.fit_ptrW(fit), K * R).slice(),
      H: this.#view(wasm.fit_ptrH(fit), R * N).slice(),
      spectralError,
      frobeniusError: wasm.fit_frobeniusError(fit),
    };
    this.#state = 'finished';
    return result;
  }

  dispose(): void {
    if (this.#state === 'disposed') return;
    this.#state = 'disposed';
    this.#leaks.unregister(this.#token);
    this.#heap.free(this.#arena);
  }
}
