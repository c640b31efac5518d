/**
 * The Node entry's platform: the native addon (OpenBLAS, on the libuv pool), the wasm module read from the
 * package's own file and run in worker threads, the machine's cores and memory, and `process.env`. The policy
 * over them is ./policy.ts; src/index.ts exports what this instance provides.
 */
import { availableParallelism, totalmem } from 'node:os';
import { types } from 'node:util';
import { loadNativeBackend, setNativeThreads } from '../backends/native.js';
import { createThreadPool, WASM_URL } from '../backends/wasm-node.js';
import { compileWasmModule } from '../backends/wasm.js';
import { compileCapped, nodeFs, readWasmFileSync } from './wasm-file.js';
import type { Backend } from '../contract.js';
import type { BackendInfo, BackendName, ReadyOptions, ThreadSettings } from '../types.js';
import { MEMORY_CAP_VARIABLE } from './environment.js';
import type { Platform } from './platform.js';
import { EntryPolicy } from './policy.js';
import { plainError } from '../errors.js';

/** This machine's memory, or the cgroup limit of its container if lower. */
function machineMemory(): number {
  const total = totalmem();
  const constrained = process.constrainedMemory?.() ?? 0;
  return constrained > 0 && constrained < total ? constrained : total;
}

/** libuv's pool size: UV_THREADPOOL_SIZE (capped at libuv's own 1024), default 4. */
function libuvPoolSize(): number {
  const size = Number.parseInt(process.env.UV_THREADPOOL_SIZE ?? '', 10);
  return Number.isInteger(size) && size > 0 ? Math.min(size, 1024) : 4;
}

/** The code of the warning a Node process gets when its fits run on wasm for want of the native addon. */
export const FALLBACK_WARNING_CODE = 'NMFKIT_NATIVE_UNAVAILABLE';

/** The default cap on the wasm backend's memory in the Node entry: what a 32-bit memory holds (4 GiB). */
export const DEFAULT_MAX_MEMORY_BYTES = 2 ** 32;

const nodePlatform: Platform = {
  isProxy: (value) => types.isProxy(value),
  warnFallback: (reason, fix) =>
    process.emitWarning(
      `nmfkit runs on its WebAssembly backend (about 2× slower): ${reason}. Fix: ${fix}. ` +
        '(Choosing a backend — options.backend or NMFKIT_BACKEND — silences this.)',
      { type: 'NmfkitWarning', code: FALLBACK_WARNING_CODE },
    ),
  entry: 'node',
  env: (name) => process.env[name],
  cores: () => availableParallelism(),
  machineMemory,
  loadNative: loadNativeBackend,
  blas: { setThreads: setNativeThreads, poolSize: libuvPoolSize },
  wasm: {
    defaultUrl: () => WASM_URL,
    // No cap below what a 32-bit memory holds: a Node process has the machine's memory (checkFitMemory).
    defaultMaxMemoryBytes: DEFAULT_MAX_MEMORY_BYTES,
    defaultCapSetting: MEMORY_CAP_VARIABLE,
    // file: URLs are read here, with a size cap (./wasm-file.ts); other URLs are fetched.
    compileSync: (url) => {
      const fs = nodeFs();
      if (url.protocol !== 'file:' || !fs) return undefined;
      const cannotRead = (cause: unknown): Error =>
        plainError(
          'NMFKIT_BACKEND_UNAVAILABLE',
          `nmfkit: cannot read the WebAssembly backend at ${url.pathname} (in a source checkout, run \`npm run build:wasm\`)`,
          {
            cause,
          },
        );
      return compileWasmModule(readWasmFileSync(fs, url, cannotRead));
    },
    compile: compileCapped,
    instantiateSync: true,
    loadFix: ({ module, url }) =>
      module
        ? 'pass a WebAssembly.Module compiled from nmfkit/nmfkit.wasm to ready({ module })'
        : url.href === WASM_URL.href
          ? 'run `npm run build:wasm` in the nmfkit package (the file wasm/nmfkit.wasm is missing or invalid), and use a runtime with WebAssembly SIMD (Node ≥ 16.4)'
          : `make ${url.href} nmfkit's wasm/nmfkit.wasm (or leave out ready({ url }) to read the package's own file)`,
    workersAvailable: () => true,
    createPool: createThreadPool,
  },
};

const policy = new EntryPolicy(nodePlatform);

/** What the fit functions (nmf.ts, batch.ts) need of the Node entry. */
export const nodeRuntime = policy.runtime;

/** The backend for a call's `backend` option (native, else wasm; `NMFKIT_BACKEND`); throws an Error explaining an unavailable one. */
export function chooseBackend(requested: 'auto' | BackendName): Backend {
  return policy.chooseBackend(requested);
}

/** Which backend `'auto'` uses, why, the state of both, and the thread settings. */
export function backendInfo(): BackendInfo {
  return policy.nodeInfo();
}

/**
 * Sets how many fits run at once (`fits`) and how many OpenBLAS threads each native fit uses (`blasThreads`).
 * A number sets `fits`. Fits already running keep going; waiting fits start as slots free up. A BLAS thread
 * change is applied when no native fit is in flight.
 */
export function setThreads(settings: number | { readonly fits?: number; readonly blasThreads?: number }): ThreadSettings {
  return policy.setNodeThreads(settings);
}

/**
 * Resolves once the backend for `backend: 'auto'` is loaded, or rejects with the error a fit would get. The Node
 * entry loads its backends synchronously on first use, so this is only needed to give the wasm backend options
 * (`maxMemoryBytes`, `module`, `url`, `workers`: see {@link ReadyOptions}) before a fit or `backendInfo()` loads it
 * with the defaults; code written for the WebAssembly-only entry (where `await ready()` must precede `nmfSync`)
 * runs unchanged. Options that differ from those of a wasm backend already loaded reject with a RangeError.
 */
export function ready(options?: ReadyOptions): Promise<void> {
  return policy.ready(options);
}

/** Slots in use per backend (for diagnostics and tests). */
export function activeFits(): Record<BackendName, number> {
  return policy.admission.active();
}

/** Bytes of wasm memory held by each worker thread of the pool (empty before the first async fit). */
export function wasmWorkerMemory(): Promise<number[]> {
  return policy.wasm.workerMemory();
}
