/**
 * Node's primitives for the WebAssembly backend: read and compile wasm/nmfkit.wasm next to the package, and a pool
 * of worker threads (./wasm-pool.ts over a worker_threads port) for fits that run off the main thread. The one
 * place of the wasm backend that uses Node built-ins; ./wasm.ts itself is runtime-neutral. What is loaded with
 * which settings is the entry policy's (../entry/wasm-loader.ts).
 */

import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { WasmPool, type PortEvents, type WorkerPort } from './wasm-pool.js';
import { compileWasmModule } from './wasm.js';
import { TEAM_WASM_FILE, teamsAvailable } from './wasm-team.js';
import { plainError } from '../errors.js';

/** wasm/nmfkit.wasm relative to this file: the same from src/backends/ (tests) and dist/backends/ (package). */
export const WASM_URL = new URL('../../wasm/nmfkit.wasm', import.meta.url);

/** The threaded build of the same sources (assembly/team.ts), for fits on a team of worker threads. */
const TEAM_WASM_URL = new URL(`../../wasm/${TEAM_WASM_FILE}`, import.meta.url);

/** The threaded module, where this runtime can share memory between threads and the file is there; else undefined. */
function compileTeamModule(): WebAssembly.Module | undefined {
  if (!teamsAvailable()) return undefined;
  try {
    return new WebAssembly.Module(readFileSync(TEAM_WASM_URL));
  } catch {
    return undefined; // fits keep one worker each
  }
}

/**
 * The worker's compiled script. Resolved from the package's dist/ folder in both layouts (this file in
 * src/backends under the test runner, or in dist/backends when installed): worker threads need JavaScript.
 */
const WORKER_URL = new URL('../../dist/backends/wasm-worker.js', import.meta.url);

/**
 * The process's Node options minus those about its own entry script, which a worker thread would otherwise inherit
 * and choke on (`node --input-type=module -e …` makes every worker fail with ERR_INPUT_TYPE_NOT_ALLOWED).
 */
function workerExecArgv(): string[] {
  const out: string[] = [];
  const args = process.execArgv;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (['--input-type', '-e', '--eval', '-p', '--print'].includes(arg))
      i++; // and its value
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
  worker.on('error', (error) =>
    events.death(plainError('NMFKIT_WORKER_EXITED', `nmfkit: a wasm worker thread failed: ${error.message}`, { cause: error })),
  );
  worker.on('exit', (code) =>
    events.death(plainError('NMFKIT_WORKER_EXITED', `nmfkit: a wasm worker thread exited (code ${code}) during a fit`)),
  );
  return {
    post: (request, transfer) => worker.postMessage(request, transfer),
    busy: (busy) => (busy ? worker.ref() : worker.unref()),
  };
}

/** Reads and compiles the module at a file: URL synchronously; undefined for any other URL (to be fetched). */
export function compileWasmFileSync(url: URL): WebAssembly.Module | undefined {
  if (url.protocol !== 'file:') return undefined;
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = readFileSync(url);
  } catch (cause) {
    throw plainError(
      'NMFKIT_BACKEND_UNAVAILABLE',
      `nmfkit: cannot read the WebAssembly backend at ${url.pathname} (in a source checkout, run \`npm run build:wasm\`)`,
      {
        cause,
      },
    );
  }
  return compileWasmModule(bytes);
}

/** A pool of worker threads for async wasm fits; it starts no thread until the first one. */
export function createThreadPool(
  module: WebAssembly.Module,
  maxMemoryBytes: number,
  maxMemorySetting: string,
  size: () => number,
): WasmPool {
  const teamModule = compileTeamModule();
  return new WasmPool({
    spawn: spawnThread,
    size,
    init: () => ({ module, maxMemoryBytes, maxMemorySetting, ...(teamModule && { teamModule }) }),
  });
}
