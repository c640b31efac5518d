/**
 * The policy of both entries, over the primitives of a runtime (./platform.ts): which backend a fit gets and the
 * error of one that is unavailable, `ready()`, `setThreads()`, `backendInfo()`, and the admission of async fits.
 * The Node entry (./node.ts) and the WebAssembly-only entry (./wasm-only.ts) are this policy on their platforms.
 *
 * Backend choice: `backend: 'auto'` takes native if it loads, else wasm; `NMFKIT_BACKEND=native|wasm` (where the
 * runtime has an environment) overrides the automatic choice; an explicit `backend` option on a call overrides
 * both. Each backend is loaded once, on first use (wasm: or by `ready()`), and a load failure is kept with its
 * explanation for `backendInfo()` and for the error of a call that insists on that backend.
 */
import type { Backend } from '../contract.js';
import type { Runtime } from '../runtime.js';
import type { BackendInfo, BackendName, ThreadSettings as NodeThreads, WasmOnlyBackendInfo, WasmThreadSettings } from '../types.js';
import { Admission } from './admission.js';
import { backendOverride } from './environment.js';
import type { BackendLoad, Platform } from './platform.js';
import { readReadyOptions } from './ready-options.js';
import { ThreadSettings } from './thread-settings.js';
import { detectProxiesWith, limitMemory } from '../validate.js';
import { WasmLoader } from './wasm-loader.js';
import { internalError, plainError } from '../errors.js';

/** An Error saying why a backend is unavailable and how to fix it; `cause` carries `{ reason, fix }`. */
function unavailable(name: BackendName, load: { reason: string; fix: string }, why: string): Error {
  return plainError(
    'NMFKIT_BACKEND_UNAVAILABLE',
    `nmfkit: the ${name} backend was requested (${why}) but is not available: ${load.reason}. Fix: ${load.fix}`,
    {
      cause: { reason: load.reason, fix: load.fix },
    },
  );
}

/** An Error for a backend that `ready()` has not loaded yet; `cause` carries `{ reason, fix }`. */
function notReady(load: { reason: string; fix: string }): Error {
  return plainError('NMFKIT_BACKEND_UNAVAILABLE', `nmfkit: ${load.reason}. Fix: ${load.fix}`, {
    cause: { reason: load.reason, fix: load.fix },
  });
}

/**
 * Most bytes a fit on the wasm backend can plan on (validate.ts, checkFitMemory): its instance holds V, W and H in
 * at least 4 bytes an entry, and its R×R Grams, in a 32-bit memory of at most 4 GiB; the facade's float64 copies
 * take twice that again. So no fit whose planned memory is over 3 · 4 GiB can run there.
 */
const WASM_FIT_MEMORY = 3 * 2 ** 32;

/**
 * Memory, the other machine resource: a fit whose buffers cannot fit in the process's memory (or, with wasm as the
 * only backend, in a wasm memory) is refused with a RangeError before anything is allocated, instead of ending in
 * an out-of-memory kill of the process.
 */
function limitFitMemory(platform: Platform): void {
  const machine = platform.machineMemory();
  if (machine !== undefined && machine > 0) limitMemory(machine, (size) => `this machine's ${size} of memory`);
  if (platform.entry === 'wasm-only') {
    limitMemory(WASM_FIT_MEMORY, (size) => `the ${size} a fit can plan on with the WebAssembly backend, whose memory holds at most 4 GiB`);
  }
}

/** The policy of one entry, on one platform. */
export class EntryPolicy {
  readonly #platform: Platform;
  readonly threads: ThreadSettings;
  readonly wasm: WasmLoader;
  readonly admission: Admission;
  #native: BackendLoad | undefined;
  /** Whether the fallback from native to wasm was reported (platform.warnFallback: once). */
  #warnedFallback = false;
  /** What the fit functions (nmf.ts, batch.ts) need of this entry. */
  readonly runtime: Runtime;

  constructor(platform: Platform) {
    this.#platform = platform;
    limitFitMemory(platform);
    if (platform.isProxy) detectProxiesWith(platform.isProxy);
    this.threads = new ThreadSettings(platform);
    // The pool reads `fits` whenever a fit starts; admission follows where wasm fits run once settings decide it.
    this.wasm = new WasmLoader(
      platform,
      () => this.threads.get().fits,
      () => this.admission.wasmModeChanged(),
    );
    this.admission = new Admission(platform, this.threads, () => this.wasm.inline());
    this.runtime = {
      chooseBackend: (requested) => this.chooseBackend(requested),
      scheduled: (backend, task, signal) => this.admission.run(backend, task, signal),
      waiting: (backend) => this.admission.waiting(backend),
      availableThreads: (backend, sync) => this.admission.availableThreads(backend, sync),
      beforeSync: (backend) => {
        if (backend === 'native') this.admission.applyBlasThreads();
      },
      matrixAllocator: (requested) => this.#matrixAllocator(requested),
      concurrency: () => this.concurrency(),
      prepare: () => this.wasm.prepare(),
    };
  }

  /** The native backend's allocateMatrix when `requested` resolves to native, else undefined (runtime.ts). */
  #matrixAllocator(requested: 'auto' | BackendName): ((length: number) => Float64Array) | undefined {
    const forced = requested === 'auto' ? backendOverride(this.#env) : requested;
    if (forced === 'wasm') return undefined;
    const load = this.native();
    const allocate = load.ok ? load.backend.allocateMatrix : undefined;
    return allocate && ((length) => allocate(length));
  }

  #env = (name: string): string | undefined => this.#platform.env(name);

