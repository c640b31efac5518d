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
  AsyncKernelGroup,
  Backend,
  BackendDetails,
  CsrPattern,
  FitProblem,
  KernelFit,
  KernelResult,
} from '../contract.js';
import { fitSequence } from './fit-sequence.js';
import { encodeSpec, SPEC_SLOTS, specSlotError } from '../spec.js';
import { wasmBlockRows } from './block-rows.js';
import { wasmTeamSize } from './team-size.js';
import { formatBytes, WasmHeap } from './wasm-memory.js';
import { createSharedMemory, teamImports, type TeamHandle } from './wasm-team.js';
import { plainError, rangeError } from '../errors.js';

/** The module's exports (assembly/index.ts). Pointers are u32 but arrive as i32: read them with `>>> 0`. */
interface NmfkitExports {
  readonly memory: WebAssembly.Memory;
  heapBase(): number;
  fit_runChunk(): number;
  fit_specSlots(): number;
  fit_arenaBytes(slots: number): number;
  fit_init(fit: number, slots: number): void;
  fit_ptrV(fit: number): number;
  fit_ptrW(fit: number): number;
  fit_ptrH(fit: number): number;
  fit_ptrMask(fit: number): number;
  fit_ptrIndptr(fit: number): number;
  fit_ptrIndices(fit: number): number;
  fit_ptrFixed(fit: number): number;
  fit_ptrHChanges(fit: number): number;
  fit_ptrWChanges(fit: number): number;
  fit_ptrObjectives(fit: number): number;
  fit_run(fit: number, steps: number, objectives: number): number;
  fit_converged(fit: number): number;
  fit_finish(fit: number, work: number, m: number): number;
  fit_frobeniusError(fit: number): number;
  fit_objective(fit: number): number;
  fit_initialObjective(fit: number): number;
  fit_lanczosWorkBytes(K: number, N: number, m: number): number;
  fit_lanczosMaxSteps(K: number, N: number): number;
  fit_multiplyV(fit: number, X: number, cols: number, transpose: number, out: number, scratch: number): number;
  fit_setFactors(fit: number, W: number, H: number): number;
  fit_ptrTeam(fit: number): number;
  fit_stopTeam(fit: number): void;
}

/** Names every export the loader needs, to fail early and clearly on a stale or foreign .wasm file. */
const REQUIRED_EXPORTS = [
  'memory',
  'heapBase',
  'fit_runChunk',
  'fit_specSlots',
  'fit_arenaBytes',
  'fit_init',
  'fit_ptrV',
  'fit_ptrW',
  'fit_ptrH',
  'fit_ptrMask',
  'fit_ptrIndptr',
  'fit_ptrIndices',
  'fit_ptrFixed',
  'fit_ptrHChanges',
  'fit_ptrWChanges',
  'fit_ptrObjectives',
  'fit_run',
  'fit_converged',
  'fit_finish',
  'fit_frobeniusError',
  'fit_objective',
  'fit_initialObjective',
  'fit_lanczosWorkBytes',
  'fit_lanczosMaxSteps',
  'fit_multiplyV',
  'fit_setFactors',
  'fit_ptrTeam',
  'fit_stopTeam',
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
  "nmfkit's WebAssembly module uses 128-bit SIMD (v128 / f64x2) and bulk memory; this runtime does not " +
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
    throw plainError(
      'NMFKIT_BACKEND_UNAVAILABLE',
      `nmfkit: cannot load the WebAssembly backend: the module does not validate. ${SIMD_HINT}.`,
    );
  }
}

