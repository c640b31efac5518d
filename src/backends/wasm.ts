/**
 * The WebAssembly backend: AssemblyScript kernels (assembly/, built to wasm/nmfkit.wasm with f64x2 and f32x4
 * SIMD) behind the {@link Backend} contract.
 *
 * This file imports no Node built-ins, so the WebAssembly-only entry reuses it: each host gets a compiled
 * `WebAssembly.Module` however it likes (./wasm-node.ts reads the file; ./wasm-web.ts fetches it or takes a
 * module the caller compiled) and calls {@link createWasmBackend} or {@link instantiateWasmBackend}.
 *
 * Memory: one instance per backend, with its own linear memory. Each fit takes one arena (header + every buffer
 * it needs, laid out by assembly/fit.ts) from a JavaScript-side free list (./wasm-memory.ts); `dispose` gives
 * it back. Views on the memory are made afresh for every copy, since growing the memory detaches old ones. An
 * optional cap (`maxMemoryBytes`) bounds the linear memory: a fit that would need more is refused with a
 * RangeError naming the sizes before anything is allocated.
 */

import type {
  AsyncKernelFit,
  Backend,
  BackendDetails,
  FitAlgorithm,
  FitProblem,
  KernelFit,
  KernelNormalize,
  KernelResult,
} from '../contract.js';
import { formatBytes, WasmHeap } from './wasm-memory.js';

/** The module's exports (assembly/index.ts). Pointers are u32 but arrive as i32: read them with `>>> 0`. */
interface NmfkitExports {
  readonly memory: WebAssembly.Memory;
  heapBase(): number;
  fit_runChunk(): number;
  fit_chooseBlockRows(K: number, N: number, R: number, bytes: number, kernel: number, blockRows: number, beta: number, algo: number): number;
  fit_arenaBytes(K: number, N: number, R: number, bytes: number, blockRows: number, beta: number, algo: number): number;
  fit_init(fit: number, K: number, N: number, R: number, eps: number, tol: number, bytes: number, blockRows: number, beta: number, algo: number): void;
  fit_configure(fit: number, l1W: number, l2W: number, l1H: number, l2H: number, stop: number, errorEvery: number): void;
  fit_ptrV(fit: number): number;
  fit_ptrW(fit: number): number;
  fit_ptrH(fit: number): number;
  fit_ptrMask(fit: number): number;
  fit_ptrFixed(fit: number): number;
  fit_ptrHChanges(fit: number): number;
  fit_ptrWChanges(fit: number): number;
  fit_ptrObjectives(fit: number): number;
  fit_run(fit: number, steps: number, hOut: number, wOut: number, fOut: number): number;
  fit_converged(fit: number): number;
  fit_finish(fit: number, normalize: number, work: number, m: number): number;
  fit_frobeniusError(fit: number): number;
  fit_objective(fit: number): number;
  fit_initialObjective(fit: number): number;
  fit_lanczosWorkBytes(K: number, N: number, m: number): number;
}

/** Names every export the loader needs, to fail early and clearly on a stale or foreign .wasm file. */
const REQUIRED_EXPORTS = [
  'memory', 'heapBase', 'fit_runChunk', 'fit_arenaBytes', 'fit_init', 'fit_configure', 'fit_ptrV', 'fit_ptrW',
  'fit_ptrH', 'fit_ptrMask', 'fit_ptrFixed', 'fit_ptrHChanges', 'fit_ptrWChanges', 'fit_ptrObjectives', 'fit_run',
  'fit_converged', 'fit_finish', 'fit_frobeniusError', 'fit_objective', 'fit_initialObjective',
  'fit_lanczosWorkBytes', 'fit_chooseBlockRows',
] as const;

/** The algorithm word of fit_arenaBytes / fit_init / fit_chooseBlockRows (assembly/fit.ts, ALG_*). */
const ALG_HALS = 1;
const ALG_KEEP_W = 2;
const ALG_KEEP_H = 4;
const ALG_MASK = 8;
const ALG_FIXED = 16;
/** fit_configure's stop rule. */
const STOP_CODES = { change: 0, objective: 1, none: 2 } as const;
/** fit_finish's normalisation kind. */
const NORMALIZE_CODES = { none: 0, max: 1, l1: 2, l2: 3 } as const;

