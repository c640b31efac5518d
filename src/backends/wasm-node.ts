/**
 * Node's way to get the WebAssembly backend: read wasm/nmfkit.wasm next to the package, compile it, and give it
 * a pool of worker threads (./wasm-pool.ts over a worker_threads port) for fits that run off the main thread. The
 * one place of the wasm backend that uses Node built-ins; ./wasm.ts itself is runtime-neutral.
 */

import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { Backend } from '../contract.js';
import { threadSettings } from '../threads.js';
import { WasmPool, type PortEvents, type WorkerPort } from './wasm-pool.js';
import { compileWasmModule, createWasmBackend } from './wasm.js';

/** wasm/nmfkit.wasm relative to this file: the same from src/backends/ (tests) and dist/backends/ (package). */
const WASM_URL = new URL('../../wasm/nmfkit.wasm', import.meta.url);

/**
 * The worker's compiled script. Resolved from the package's dist/ folder in both layouts (this file in
 * src/backends under the test runner, or in dist/backends when installed): worker threads need JavaScript.
 */
const WORKER_URL = new URL('../../dist/backends/wasm-worker.js', import.meta.url);

/** How the cap on each wasm instance's memory is set in Node (named in the RangeError of a fit that exceeds it). */
const MAX_MEMORY_SETTING = 'NMFKIT_WASM_MAX_MEMORY';

/** The worker pool of async wasm fits, shared by every instance loaded here; started on first use. */
let pool: WasmPool | undefined;

/** Bytes of wasm memory held by each worker thread of the pool (empty before the first async fit). */
export function wasmWorkerMemory(): Promise<number[]> {
  return pool ? pool.memoryBytes() : Promise.resolve([]);
}

/**
 * The cap on each wasm instance's linear memory: `NMFKIT_WASM_MAX_MEMORY` (bytes, optionally with a K, M or G
 * suffix for KiB, MiB, GiB), default 4 GiB — the most a 32-bit memory holds, so no cap beyond that.
 */
export function wasmMemoryCap(): number {
  const value = process.env[MAX_MEMORY_SETTING]?.trim();
  if (value === undefined || value === '') return 2 ** 32;
  const match = /^(\d+)\s*([KMG]i?B?)?$/i.exec(value);
  const unit = match?.[2]?.[0]?.toUpperCase();
  const bytes = match ? Number(match[1]) * (unit === 'K' ? 2 ** 10 : unit === 'M' ? 2 ** 20 : unit === 'G' ? 2 ** 30 : 1) : NaN;
  if (!Number.isSafeInteger(bytes) || bytes < 2 ** 20 || bytes > 2 ** 32) {
    throw new RangeError(
      `${MAX_MEMORY_SETTING} must be a number of bytes between 1M and 4G (e.g. 268435456, 256M or 1G), got ${JSON.stringify(value)}`,
    );
  }
  return bytes;
}

/**
 * The process's Node options minus those about its own entry script, which a worker thread would otherwise inherit
 * and choke on (`node --input-type=module -e …` makes every worker fail with ERR_INPUT_TYPE_NOT_ALLOWED).
 */
function workerExecArgv(): string[] {
  const out: string[] = [];
  const args = process.execArgv;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (['--input-type', '-e', '--eval', '-p', '--print'].includes(arg)) i++; // and its value
    else if (!arg.startsWith('--input-type=') && !arg.startsWith('--eval=') && !arg.startsWith('--print=')) out.push(arg);
  }
  return out;
}

/** A worker thread running ./wasm-worker.ts, as a pool port. It does not keep the process alive while idle. */
function spawnThread(events: PortEvents): WorkerPort {
  let worker: Worker;
  try {
    worker = new Worker(WORKER_URL, { execArgv: workerExecArgv() });
  } catch (error) {
    // V8 and per-process flags on the command line (`node --max-old-space-size=4096 app.js`, --expose-gc,
    // --stack-size, --title, …) are refused in a worker's execArgv; the pool's workers need none of them.
    if ((error as { code?: unknown }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw error;
    worker = new Worker(WORKER_URL, { execArgv: [] });
  }
  worker.unref();
  worker.on('message', events.message);
  worker.on('error', (error) => events.death(new Error(`nmfkit: a wasm worker thread failed: ${error.message}`, { cause: error })));
  worker.on('exit', (code) => events.death(new Error(`nmfkit: a wasm worker thread exited (code ${code}) during a fit`)));
  return {
    post: (request, transfer) => worker.postMessage(request, transfer),
    busy: (busy) => (busy ? worker.ref() : worker.unref()),
  };
}

/**
 * Reads, compiles and instantiates the module synchronously. The worker pool behind createAsyncFit starts no
 * thread until the first async fit; each of its threads instantiates the module compiled here.
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
  const module = compileWasmModule(bytes);
  const maxMemoryBytes = wasmMemoryCap();
  return createWasmBackend(module, {
    maxMemoryBytes,
    maxMemorySetting: MAX_MEMORY_SETTING,
    createAsyncFit: (problem) => {
      pool ??= new WasmPool({
        spawn: spawnThread,
        size: () => threadSettings().fits,
        init: () => ({ module, maxMemoryBytes, maxMemorySetting: MAX_MEMORY_SETTING }),
      });
      return pool.createAsyncFit(problem);
    },
  });
}
