/**
 * Backend choice for Node: native if the addon loads, else wasm; `NMFKIT_BACKEND=native|wasm` overrides the
 * automatic choice; an explicit `backend` option on a call overrides both. Each backend is loaded once, on first
 * use, and a load failure is kept with its explanation for `backendInfo()` and for the error of a call that
 * insists on that backend.
 */
import type { Backend } from '../contract.js';
import type { BackendInfo, BackendName } from '../types.js';
import { environmentChoice, unavailable } from './choice.js';
import { loadNativeBackend, type NativeLoad } from './native.js';
import { loadWasmBackendSync } from './wasm-node.js';
import { applyBlasThreads } from '../schedule.js';
import { threadSettings } from '../threads.js';

type WasmLoad = { ok: true; backend: Backend } | { ok: false; reason: string; fix: string };

let nativeLoad: NativeLoad | undefined;
let wasmLoad: WasmLoad | undefined;

function native(): NativeLoad {
  if (!nativeLoad) {
    nativeLoad = loadNativeBackend();
    // OpenBLAS starts with one thread per core; the policy (threads.ts) says otherwise, from the first moment.
    if (nativeLoad.ok) applyBlasThreads();
  }
  return nativeLoad;
}

function wasm(): WasmLoad {
  if (!wasmLoad) {
    try {
      wasmLoad = { ok: true, backend: loadWasmBackendSync() };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      wasmLoad = {
        ok: false,
        reason,
        fix: reason.startsWith('NMFKIT_WASM_MAX_MEMORY')
          ? 'unset NMFKIT_WASM_MAX_MEMORY or set it to a number of bytes between 1M and 4G'
          : 'run `npm run build:wasm` in the nmfkit package (the file wasm/nmfkit.wasm is missing or invalid), and use a runtime with WebAssembly SIMD (Node ≥ 16.4)',
      };
    }
  }
  return wasmLoad;
}

/** The backend for a call's `backend` option. */
export function chooseBackend(requested: 'auto' | BackendName): Backend {
  const forced = requested === 'auto' ? environmentChoice() : requested;
  const why = requested === 'auto' ? 'NMFKIT_BACKEND' : 'options.backend';
  if (forced === 'native') {
    const load = native();
    if (!load.ok) throw unavailable('native', load, why);
    return load.backend;
  }
  if (forced === 'wasm') {
    const load = wasm();
    if (!load.ok) throw unavailable('wasm', load, why);
    return load.backend;
  }
  const n = native();
  if (n.ok) return n.backend;
  const w = wasm();
  if (w.ok) return w.backend;
  throw new Error(`nmfkit: no backend could be loaded. native: ${n.reason} (fix: ${n.fix}); wasm: ${w.reason} (fix: ${w.fix})`);
}

/** Which backend `'auto'` uses, why, and the state of both. */
export function backendInfo(): BackendInfo {
  const forced = environmentChoice();
  const n = native();
  const w = wasm();
  const backend: BackendName = forced ?? (n.ok ? 'native' : 'wasm');
  return {
    entry: 'node',
    backend,
    chosenBy: forced ? 'NMFKIT_BACKEND' : 'auto',
    native: n.ok ? { loaded: true, blas: n.backend.details().blas! } : { loaded: false, reason: n.reason, fix: n.fix },
    wasm: w.ok
      ? {
          loaded: true,
          simd: w.backend.details().simd ?? false,
          memoryBytes: w.backend.details().memoryBytes ?? 0,
          maxMemoryBytes: w.backend.details().maxMemoryBytes ?? 2 ** 32,
        }
      : { loaded: false, reason: w.reason, fix: w.fix },
    threads: threadSettings(),
  };
}