/** The seed's algorithm (FitProblem.algorithm absent). */
const SEED_ALGORITHM: FitAlgorithm = {
  beta: 2,
  solver: 'mu',
  l1W: 0,
  l2W: 0,
  l1H: 0,
  l2H: 0,
  updateW: true,
  updateH: true,
  stop: 'change',
  errorEvery: 1,
};

/** The algorithm word of `a`. */
function algorithmWord(a: FitAlgorithm): number {
  let word = 0;
  if (a.solver === 'hals') word |= ALG_HALS;
  if (!a.updateW) word |= ALG_KEEP_W;
  if (!a.updateH) word |= ALG_KEEP_H;
  if (a.mask) word |= ALG_MASK;
  if (a.fixedColumnsW?.some((f) => f !== 0)) word |= ALG_FIXED;
  return word;
}

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
  checkValid(bytes);
  try {
    return new WebAssembly.Module(bytes);
  } catch (cause) {
    throw compileFailed(cause);
  }
}

/**
 * Like {@link compileWasmModule}, but off the calling thread: browsers refuse synchronous compilation of modules
 * larger than 4 KB on their main thread.
 */
export async function compileWasmModuleAsync(bytes: BufferSource): Promise<WebAssembly.Module> {
  checkValid(bytes);
  try {
    return await WebAssembly.compile(bytes);
  } catch (cause) {
    throw compileFailed(cause);
  }
}

function checkValid(bytes: BufferSource): void {
  if (!WebAssembly.validate(bytes)) {
    throw new Error(`nmfkit: cannot load the WebAssembly backend: the module does not validate. ${SIMD_HINT}.`);
  }
}

/** The error of a module that did not compile (a runtime without SIMD, or one that forbids compiling bytes). */
export function compileFailed(cause: unknown): Error {
  return new Error(`nmfkit: cannot compile the WebAssembly backend. ${SIMD_HINT}.`, { cause });
}

/**
 * How the backend makes fits that run off the calling thread. The kernels themselves are synchronous, so this
 * comes from the host: Node passes its worker-thread pool (./wasm-node.ts), a browser entry its Web Workers.
 */
export type AsyncFitFactory = (problem: FitProblem) => AsyncKernelFit;

/** How a host sets up the wasm backend. */
export interface WasmBackendOptions {
  /** Fits that run off the calling thread; without it, the backend's createAsyncFit throws. */
  readonly createAsyncFit?: AsyncFitFactory;
  /**
   * Cap on the instance's linear memory in bytes (default 2^32, the most a 32-bit memory holds): a fit that would
   * take it past the cap is refused with a RangeError before anything is allocated.
   */
  readonly maxMemoryBytes?: number;
  /** How the caller sets the cap, named in errors (default "maxMemoryBytes"). */
  readonly maxMemorySetting?: string;
}

/**
 * Instantiates the compiled module synchronously and returns the 'wasm' backend on it. (Browsers refuse this on
 * their main thread for modules over 4 KB: use {@link instantiateWasmBackend} there.)
 */
export function createWasmBackend(module: WebAssembly.Module, options: WasmBackendOptions | AsyncFitFactory = {}): Backend {
  return backendOn(new WebAssembly.Instance(module, {}), typeof options === 'function' ? { createAsyncFit: options } : options);
}

/** Like {@link createWasmBackend}, but instantiates asynchronously (allowed everywhere, e.g. a browser's main thread). */
export async function instantiateWasmBackend(module: WebAssembly.Module, options: WasmBackendOptions = {}): Promise<Backend> {
  return backendOn(await WebAssembly.instantiate(module, {}), options);
}

