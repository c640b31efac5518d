/**
 * The wasm backend of an entry: its settings (module or URL, memory cap, workers), loading it, and the state that
 * `backendInfo()` and the errors of fits report. The same for both entries; where the runtime can compile and
 * instantiate synchronously (Node), the first use loads it at once with the defaults, elsewhere `ready()` must.
 *
 * Settings apply from the first `ready()` call or the first load, whichever comes first; a later `ready()` that
 * gives different ones rejects with a RangeError saying so. After a failed load, `ready()` tries again.
 */
import { inlineAsyncFit } from '../backends/wasm-inline.js';
import type { WasmPool } from '../backends/wasm-pool.js';
import { createWasmBackend, instantiateWasmBackend, type WasmBackendOptions } from '../backends/wasm.js';
import type { AsyncKernelFit, Backend, FitProblem } from '../contract.js';
import { fitSequence } from '../backends/fit-sequence.js';
import { MEMORY_CAP_FIX, MEMORY_CAP_VARIABLE, memoryCapOverride } from './environment.js';
import type { Platform } from './platform.js';
import type { GivenReadyOptions } from './ready-options.js';
import { plainError, rangeError } from '../errors.js';

export interface WasmSettings {
  readonly module: WebAssembly.Module | undefined;
  readonly url: URL;
  readonly maxMemoryBytes: number;
  /** How the cap was set, named in the RangeError of a fit over it. */
  readonly capSetting: string;
  /** Async fits in workers (true) or inline on the calling thread (false). */
  readonly workers: boolean;
}

/** The wasm backend for a fit, or why there is none — `pending` when `ready()` would fix it (not loaded yet, loading). */
export type WasmUse =
  | { readonly ok: true; readonly backend: Backend; readonly settings: WasmSettings }
  | { readonly ok: false; readonly pending: boolean; readonly reason: string; readonly fix: string };

type State =
  | { readonly kind: 'idle'; readonly settings?: undefined }
  | { readonly kind: 'loading'; readonly settings: WasmSettings; readonly promise: Promise<void> }
  | { readonly kind: 'ready'; readonly settings: WasmSettings; readonly backend: Backend }
  | { readonly kind: 'failed'; readonly settings: WasmSettings | undefined; readonly error: Error; readonly fix: string };

/** How `ready({ maxMemoryBytes })` is named in the errors of fits over the cap. */
const READY_CAP_SETTING = 'maxMemoryBytes, set with ready({ maxMemoryBytes })';
const READY_FIX = '`await ready()` once first (nmf() and nmfBatch() call it themselves)';

/**
 * The runtime could not reserve memory for the instance (V8: "Out of memory: Cannot allocate Wasm memory"; a
 * process under `ulimit -v` or a small container), which no rebuild of the module fixes.
 */
const OUT_OF_MEMORY = /out of memory|cannot allocate wasm memory|could not allocate memory/i;
// A smaller cap does not help: 64-bit V8 reserves the same guard region of address space for any memory size.
const NO_MEMORY_FIX =
  "the runtime could not reserve WebAssembly memory for the instance: raise the process's address-space or memory " +
  "limit (ulimit -v, the container's limit); V8 reserves several GiB of address space per WebAssembly memory";

export class WasmLoader {
  readonly #platform: Platform;
  readonly #fits: () => number;
  readonly #onModeChange: () => void;
  #state: State = { kind: 'idle' };
  #pool: WasmPool | undefined;
  /** The threaded build fetched beside the module by `ready()` (WebAssembly-only entry), if any. */
  #teamModule: WebAssembly.Module | undefined;

  /** `fits()`: the worker pool's size; `onModeChange`: called when the settings decide where async fits run. */
  constructor(platform: Platform, fits: () => number, onModeChange: () => void) {
    this.#platform = platform;
    this.#fits = fits;
    this.#onModeChange = onModeChange;
  }

  /** The settings of `given` over the defaults (the environment's cap, the runtime's file and workers). */
  #settings(given: GivenReadyOptions): WasmSettings {
    const wasm = this.#platform.wasm;
    let maxMemoryBytes = given.maxMemoryBytes;
    let capSetting = READY_CAP_SETTING;
    if (maxMemoryBytes === undefined) {
      const fromEnv = memoryCapOverride((name) => this.#platform.env(name));
      maxMemoryBytes = fromEnv ?? wasm.defaultMaxMemoryBytes;
      capSetting = fromEnv === undefined ? wasm.defaultCapSetting : MEMORY_CAP_VARIABLE;
    }
    return {
      module: given.module,
      url: given.url ?? wasm.defaultUrl(),
      maxMemoryBytes,
      capSetting,
      workers: given.workers ?? wasm.workersAvailable(),
    };
  }

