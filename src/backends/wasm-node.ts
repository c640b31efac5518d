/**
 * Node's way to get the WebAssembly backend: read wasm/nmfkit.wasm next to the package, compile it, and give it
 * the worker-thread pool (./wasm-pool.ts) for fits that run off the main thread. The one place of the wasm
 * backend that uses Node built-ins; ./wasm.ts itself is runtime-neutral.
 */

import { readFileSync } from 'node:fs';
import type { Backend } from '../contract.js';
import { threadSettings } from '../threads.js';
import { WasmPool } from './wasm-pool.js';
import { compileWasmModule, createWasmBackend } from './wasm.js';

/** wasm/nmfkit.wasm relative to this file: the same from src/backends/ (tests) and dist/backends/ (package). */
const WASM_URL = new URL('../../wasm/nmfkit.wasm', import.meta.url);

/** The worker pool of async wasm fits, shared by every instance loaded here; started on first use. */
let pool: WasmPool | undefined;

/** Bytes of wasm memory held by each worker thread of the pool (empty before the first async fit). */
export function wasmWorkerMemory(): Promise<number[]> {
  return pool ? pool.memoryBytes() : Promise.resolve([]);
}

/**
 * Reads, compiles and instantiates the module synchronously. The worker pool behind createAsyncFit starts no
 * thread until the first async fit (so a pool worker, which loads the backend too, never starts one).
 */
export function loadWasmBackendSync(): Backend {
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = readFileSync(WASM_URL);
  } catch (cause) {
    throw new Error(
      `nmfkit: cannot read the WebAssembly backend at ${WASM_URL.pathname} (in a source checkout, run ` +
        '`npm run build:wasm`)',
      { cause },
    );
  }
  return createWasmBackend(compileWasmModule(bytes), (problem) => {
    pool ??= new WasmPool(() => threadSettings().fits);
    return pool.createAsyncFit(problem);
  });
}