  /** The native backend, loaded on first use; OpenBLAS gets the thread setting from its first moment. */
  native(): BackendLoad {
    if (!this.#native) {
      this.#native = this.#platform.loadNative();
      if (this.#native.ok) this.admission.applyBlasThreads();
    }
    return this.#native;
  }

  /**
   * The backend for a call's `backend` option; throws an Error that explains an unavailable backend. `forFit`: a fit
   * will run on it (the first that falls back from native to wasm is reported: platform.warnFallback).
   */
  chooseBackend(requested: 'auto' | BackendName, forFit = true): Backend {
    const forced = requested === 'auto' ? backendOverride(this.#env) : requested;
    const why = requested === 'auto' ? 'NMFKIT_BACKEND' : 'options.backend';
    if (forced === 'native') {
      const load = this.native();
      if (!load.ok) throw unavailable('native', load, why);
      return load.backend;
    }
    if (forced === 'wasm') {
      const use = this.wasm.use();
      if (!use.ok) throw use.pending ? notReady(use) : unavailable('wasm', use, why);
      return use.backend;
    }
    const n = this.native();
    if (n.ok) return n.backend;
    const w = this.wasm.use();
    if (w.ok) {
      if (forFit && !this.#warnedFallback) {
        this.#warnedFallback = true;
        this.#platform.warnFallback?.(n.reason, n.fix);
      }
      return w.backend;
    }
    if (w.pending) throw notReady(w);
    throw plainError(
      'NMFKIT_BACKEND_UNAVAILABLE',
      `nmfkit: no backend could be loaded. native: ${n.reason} (fix: ${n.fix}); wasm: ${w.reason} (fix: ${w.fix})`,
      {
        cause: { native: { reason: n.reason, fix: n.fix }, wasm: { reason: w.reason, fix: w.fix } },
      },
    );
  }

  /**
   * `ready(options)`: checks the options (a TypeError or RangeError naming the option), loads what this entry has
   * not loaded yet — the wasm backend with the options, and the native one — and resolves once the backend that
   * `backend: 'auto'` uses is loaded, or rejects with the error a fit would get. Never throws synchronously.
   */
  async ready(options: unknown): Promise<void> {
    const given = readReadyOptions(options, this.#platform.wasm.workersAvailable());
    const conflict = this.wasm.conflictWith(given);
    if (conflict) throw conflict;
    const nativeLoaded = this.native().ok;
    try {
      await this.wasm.ready(given);
    } catch (error) {
      // A wasm backend that failed to load is the caller's problem only where it is the one fits would use.
      if (!nativeLoaded) throw error;
    }
    this.chooseBackend('auto', false);
  }

  /** How many fits of a batch run at once: `fits`, or one where fits can only run inline on the calling thread. */
  concurrency(): number {
    return !this.native().ok && this.wasm.inline() ? 1 : this.threads.get().fits;
  }

  /** Which backend `'auto'` uses and why: the override, else native if it loaded, else wasm. */
  #choice(): { backend: BackendName; chosenBy: 'auto' | 'NMFKIT_BACKEND' } {
    const forced = backendOverride(this.#env);
    return { backend: forced ?? (this.native().ok ? 'native' : 'wasm'), chosenBy: forced ? 'NMFKIT_BACKEND' : 'auto' };
  }

  /** `backendInfo()` of the Node entry: both backends (loading them), and the thread settings with the libuv pool. */
  nodeInfo(): BackendInfo {
    const n = this.native();
    const w = this.wasm.info();
    const { fits, blasThreads } = this.threads.get();
    return {
      entry: 'node',
      ...this.#choice(),
      native: n.ok ? { loaded: true, blas: n.backend.details().blas! } : { loaded: false, reason: n.reason, fix: n.fix },
      wasm: w.loaded ? { loaded: true, simd: w.simd, memoryBytes: w.memoryBytes, maxMemoryBytes: w.maxMemoryBytes } : w,
      threads: { fits, blasThreads, libuvPool: this.#platform.blas?.poolSize() ?? 0 },
    };
  }

  /** `backendInfo()` of the WebAssembly-only entry: where the module came from, and how async fits run. */
  wasmOnlyInfo(): WasmOnlyBackendInfo {
    const n = this.native();
    if (n.ok) throw internalError('nmfkit internal error: the WebAssembly-only entry has no native backend to load');
    const w = this.wasm.info();
    return {
      entry: 'wasm-only',
      ...this.#choice(),
      native: { loaded: false, reason: n.reason, fix: n.fix },
      wasm: w.loaded
        ? {
            loaded: true,
            simd: w.simd,
            memoryBytes: w.memoryBytes,
            maxMemoryBytes: w.maxMemoryBytes,
            ...(w.settings.module ? { source: 'module' as const } : { source: 'url' as const, url: w.settings.url.href }),
          }
        : w,
      threads: { fits: this.threads.get().fits, mode: this.wasm.inline() ? 'inline' : 'web-worker', teams: this.wasm.teams() },
    };
  }

  /** `setThreads()` of the Node entry: `fits` and `blasThreads`, reported with the libuv pool. */
  setNodeThreads(settings: unknown): NodeThreads {
    const { fits, blasThreads } = this.threads.set(settings);
    return { fits, blasThreads, libuvPool: this.#platform.blas?.poolSize() ?? 0 };
  }

  /** `setThreads()` of the WebAssembly-only entry: `fits` only. */
  setWasmOnlyThreads(settings: unknown): WasmThreadSettings {
    return { fits: this.threads.set(settings).fits };
  }
}