  /** Whether async wasm fits run on the calling thread (as they will with the settings in force or the defaults). */
  inline(): boolean {
    return !(this.#state.settings?.workers ?? this.#platform.wasm.workersAvailable());
  }

  /** The backend for a fit now. Loads it first where that can be done synchronously and nothing was tried yet. */
  use(): WasmUse {
    if (this.#state.kind === 'idle' && this.#platform.wasm.instantiateSync) this.#loadSync();
    const state = this.#state;
    switch (state.kind) {
      case 'ready':
        return { ok: true, backend: state.backend, settings: state.settings };
      case 'failed':
        return { ok: false, pending: false, reason: `the WebAssembly backend failed to load: ${state.error.message}`, fix: state.fix };
      case 'loading':
        return { ok: false, pending: true, reason: 'the WebAssembly backend is still loading', fix: `wait for ${READY_FIX}` };
      case 'idle':
        return {
          ok: false,
          pending: true,
          reason: 'the WebAssembly backend is not loaded yet (this entry loads it lazily)',
          fix: READY_FIX,
        };
    }
  }

  /**
   * What async fits need before they choose a backend: where a fit cannot load the backend itself, a load started
   * (with the settings of the last attempt, or the defaults) unless one is under way or done. Never rejects: the
   * fit's choice of backend reports the outcome.
   */
  prepare(): Promise<void> | undefined {
    const state = this.#state;
    if (state.kind === 'loading') return state.promise.catch(() => {});
    if (this.#platform.wasm.instantiateSync || state.kind === 'ready') return undefined;
    let settings: WasmSettings;
    try {
      settings = state.settings ?? this.#settings({});
    } catch (error) {
      this.#fail(undefined, error);
      return undefined;
    }
    return this.#start(settings).catch(() => {});
  }

  /**
   * `ready()`'s part: loads the backend with `given` over the defaults, unless it is loaded or loading — then
   * `given` must agree with the settings in force. Rejects with the error of a failed load.
   */
  ready(given: GivenReadyOptions): Promise<void> {
    const state = this.#state;
    if (state.kind === 'loading' || state.kind === 'ready') {
      const conflict = this.conflictWith(given);
      if (conflict) return Promise.reject(conflict);
      return state.kind === 'loading' ? state.promise : Promise.resolve();
    }
    let settings: WasmSettings;
    try {
      settings = this.#settings(given);
    } catch (error) {
      return Promise.reject(this.#fail(undefined, error));
    }
    return this.#start(settings);
  }

  /** The RangeError of options that differ from those of a backend loaded or loading; undefined if they agree. */
  conflictWith(given: GivenReadyOptions): RangeError | undefined {
    const state = this.#state;
    if (state.kind !== 'loading' && state.kind !== 'ready') return undefined;
    const differing = conflicts(state.settings, given);
    return differing.length > 0 ? this.#conflict(state.kind, differing) : undefined;
  }

  #conflict(kind: 'loading' | 'ready', differing: readonly string[]): RangeError {
    // Where the first fit or backendInfo() loads the backend by itself, say how to get the options in first.
    const how =
      kind === 'ready' && this.#platform.wasm.instantiateSync
        ? `; here a fit or backendInfo() loads it with the defaults, so call ready() with the options before either` +
          (differing.includes('maxMemoryBytes') ? `, or set ${MEMORY_CAP_VARIABLE} for the cap` : '')
        : '';
    return rangeError(
      'NMFKIT_INVALID_VALUE',
      `${differing.map((key) => `options.${key}`).join(', ')}: ready() was already called or the backend already used, and ` +
        `its options cannot change once the WebAssembly backend is ${kind === 'ready' ? 'loaded' : 'loading'}${how} ` +
        `(${differing.join(', ')} differ)`,
    );
  }

  /** The first use of a runtime that loads synchronously: the defaults. */
  #loadSync(): void {
    let settings: WasmSettings;
    try {
      settings = this.#settings({});
    } catch (error) {
      this.#fail(undefined, error);
      return;
    }
    this.#start(settings).catch(() => {});
  }

  /**
   * Loads with `settings`: synchronously where the runtime can (Node: a module given, or a file: URL), so the
   * backend is ready when this returns; else asynchronously, in state 'loading' meanwhile.
   */
  #start(settings: WasmSettings): Promise<void> {
    const done = this.#platform.wasm.instantiateSync ? this.#loadNow(settings) : undefined;
    if (done) {
      this.#onModeChange();
      return done;
    }
    const promise = this.#loadAsync(settings).catch((error: unknown) => {
      throw this.#fail(settings, error);
    });
    this.#state = { kind: 'loading', settings, promise };
    this.#onModeChange();
    return promise;
  }

  /** Loads synchronously if the module is at hand or can be compiled so; undefined where it cannot. */
  #loadNow(settings: WasmSettings): Promise<void> | undefined {
    try {
      const module = settings.module ?? this.#platform.wasm.compileSync(settings.url);
      if (module === undefined) return undefined;
      const backend: Backend = createWasmBackend(
        module,
        this.#backendOptions(module, settings, () => backend),
      );
      this.#state = { kind: 'ready', settings, backend };
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(this.#fail(settings, error));
    }
  }

  async #loadAsync(settings: WasmSettings): Promise<void> {
    const module = settings.module ?? (await this.#platform.wasm.compile(settings.url));
    // Teams need workers; a caller-compiled module gives no place to look for its threaded build.
    const { compileTeam } = this.#platform.wasm;
    if (compileTeam && settings.workers && !settings.module) this.#teamModule = await compileTeam(settings.url);
    const backend: Backend = await instantiateWasmBackend(
      module,
      this.#backendOptions(module, settings, () => backend),
    );
    this.#state = { kind: 'ready', settings, backend };
  }

  #backendOptions(module: WebAssembly.Module, settings: WasmSettings, self: () => Backend): WasmBackendOptions {
    const pool = (): WasmPool =>
      (this.#pool ??= this.#platform.wasm.createPool(module, settings.maxMemoryBytes, settings.capSetting, this.#fits, this.#teamModule));
    const inline = (problem: FitProblem): AsyncKernelFit => inlineAsyncFit(self().createFit(problem));
    return {
      maxMemoryBytes: settings.maxMemoryBytes,
      maxMemorySetting: settings.capSetting,
      createAsyncFit: (problem) => (settings.workers ? pool().createAsyncFit(problem) : inline(problem)),
      runGroupAsync: (problems, maxIter) =>
        settings.workers ? pool().runGroupAsync(problems, maxIter) : fitSequence(inline, problems, maxIter),
    };
  }

  /** Records a failed load (why, and the fix for it) and returns the error. */
  #fail(settings: WasmSettings | undefined, error: unknown): Error {
    const e = error instanceof Error ? error : plainError('NMFKIT_BACKEND_UNAVAILABLE', String(error));
    const fix = e.message.startsWith(MEMORY_CAP_VARIABLE)
      ? MEMORY_CAP_FIX
      : OUT_OF_MEMORY.test(e.message)
        ? NO_MEMORY_FIX
        : this.#platform.wasm.loadFix({ module: settings?.module !== undefined, url: settings?.url ?? this.#platform.wasm.defaultUrl() });
    this.#state = { kind: 'failed', settings, error: e, fix };
    return e;
  }

  /** The loaded backend's facts for `backendInfo()`, or why it is not loaded. */
  info():
    | { loaded: true; simd: boolean; memoryBytes: number; maxMemoryBytes: number; settings: WasmSettings }
    | { loaded: false; reason: string; fix: string } {
    const use = this.use();
    if (!use.ok) return { loaded: false, reason: use.reason, fix: use.fix };
    const details = use.backend.details();
    return {
      loaded: true,
      simd: details.simd ?? true,
      memoryBytes: details.memoryBytes ?? 0,
      maxMemoryBytes: details.maxMemoryBytes ?? use.settings.maxMemoryBytes,
      settings: use.settings,
    };
  }

  /** Whether async fits can run on teams of workers: the threaded build was loaded beside the module. */
  teams(): boolean {
    return this.#teamModule !== undefined;
  }

  /** Bytes of wasm memory held by each worker of the pool (empty before the first async fit). */
  workerMemory(): Promise<number[]> {
    return this.#pool ? this.#pool.memoryBytes() : Promise.resolve([]);
  }
}

/** The options of `given` that differ from `current`, for the error of a later ready() that tries to change them. */
function conflicts(current: WasmSettings, given: GivenReadyOptions): string[] {
  const differing: string[] = [];
  if (given.module !== undefined && given.module !== current.module) differing.push('module');
  if (given.url !== undefined && (current.module !== undefined || given.url.href !== current.url.href)) differing.push('url');
  if (given.maxMemoryBytes !== undefined && given.maxMemoryBytes !== current.maxMemoryBytes) differing.push('maxMemoryBytes');
  if (given.workers !== undefined && given.workers !== current.workers) differing.push('workers');
  return differing;
}