function backendOn(instance: WebAssembly.Instance, options: WasmBackendOptions): Backend {
  const { createAsyncFit } = options;
  const exports = instance.exports as Record<string, unknown>;
  for (const name of REQUIRED_EXPORTS) {
    if (exports[name] === undefined) {
      throw new Error(`nmfkit: the WebAssembly module lacks the export '${name}' (stale wasm/nmfkit.wasm? run npm run build:wasm)`);
    }
  }
  const wasm = exports as unknown as NmfkitExports;
  const heap = new WasmHeap(wasm.memory, wasm.heapBase() >>> 0, options.maxMemoryBytes, options.maxMemorySetting);
  const runChunk = wasm.fit_runChunk();
  // A fit that is collected without dispose() gives its arena back all the same.
  const leaks = new FinalizationRegistry<number>((arena) => heap.free(arena));

  return {
    name: 'wasm',
    dtypes: ['float64', 'float32'],
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
      return { simd: true, memoryBytes: heap.memoryBytes, maxMemoryBytes: heap.maxBytes };
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
  /** Bytes per element of the fit's matrices: 8 (float64) or 4 (float32). */
  readonly #bytes: 4 | 8;
  readonly #arena: number;
  readonly vPasses: number;
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
    // float32 fits store every matrix in 4 bytes per entry; the kernel (plain or fused sweep) is chosen by size.
    const e = problem.dtype === 'float32' ? 4 : 8;
    const kernel = problem.kernel === 'plain' ? 1 : problem.kernel === 'fused' ? 2 : 0;
    // The algorithm decides which buffers the arena holds (Λ, Q, the mask) and whether the fused sweep may run.
    const algorithm = problem.algorithm ?? SEED_ALGORITHM;
    const { beta } = algorithm;
    const algo = algorithmWord(algorithm);
    const blockRows = wasm.fit_chooseBlockRows(K, N, R, e, kernel, Math.min(problem.blockRows ?? 0, MAX_DIM), beta, algo);
    // Every size in Number arithmetic (exact below 2^53) before anything is looked at or allocated.
    const what = `a ${K}×${N} rank-${R} fit (V alone is ${K * N * e} bytes)`;
    const bytes = wasm.fit_arenaBytes(K, N, R, e, blockRows, beta, algo);
    if (K * N * e >= 2 ** 32 || K * R * e >= 2 ** 32 || R * N * e >= 2 ** 32 || !(bytes < 2 ** 32)) {
      throw new RangeError(
        `nmfkit wasm: ${what} needs ${bytes} bytes of linear memory, more than the 4 GiB a 32-bit WebAssembly ` +
          'memory can hold',
      );
    }
    // The memory cap: the arena plus the first Lanczos workspace of finish(), on top of the module's own data.
    const workBytes = wasm.fit_lanczosWorkBytes(K, N, firstLanczosSteps(Math.min(K, N)));
    const needed = heap.baseBytes + WasmHeap.blockBytes(bytes) + WasmHeap.blockBytes(workBytes);
    if (needed > heap.maxBytes) {
      throw new RangeError(
        `nmfkit wasm: ${what} needs ${formatBytes(needed)} of WebAssembly memory (${formatBytes(bytes)} for the fit, ` +
          `${formatBytes(workBytes)} for the final spectral norm, ${formatBytes(heap.baseBytes)} for the module), ` +
          `more than ${heap.limitText()}`,
      );
    }
    checkLength('V', problem.V, K * N, `K×N = ${K}×${N}`);
    checkLength('W', problem.W, K * R, `K×R = ${K}×${R}`);
    checkLength('H', problem.H, R * N, `R×N = ${R}×${N}`);
    if (algorithm.mask) checkLength('mask', algorithm.mask, K * N, `K×N = ${K}×${N}`);
    if (algorithm.fixedColumnsW && algorithm.fixedColumnsW.length !== R) {
      throw new RangeError(`nmfkit wasm: fixedColumnsW must have R = ${R} entries, got ${algorithm.fixedColumnsW.length}`);
    }
    this.#wasm = wasm;
    this.#heap = heap;
    this.#runChunk = runChunk;
    this.#leaks = leaks;
    this.#K = K;
    this.#N = N;
    this.#R = R;
    this.#bytes = e;
    this.vPasses = blockRows > 0 ? 1 : 2;
    this.#arena = heap.alloc(bytes, what);
    const fit = this.#arena;
    wasm.fit_init(fit, K, N, R, problem.eps, problem.tol, e, blockRows, beta, algo);
    const { l1W, l2W, l1H, l2H, stop, errorEvery } = algorithm;
    wasm.fit_configure(fit, l1W, l2W, l1H, l2H, STOP_CODES[stop], errorEvery);
    // Rounded to float32 (to nearest) by the typed array when the fit computes in float32.
    this.#matrix(wasm.fit_ptrV(fit), K * N).set(problem.V);
    this.#matrix(wasm.fit_ptrW(fit), K * R).set(problem.W);
    this.#matrix(wasm.fit_ptrH(fit), R * N).set(problem.H);
    if (algorithm.mask) this.#matrix(wasm.fit_ptrMask(fit), K * N).set(algorithm.mask);
    if (algo & ALG_FIXED) {
      const flags = new Uint8Array(wasm.memory.buffer, wasm.fit_ptrFixed(fit) >>> 0, R);
      for (let r = 0; r < R; r++) flags[r] = algorithm.fixedColumnsW![r] !== 0 ? 1 : 0;
    }
    leaks.register(this, this.#arena, this.#token);
  }

  /** A view of `length` doubles at `ptr`, on the memory's current buffer. */
  #view(ptr: number, length: number): Float64Array {
    return new Float64Array(this.#wasm.memory.buffer, ptr >>> 0, length);
  }

  /** A view of a matrix of the fit's element type at `ptr`, on the memory's current buffer. */
  #matrix(ptr: number, length: number): Float64Array | Float32Array {
    return this.#bytes === 4 ? new Float32Array(this.#wasm.memory.buffer, ptr >>> 0, length) : this.#view(ptr, length);
  }

  /** A fresh float64 copy of a matrix (widened from float32 when the fit computes in float32). */
  #copyOut(ptr: number, length: number): Float64Array {
    const view = this.#matrix(ptr, length);
    return view instanceof Float64Array ? view.slice() : Float64Array.from(view);
  }

  #checkUsable(method: string): void {
    if (this.#state === 'disposed') throw new Error(`nmfkit wasm: ${method}() on a disposed fit`);
    if (method === 'run' && this.#state !== 'ready') throw new Error('nmfkit wasm: run() after finish()');
    if (method === 'finish' && this.#state === 'finished') throw new Error('nmfkit wasm: finish() called twice');
  }

  run(steps: number, hChange: Float64Array, wChange: Float64Array, offset: number, objective?: Float64Array): number {
    this.#checkUsable('run');
    if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`nmfkit wasm: steps must be an integer ≥ 1, got ${steps}`);
    if (!Number.isInteger(offset) || offset < 0) throw new RangeError(`nmfkit wasm: offset must be an integer ≥ 0, got ${offset}`);
    if (offset + steps > hChange.length || offset + steps > wChange.length) {
      throw new RangeError(
        `nmfkit wasm: change arrays of lengths ${hChange.length} and ${wChange.length} cannot take ${steps} ` +
          `entries at offset ${offset}`,
      );
    }
    if (objective !== undefined && offset + steps > objective.length) {
      throw new RangeError(
        `nmfkit wasm: an objective array of length ${objective.length} cannot take ${steps} entries at offset ${offset}`,
      );
    }
    const wasm = this.#wasm;
    const fit = this.#arena;
    const hPtr = wasm.fit_ptrHChanges(fit) >>> 0;
    const wPtr = wasm.fit_ptrWChanges(fit) >>> 0;
    const fPtr = objective ? wasm.fit_ptrObjectives(fit) >>> 0 : 0;
    let done = 0;
    while (done < steps) {
      const chunk = Math.min(steps - done, this.#runChunk);
      const ran = wasm.fit_run(fit, chunk, hPtr, wPtr, fPtr);
      hChange.set(this.#view(hPtr, ran), offset + done);
      wChange.set(this.#view(wPtr, ran), offset + done);
      if (objective) objective.set(this.#view(fPtr, ran), offset + done);
      done += ran;
      if (wasm.fit_converged(fit)) break;
    }
    return done;
  }

  converged(): boolean {
    if (this.#state === 'disposed') throw new Error('nmfkit wasm: converged() on a disposed fit');
    return this.#wasm.fit_converged(this.#arena) !== 0;
  }

  finish(normalize: KernelNormalize): KernelResult {
    this.#checkUsable('finish');
    if (!Object.hasOwn(NORMALIZE_CODES, normalize)) {
      throw new RangeError(`nmfkit wasm: normalize must be 'none', 'max', 'l1' or 'l2', got ${String(normalize)}`);
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
        spectralError = wasm.fit_finish(fit, NORMALIZE_CODES[normalize], work, m);
      } finally {
        this.#heap.free(work);
      }
      if (spectralError >= 0 || m >= n) break;
    }
    const result: KernelResult = {
      W: this.#copyOut(wasm.fit_ptrW(fit), K * R),
      H: this.#copyOut(wasm.fit_ptrH(fit), R * N),
      spectralError,
      frobeniusError: wasm.fit_frobeniusError(fit),
      objective: wasm.fit_objective(fit),
      initialObjective: wasm.fit_initialObjective(fit),
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