/** The error of a module that did not compile (a runtime without SIMD, or one that forbids compiling bytes). */
export function compileFailed(cause: unknown): Error {
  return plainError('NMFKIT_BACKEND_UNAVAILABLE', `nmfkit: cannot compile the WebAssembly backend. ${SIMD_HINT}.`, { cause });
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
  /** Groups of fits in one request off the calling thread; without it, a group is a sequence of createAsyncFit's fits. */
  readonly runGroupAsync?: Backend['runGroupAsync'];
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

/**
 * The threaded module (wasm/nmfkit-threads.wasm) on a fresh shared memory: its fits with spec.threads > 1 run on a
 * team whose helpers instantiate the same module on that memory (./wasm-team.ts, {@link teamOf}). Only where
 * SharedArrayBuffer exists.
 */
export async function instantiateTeamBackend(module: WebAssembly.Module, options: WasmBackendOptions = {}): Promise<Backend> {
  const memory = createSharedMemory(options.maxMemoryBytes ?? 2 ** 32);
  return backendOn(await WebAssembly.instantiate(module, teamImports(memory)), options);
}

/** The team of a fit of a threaded backend with more than one member, for its helpers; undefined otherwise. */
export function teamOf(fit: KernelFit): TeamHandle | undefined {
  return fit instanceof WasmFit ? fit.team() : undefined;
}

function backendOn(instance: WebAssembly.Instance, options: WasmBackendOptions): Backend {
  const { createAsyncFit, runGroupAsync } = options;
  const exports = instance.exports as Record<string, unknown>;
  for (const name of REQUIRED_EXPORTS) {
    if (exports[name] === undefined) {
      throw plainError(
        'NMFKIT_BACKEND_UNAVAILABLE',
        `nmfkit: the WebAssembly module lacks the export '${name}' (stale wasm/nmfkit.wasm? run npm run build:wasm)`,
      );
    }
  }
  const wasm = exports as unknown as NmfkitExports;
  if (wasm.fit_specSlots() !== SPEC_SLOTS) {
    throw plainError(
      'NMFKIT_BACKEND_UNAVAILABLE',
      `nmfkit: the WebAssembly module was built from another fit specification (${wasm.fit_specSlots()} slots, ` +
        `this version's ${SPEC_SLOTS}): stale wasm/nmfkit.wasm? run npm run build:wasm`,
    );
  }
  const heap = new WasmHeap(wasm.memory, wasm.heapBase() >>> 0, options.maxMemoryBytes, options.maxMemorySetting);
  const module: ModuleState = {
    wasm,
    heap,
    runChunk: wasm.fit_runChunk(),
    // The encoded specification's slots, read by fit_arenaBytes and fit_init (one block for every fit).
    slots: heap.alloc(SPEC_SLOTS * 8, 'the fit specification'),
    // A fit that is collected without dispose() gives its arena back all the same.
    leaks: new FinalizationRegistry<number>((arena) => heap.free(arena)),
  };

  return {
    name: 'wasm',
    dtypes: ['float64', 'float32'],
    blockRows: wasmBlockRows,
    teamSize: wasmTeamSize,
    createFit(problem: FitProblem): KernelFit {
      return new WasmFit(module, problem);
    },
    createAsyncFit(problem: FitProblem): AsyncKernelFit {
      if (!createAsyncFit) {
        throw plainError(
          'NMFKIT_BACKEND_UNAVAILABLE',
          'nmfkit: this wasm backend was created without a way to run fits off the calling thread',
        );
      }
      return createAsyncFit(problem);
    },
    runGroupAsync(problems: readonly FitProblem[], maxIter: number): AsyncKernelGroup {
      return runGroupAsync ? runGroupAsync(problems, maxIter) : fitSequence((problem) => this.createAsyncFit(problem), problems, maxIter);
    },
    details(): BackendDetails {
      return { simd: true, memoryBytes: heap.memoryBytes, maxMemoryBytes: heap.maxBytes };
    },
  };
}

/** One instance of the module and what its fits share. */
interface ModuleState {
  readonly wasm: NmfkitExports;
  readonly heap: WasmHeap;
  readonly runChunk: number;
  /** SPEC_SLOTS doubles of linear memory. */
  readonly slots: number;
  readonly leaks: FinalizationRegistry<number>;
}

/**
 * What the kernels rely on for memory safety in a CSR pattern (the facade checks more, src/csr.ts): Int32Arrays,
 * indptr of K + 1 offsets from 0 to nnz, never decreasing, and indices of nnz entries in [0, N).
 */
function checkPattern(pattern: CsrPattern | null | undefined, K: number, N: number, nnz: number): CsrPattern {
  const bad = (what: string): never => {
    throw rangeError('NMFKIT_INVALID_VALUE', `nmfkit wasm: the CSR pattern's ${what}`);
  };
  if (!pattern || !(pattern.indptr instanceof Int32Array) || !(pattern.indices instanceof Int32Array)) {
    return bad('indptr and indices must be Int32Arrays');
  }
  const { indptr, indices } = pattern;
  if (indptr.length !== K + 1 || indices.length !== nnz) bad('lengths must be K + 1 and nnz');
  if (indptr[0] !== 0 || indptr[K] !== nnz) bad('indptr must run from 0 to nnz');
  for (let i = 0; i < K; i++) if (indptr[i + 1]! < indptr[i]!) bad(`indptr decreases at ${i + 1}`);
  for (let k = 0; k < nnz; k++) if (!(indices[k]! >= 0 && indices[k]! < N)) bad(`indices[${k}] is out of range`);
  return pattern;
}

/** Refuses an array that is not a Float64Array (or, `float32Too`, a Float32Array: V) of `expected` entries. */
function checkLength(name: string, array: unknown, expected: number, shape: string, float32Too = false): void {
  const typed = array instanceof Float64Array || (float32Too && array instanceof Float32Array);
  if (!typed || array.length !== expected) {
    const types = float32Too ? 'Float64Array or Float32Array' : 'Float64Array';
    throw rangeError('NMFKIT_INVALID_VALUE', `nmfkit wasm: ${name} must be a ${types} of ${shape} = ${expected} entries`);
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
  /** Frames per template (spec.templateFrames): W holds T stacked K×R matrices. */
  readonly #T: number;
  /** Whether finish computes the spectral norm (spec.spectralError), which needs a Lanczos workspace. */
  readonly #spectralError: boolean;
  /** Bytes per element of the fit's matrices: 8 (float64) or 4 (float32). */
  readonly #bytes: 4 | 8;
  readonly #arena: number;
  /** Members of the fit's team (spec.threads); the team exists in the threaded module only. */
  readonly #threads: number;
  readonly #token = {};
  #state: FitState = 'ready';

  constructor(module: ModuleState, problem: FitProblem) {
    const { wasm, heap } = module;
    // Memory safety only (the facade validated the values): every slot a valid encoding, sizes within i32.
    const slots = encodeSpec(problem.spec);
    const bad = specSlotError(slots);
    if (bad !== null) throw rangeError('NMFKIT_INVALID_VALUE', `nmfkit wasm: spec.${bad} holds no valid value`);
    const { rows: K, cols: N, rank: R } = problem.spec;
    for (const [name, value] of [
      ['rows', K],
      ['cols', N],
      ['rank', R],
    ] as const) {
      if (value < 1 || value > MAX_DIM)
        throw rangeError('NMFKIT_INVALID_VALUE', `nmfkit wasm: spec.${name} must be in [1, 2^31 − 1], got ${value}`);
    }
    if (problem.spec.blockRows > MAX_DIM || problem.spec.errorEvery < 1 || problem.spec.errorEvery > MAX_DIM) {
      throw rangeError('NMFKIT_INVALID_VALUE', 'nmfkit wasm: spec.blockRows or spec.errorEvery is out of range');
    }
    const e = problem.spec.dtype === 'float32' ? 4 : 8;
    const csr = problem.spec.storage === 'csr';
    // Entries V stores.
    const nnz = csr ? problem.spec.nnz : K * N;
    if (csr && !(nnz <= MAX_DIM)) throw rangeError('NMFKIT_INVALID_VALUE', 'nmfkit wasm: spec.nnz must be at most 2^31 − 1');
    // Every size in Number arithmetic (exact below 2^53) before anything is looked at or allocated.
    const what = `a ${K}×${N} rank-${R} fit (V alone is ${nnz * e} bytes)`;
    new Float64Array(wasm.memory.buffer, module.slots >>> 0, SPEC_SLOTS).set(slots);
    const bytes = wasm.fit_arenaBytes(module.slots);
    if (nnz * e >= 2 ** 32 || K * R * e >= 2 ** 32 || R * N * e >= 2 ** 32 || !(bytes < 2 ** 32)) {
      throw rangeError(
        'NMFKIT_TOO_LARGE',
        `nmfkit wasm: ${what} needs ${bytes} bytes of linear memory, more than the 4 GiB a 32-bit WebAssembly ` + 'memory can hold',
      );
    }
    // The memory cap: the arena plus the first Lanczos workspace of finish() (when it computes the spectral norm),
    // on top of the module's own data.
    const workBytes =
      problem.spec.spectralError && !csr ? wasm.fit_lanczosWorkBytes(K, N, firstLanczosSteps(wasm.fit_lanczosMaxSteps(K, N))) : 0;
    const needed = heap.baseBytes + WasmHeap.blockBytes(bytes) + WasmHeap.blockBytes(workBytes);
    if (needed > heap.maxBytes) {
      throw rangeError(
        'NMFKIT_TOO_LARGE',
        `nmfkit wasm: ${what} needs ${formatBytes(needed)} of WebAssembly memory (${formatBytes(bytes)} for the fit, ` +
          `${formatBytes(workBytes)} for the final spectral norm, ${formatBytes(heap.baseBytes)} for the module), ` +
          `more than ${heap.limitText()}`,
      );
    }
    checkLength('V', problem.V, nnz, csr ? 'nnz' : `K×N = ${K}×${N}`, true);
    const pattern = csr ? checkPattern(problem.pattern, K, N, nnz) : null;
    const T = problem.spec.templateFrames;
    const nmfd = problem.spec.solver === 'nmfd';
    if (T < 1 || T > (nmfd ? N : 1) || (nmfd && (e !== 8 || csr || problem.spec.masked))) {
      throw rangeError(
        'NMFKIT_INVALID_VALUE',
        'nmfkit wasm: spec.templateFrames, spec.dtype, spec.storage or spec.masked does not fit spec.solver',
      );
    }
    checkLength('W', problem.W, K * R * T, `K×R×T = ${K}×${R}×${T}`);
    checkLength('H', problem.H, R * N, `R×N = ${R}×${N}`);
    if (problem.spec.masked && !csr) checkLength('mask', problem.mask, K * N, `K×N = ${K}×${N}`);
    if (!(problem.fixedColumnsW instanceof Uint8Array) || problem.fixedColumnsW.length !== R) {
      throw rangeError('NMFKIT_INVALID_VALUE', `nmfkit wasm: fixedColumnsW must be a Uint8Array of R = ${R} entries`);
    }
    this.#wasm = wasm;
    this.#heap = heap;
    this.#runChunk = module.runChunk;
    this.#leaks = module.leaks;
    this.#K = K;
    this.#N = N;
    this.#R = R;
    this.#T = T;
    this.#spectralError = problem.spec.spectralError && !csr;
    this.#bytes = e;
    this.#threads = problem.spec.threads;
    this.#arena = heap.alloc(bytes, what);
    const fit = this.#arena;
    // The slots again: the allocation may have grown the memory, never moved them, but a view made before it is
    // detached, so fit_init reads the block fit_arenaBytes read.
    wasm.fit_init(fit, module.slots);
    // Converted by the typed array: rounded to float32 (to nearest) when the fit computes in float32, widened (exactly)
    // when a float64 fit is given a Float32Array.
    this.#matrix(wasm.fit_ptrV(fit), nnz).set(problem.V);
    if (pattern) {
      new Int32Array(wasm.memory.buffer, wasm.fit_ptrIndptr(fit) >>> 0, K + 1).set(pattern.indptr);
      new Int32Array(wasm.memory.buffer, wasm.fit_ptrIndices(fit) >>> 0, nnz).set(pattern.indices);
    }
    this.#matrix(wasm.fit_ptrW(fit), K * R * T).set(problem.W);
    this.#matrix(wasm.fit_ptrH(fit), R * N).set(problem.H);
    if (problem.spec.masked && !csr) this.#matrix(wasm.fit_ptrMask(fit), K * N).set(problem.mask!);
    const flags = new Uint8Array(wasm.memory.buffer, wasm.fit_ptrFixed(fit) >>> 0, R);
    for (let r = 0; r < R; r++) flags[r] = problem.fixedColumnsW[r] !== 0 ? 1 : 0;
    module.leaks.register(this, this.#arena, this.#token);
  }
  /** The fit's team, for its helpers: in the threaded module with more than one member; else undefined. */
  team(): TeamHandle | undefined {
    const pointer = this.#wasm.fit_ptrTeam(this.#arena) >>> 0;
    if (pointer === 0 || this.#threads < 2) return undefined;
    return { memory: this.#wasm.memory, pointer, size: this.#threads };
  }

  /** A view of `length` doubles at `ptr`, on the memory's current buffer. */
  #view(ptr: number, length: number): Float64Array {
    return new Float64Array(this.#wasm.memory.buffer, ptr >>> 0, length);
  }

  /** A view of a matrix of the fit's element type at `ptr`, on the memory's current buffer. */
  #matrix(ptr: number, length: number): Float64Array | Float32Array {
    return this.#bytes === 4 ? new Float32Array(this.#wasm.memory.buffer, ptr >>> 0, length) : this.#view(ptr, length);
  }

  /** A fresh copy of a matrix in the fit's element type (a Float32Array when the fit computes in float32). */
  #copyOut(ptr: number, length: number): Float64Array | Float32Array {
    return this.#matrix(ptr, length).slice();
  }

  #checkUsable(method: string): void {
    if (this.#state === 'disposed') throw plainError('NMFKIT_INVALID_STATE', `nmfkit wasm: ${method}() on a disposed fit`);
    if (method === 'run' && this.#state !== 'ready') throw plainError('NMFKIT_INVALID_STATE', 'nmfkit wasm: run() after finish()');
    if (method === 'finish' && this.#state === 'finished') throw plainError('NMFKIT_INVALID_STATE', 'nmfkit wasm: finish() called twice');
  }

  multiplyV(X: Float64Array, cols: number, transpose: boolean): Float64Array {
    this.#checkUsable('run');
    const K = this.#K;
    const N = this.#N;
    if (!Number.isInteger(cols) || cols < 1 || cols > Math.max(K, N)) {
      throw rangeError('NMFKIT_INVALID_VALUE', `nmfkit wasm: cols must be an integer in [1, max(K, N) = ${Math.max(K, N)}], got ${cols}`);
    }
    const inner = transpose ? K : N;
    const outer = transpose ? N : K;
    checkLength('X', X, inner * cols, `${transpose ? 'K' : 'N'}×cols = ${inner}×${cols}`);
    const heap = this.#heap;
    const x = heap.alloc(8 * inner * cols, 'X of a product with V');
    const out = heap.alloc(8 * outer * cols, 'a product with V');
    const scratch = this.#bytes === 4 ? heap.alloc(4 * (inner + outer) * cols, 'the float32 scratch of a product with V') : 0;
    try {
      this.#view(x, inner * cols).set(X);
      if (!this.#wasm.fit_multiplyV(this.#arena, x, cols, transpose ? 1 : 0, out, scratch)) {
        throw plainError('NMFKIT_INVALID_STATE', 'nmfkit wasm: multiplyV() after the fit has started');
      }
      return this.#view(out, outer * cols).slice();
    } finally {
      if (scratch) heap.free(scratch);
      heap.free(out);
      heap.free(x);
    }
  }

  setFactors(W: Float64Array, H: Float64Array): void {
    this.#checkUsable('run');
    const K = this.#K;
    const N = this.#N;
    const R = this.#R;
    const KRT = K * R * this.#T;
    checkLength('W', W, KRT, `K×R×T = ${K}×${R}×${this.#T}`);
    checkLength('H', H, R * N, `R×N = ${R}×${N}`);
    const heap = this.#heap;
    const w = heap.alloc(8 * KRT, 'W');
    const h = heap.alloc(8 * R * N, 'H');
    try {
      this.#view(w, KRT).set(W);
      this.#view(h, R * N).set(H);
      if (!this.#wasm.fit_setFactors(this.#arena, w, h))
        throw plainError('NMFKIT_INVALID_STATE', 'nmfkit wasm: setFactors() after the fit has started');
    } finally {
      heap.free(h);
      heap.free(w);
    }
  }

  run(steps: number, hChange: Float64Array, wChange: Float64Array, offset: number, objective?: Float64Array): number {
    this.#checkUsable('run');
    if (!Number.isInteger(steps) || steps < 1)
      throw rangeError('NMFKIT_INVALID_VALUE', `nmfkit wasm: steps must be an integer ≥ 1, got ${steps}`);
    if (!Number.isInteger(offset) || offset < 0)
      throw rangeError('NMFKIT_INVALID_VALUE', `nmfkit wasm: offset must be an integer ≥ 0, got ${offset}`);
    if (offset + steps > hChange.length || offset + steps > wChange.length) {
      throw rangeError(
        'NMFKIT_INVALID_VALUE',
        `nmfkit wasm: change arrays of lengths ${hChange.length} and ${wChange.length} cannot take ${steps} ` +
          `entries at offset ${offset}`,
      );
    }
    if (objective !== undefined && offset + steps > objective.length) {
      throw rangeError(
        'NMFKIT_INVALID_VALUE',
        `nmfkit wasm: an objective array of length ${objective.length} cannot take ${steps} entries at offset ${offset}`,
      );
    }
    const wasm = this.#wasm;
    const fit = this.#arena;
    const hPtr = wasm.fit_ptrHChanges(fit) >>> 0;
    const wPtr = wasm.fit_ptrWChanges(fit) >>> 0;
    const fPtr = wasm.fit_ptrObjectives(fit) >>> 0;
    let done = 0;
    while (done < steps) {
      const chunk = Math.min(steps - done, this.#runChunk);
      const ran = wasm.fit_run(fit, chunk, objective ? 1 : 0);
      hChange.set(this.#view(hPtr, ran), offset + done);
      wChange.set(this.#view(wPtr, ran), offset + done);
      if (objective) objective.set(this.#view(fPtr, ran), offset + done);
      done += ran;
      if (wasm.fit_converged(fit)) break;
    }
    return done;
  }

  converged(): boolean {
    if (this.#state === 'disposed') throw plainError('NMFKIT_INVALID_STATE', 'nmfkit wasm: converged() on a disposed fit');
    return this.#wasm.fit_converged(this.#arena) !== 0;
  }

  finish(): KernelResult {
    this.#checkUsable('finish');
    const wasm = this.#wasm;
    const fit = this.#arena;
    const K = this.#K;
    const N = this.#N;
    const R = this.#R;
    // From here on V holds the residual: no more run() calls. A finish() that threw (memory for the Lanczos
    // workspace refused) may be called again and picks up where it stopped.
    this.#state = 'finishing';
    let spectralError = -1;
    const n = wasm.fit_lanczosMaxSteps(K, N);
    for (let m = firstLanczosSteps(n); ; m = Math.min(n, 2 * m)) {
      if (!this.#spectralError) {
        spectralError = wasm.fit_finish(fit, 0, 0); // NaN: no Lanczos run, no workspace
        break;
      }
      const bytes = wasm.fit_lanczosWorkBytes(K, N, m);
      if (!(bytes < 2 ** 32)) {
        throw rangeError(
          'NMFKIT_TOO_LARGE',
          `nmfkit wasm: the spectral norm of a ${K}×${N} residual needs a ${bytes}-byte Lanczos workspace ` +
            `(${m} steps), more than the 4 GiB a 32-bit WebAssembly memory can hold`,
        );
      }
      const work = this.#heap.alloc(bytes, `the Lanczos workspace (${m} steps) of a ${K}×${N} residual`);
      try {
        spectralError = wasm.fit_finish(fit, work, m);
      } finally {
        this.#heap.free(work);
      }
      if (spectralError >= 0 || m >= n) break;
    }
    const result: KernelResult = {
      W: this.#copyOut(wasm.fit_ptrW(fit), K * R * this.#T),
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
    // The helpers leave the team before its block is given back.
    this.#wasm.fit_stopTeam(this.#arena);
    this.#heap.free(this.#arena);
  }
}
