/**
 * The Web Worker of the WebAssembly-only entry's pool (a module worker: dist/backends/wasm-web-worker.js, started
 * by ./wasm-web.ts). The same host as Node's worker threads (./wasm-worker-host.ts), over `self`'s message port.
 * Imports nothing but runtime-neutral modules.
 */
import type { PoolRequest } from './wasm-protocol.js';
import { createWorkerHost } from './wasm-worker-host.js';

/** The parts of a dedicated worker's global scope used here (the project compiles against the DOM library). */
interface WorkerScope {
  postMessage(message: unknown, transfer: Transferable[]): void;
  onmessage: ((event: MessageEvent<PoolRequest>) => void) | null;
}

const scope = globalThis as unknown as WorkerScope;
const handle = createWorkerHost(({ reply, transfer }) => scope.postMessage(reply, transfer));
scope.onmessage = (event) => handle(event.data);
