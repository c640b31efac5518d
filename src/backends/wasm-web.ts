/**
 * The WebAssembly-only entry's host side of the wasm backend: getting a compiled module (fetch + streaming
 * compilation, or a module the caller compiled) and Web Workers as pool ports (./wasm-pool.ts). Imports no Node
 * built-ins; see ../runtime-browser.ts for how they are put together.
 */
import { WasmPool, type PortEvents, type WorkerPort } from './wasm-pool.js';
import { compileFailed, compileWasmModuleAsync } from './wasm.js';
import { MAX_WASM_BYTES, wasmTooLarge } from './wasm-size.js';
import { plainError } from '../errors.js';
import { TEAM_WASM_FILE, teamsAvailable } from './wasm-team.js';

/** The parts of `process` used when the WebAssembly-only entry runs in Node (`--no-addons`): no import needed. */
interface NodeProcess {
  readonly versions?: { readonly node?: string };
  getBuiltinModule?(id: 'node:fs/promises'): { readFile(path: URL): Promise<Uint8Array<ArrayBuffer>> };
}

/**
 * Fetches and compiles the module at `url`: `WebAssembly.compileStreaming` when the server sends it as
 * application/wasm, else (or when streaming fails for another reason than a bad module) from its bytes. A file:
 * URL in Node — which has no file: fetch — is read with fs through `process.getBuiltinModule`, not an import, so
 * the module graph stays free of Node built-ins for bundlers and browsers.
 */
export async function fetchWasmModule(url: URL): Promise<WebAssembly.Module> {
  const nodeProcess = (globalThis as { process?: NodeProcess }).process;
  if (url.protocol === 'file:' && nodeProcess?.getBuiltinModule) {
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = await nodeProcess.getBuiltinModule('node:fs/promises').readFile(url);
    } catch (cause) {
      throw plainError('NMFKIT_BACKEND_UNAVAILABLE', `nmfkit: cannot read the WebAssembly backend at ${url.href}`, { cause });
    }
    return compileWasmModuleAsync(bytes);
  }
  let response: Response;
  try {
    response = await fetch(url);
  } catch (cause) {
    throw plainError('NMFKIT_BACKEND_UNAVAILABLE', `nmfkit: cannot fetch the WebAssembly backend from ${url.href}`, { cause });
  }
  if (!response.ok) {
    throw plainError(
      'NMFKIT_BACKEND_UNAVAILABLE',
      `nmfkit: cannot fetch the WebAssembly backend from ${url.href}: HTTP ${response.status} ${response.statusText}`.trim(),
    );
  }
  // A declared length over the cap is refused before the body is read; a missing one is counted while reading.
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > MAX_WASM_BYTES) {
    await response.body?.cancel().catch(() => undefined);
    throw wasmTooLarge(url);
  }
  const type = response.headers.get('content-type') ?? '';
  if (Number.isFinite(declared) && typeof WebAssembly.compileStreaming === 'function' && /^application\/wasm\b/i.test(type)) {
    try {
      return await WebAssembly.compileStreaming(response.clone());
    } catch (cause) {
      // A module the runtime cannot compile fails the same way from bytes; anything else (a streaming quirk) may not.
      if (cause instanceof WebAssembly.CompileError) throw compileFailed(cause);
    }
  }
  return compileWasmModuleAsync(await cappedBody(response, url));
}

/** The response's body, refused (and its stream cancelled) once more than MAX_WASM_BYTES have arrived. */
async function cappedBody(response: Response, url: URL): Promise<Uint8Array<ArrayBuffer>> {
  if (!response.body) return new Uint8Array(await response.arrayBuffer());
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > MAX_WASM_BYTES) {
      await reader.cancel().catch(() => undefined);
      throw wasmTooLarge(url);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return bytes;
}

/** Whether this runtime can start module Web Workers. */
export function webWorkersAvailable(): boolean {
  return typeof Worker === 'function';
}

const WORKER_HINT =
  'the worker script dist/backends/wasm-web-worker.js must be served next to dist/browser.js (bundlers that ' +
  "understand `new Worker(new URL(…, import.meta.url), { type: 'module' })` copy it), or call ready({ workers: false }) " +
  'to run fits on the calling thread';

/** A module Web Worker running ./wasm-web-worker.ts, as a pool port. */
function spawnWebWorker(events: PortEvents): WorkerPort {
  // This exact form lets bundlers (Vite, webpack 5, Parcel, esbuild with plugins) find and emit the worker script.
  const worker = new Worker(new URL('./wasm-web-worker.js', import.meta.url), { type: 'module', name: 'nmfkit-wasm' });
  const die = (error: Error): void => {
    worker.terminate();
    events.death(error);
  };
  worker.onmessage = (event: MessageEvent) => events.message(event.data);
  worker.onerror = (event: ErrorEvent) => {
    event.preventDefault();
    const what = event.message ? `failed: ${event.message}` : 'could not be started';
    die(plainError('NMFKIT_WORKER_EXITED', `nmfkit: a wasm Web Worker ${what} (${WORKER_HINT})`));
  };
  worker.onmessageerror = () => die(plainError('NMFKIT_WORKER_EXITED', 'nmfkit: a message from a wasm Web Worker could not be read'));
  return { post: (request, transfer) => worker.postMessage(request, transfer), busy: () => {} };
}

/**
 * The threaded build (nmfkit-threads.wasm) beside the module at `url`, where the page can share memory with its
 * workers (cross-origin isolated); undefined where it cannot or the file is not served: fits keep one worker each.
 */
export async function fetchTeamModule(
  url: URL,
  compile: (url: URL) => Promise<WebAssembly.Module>,
): Promise<WebAssembly.Module | undefined> {
  if (!teamsAvailable()) return undefined;
  try {
    return await compile(new URL(TEAM_WASM_FILE, url));
  } catch {
    return undefined;
  }
}

/** A pool of module Web Workers, each instantiating `module` with the given memory cap (and `teamModule` for teams). */
export function createWebWorkerPool(
  module: WebAssembly.Module,
  maxMemoryBytes: number,
  maxMemorySetting: string,
  size: () => number,
  teamModule?: WebAssembly.Module,
): WasmPool {
  return new WasmPool({
    spawn: spawnWebWorker,
    size,
    init: () => ({ module, maxMemoryBytes, maxMemorySetting, ...(teamModule && { teamModule }) }),
  });
}
