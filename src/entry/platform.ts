/**
 * What a runtime supplies to the entry policy (./policy.ts): primitives only — how to load each backend, how many
 * cores there are, how to read an environment variable, how to get, compile and instantiate the wasm module and
 * how to start its workers. Every decision made with them (which backend, with which settings, how many fits at
 * once, what the errors say) is the policy's, the same for both entries.
 */
import type { Backend } from '../contract.js';
import type { WasmPool } from '../backends/wasm-pool.js';

/** A backend that loaded, or why it did not and what to do about it. */
export type BackendLoad =
  { readonly ok: true; readonly backend: Backend } | { readonly ok: false; readonly reason: string; readonly fix: string };

export interface Platform {
  /** Which entry point this is; `backendInfo().entry`. */
  readonly entry: 'node' | 'wasm-only';
  /** An environment variable, or undefined where it is unset or the runtime has no environment (or refuses access). */
  env(name: string): string | undefined;
  /** How many fits may run at once by default: the cores of the machine (at least 1). */
  cores(): number;
  /** Bytes of memory this process may use (the machine's, or its container's limit if lower); undefined if unknown. */
  machineMemory(): number | undefined;
  /** Loads the native backend, or says why it cannot be loaded here. Never throws; called once. */
  loadNative(): BackendLoad;
  /** OpenBLAS's thread pool and the libuv pool native async fits run on; absent where there is no native backend. */
  readonly blas?: {
    /** Sets OpenBLAS's thread count (only ever called while no native fit runs). */
    setThreads(threads: number): void;
    /** Threads of the libuv pool, which native async fits share with fs, dns and crypto. */
    poolSize(): number;
  };
  readonly wasm: WasmPlatform;
  /** Whether a value is a Proxy, where the runtime can tell (Node); absent elsewhere. */
  isProxy?(value: unknown): boolean;
  /**
   * Tells the user, once per process, that a fit runs on WebAssembly because the native backend, which this
   * runtime would have used, did not load (Node: `process.emitWarning`); absent where wasm is the only backend.
   */
  warnFallback?(reason: string, fix: string): void;
}

export interface WasmPlatform {
  /** Where wasm/nmfkit.wasm is when `ready()` is given neither `module` nor `url`. */
  defaultUrl(): URL;
  /** The cap on each instance's memory when neither `ready()` nor the environment sets one. */
  readonly defaultMaxMemoryBytes: number;
  /** How a caller sets that default cap, named in the RangeError of a fit over it. */
  readonly defaultCapSetting: string;
  /** Compiles the module at `url` synchronously where this runtime can (Node: file: URLs), else returns undefined. */
  compileSync(url: URL): WebAssembly.Module | undefined;
  /** Fetches (or reads) and compiles the module at `url`. */
  compile(url: URL): Promise<WebAssembly.Module>;
  /** Whether a module may be instantiated synchronously here (browsers refuse it on their main thread). */
  readonly instantiateSync: boolean;
  /** What to do when loading from `url` (or from the caller's module) failed. */
  loadFix(source: { readonly module: boolean; readonly url: URL }): string;
  /** Whether wasm fits can run on threads of their own here (worker threads, module Web Workers). */
  workersAvailable(): boolean;
  /**
   * The threaded build (wasm/nmfkit-threads.wasm) beside the module at `url`, for fits on a team of workers over a
   * shared memory; undefined where this runtime cannot share memory with its workers or the file cannot be had (fits
   * then keep one worker each). Absent where the pool finds the threaded build itself (Node).
   */
  compileTeam?(url: URL): Promise<WebAssembly.Module | undefined>;
  /**
   * A pool of workers that instantiate `module` with the given cap, at most `size()` of them; `teamModule`, when
   * given, is the threaded build they run team fits on.
   */
  createPool(
    module: WebAssembly.Module,
    maxMemoryBytes: number,
    maxMemorySetting: string,
    size: () => number,
    teamModule?: WebAssembly.Module,
  ): WasmPool;
}
