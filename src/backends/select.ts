/**
 * Backend choice for Node: native if the addon loads, else wasm; `NMFKIT_BACKEND=native|wasm` overrides the
 * automatic choice; an explicit `backend` option on a call overrides both. Each backend is loaded once, on first
 * use, and a load failure is kept with its explanation for `backendInfo()` and for the error of a call that
 * insists on that backend.
 */
import type { Backend } from '../contract.js';
import type { BackendInfo, BackendName } from '../types.js';
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
      wasmLoad = {
        ok: false,
        reason: error instanceof Error ? error.message : String(error),
        fix: 'run `npm run build:wasm` in the nmfkit package (the file wasm/nmfkit.wasm is missing or invalid), and use a runtime with WebAssembly SIMD (Node ≥ 16.4)',
      };
    }
  }
  return wasmLoad;
}

/** The `NMFKIT_BACKEND` override, or undefined when unset or 'auto'. */
function environmentChoice(): BackendName | undefined {
  const value = globalThis.process?.env?.NMFKIT_BACKEND?.trim();
  if (value === undefined || value === '' || value === 'auto') return undefined;
  if (value === 'native' || value === 'wasm') return value;
  throw new RangeError(`NMFKIT_BACKEND must be 'native', 'wasm' or 'auto', got ${JSON.stringify(value)}`);
}

/** An Error saying why a backend is unavailable and how to fix it. */
function unavailable(name: BackendName, load: { reason: string; fix: string }, why: string): Error {
  return new Error(`nmfkit: the ${name} backend was requested (${why}) but is not available: ${load.reason}. Fix: ${load.fix}`, {
    cause: load,
  });
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
    backend,
    chosenBy: forced ? 'NMFKIT_BACKEND' : 'auto',
    native: n.ok ? { loaded: true, blas: n.backend.details().blas! } : { loaded: false, reason: n.reason, fix: n.fix },
    wasm: w.ok
      ? { loaded: true, simd: w.backend.details().simd ?? false, memoryBytes: w.backend.details().memoryBytes ?? 0 }
      : { loaded: false, reason: w.reason, fix: w.fix },
    threads: threadSettings(),
  };
}
