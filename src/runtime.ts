/**
 * What an entry point (Node, or WebAssembly-only for browsers and edge runtimes) provides to the fit functions:
 * how backends are chosen and how async fits are admitted. The fit functions themselves (nmf.ts, batch.ts) are
 * the same everywhere.
 */
import type { Backend } from './contract.js';
import type { BackendName } from './types.js';

export interface Runtime {
  /** The backend for a call's `backend` option; throws an Error that explains an unavailable backend. */
  chooseBackend(requested: 'auto' | BackendName): Backend;
  /** Runs an async fit when the runtime's policy admits it; rejects with an AbortError if `signal` aborts while it waits. */
  scheduled<T>(backend: BackendName, task: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  /** How many async fits wait for `scheduled` on `backend`. */
  waiting(backend: BackendName): number;
  /**
   * The threads a fit about to start on `backend` may use: the `fits` setting shared by the native fits running
   * (this one included; `sync`: a synchronous fit, not admitted), at least 1; 1 on wasm.
   */
  availableThreads(backend: BackendName, sync: boolean): number;
  /** Called before a synchronous fit starts on `backend` (native: apply the BLAS thread setting). */
  beforeSync(backend: BackendName): void;
  /**
   * Where an async fit's copy of V goes when it will run on the backend `requested` resolves to: that backend's
   * `allocateMatrix` (native), or undefined for an ordinary Float64Array. Never throws and loads nothing the fit
   * would not load anyway.
   */
  matrixAllocator(requested: 'auto' | BackendName): ((length: number) => Float64Array) | undefined;
  /** How many fits may run at once: the number of runners a batch uses. */
  concurrency(): number;
  /**
   * Loads what async fits need before they choose a backend (the WebAssembly-only entry: its lazy wasm backend);
   * undefined where there is nothing to wait for (backends that load synchronously on first use). Never rejects:
   * `chooseBackend` reports a failed load.
   */
  prepare(): Promise<void> | undefined;
}
