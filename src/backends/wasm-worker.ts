/**
 * A worker thread of Node's wasm pool: hosts wasm fits so that their iterations run off the main thread. All the
 * logic is in ./wasm-worker-host.ts, shared with the Web Worker of the WebAssembly-only entry.
 */
import { parentPort } from 'node:worker_threads';
import type { PoolRequest } from './wasm-protocol.js';
import { createWorkerHost } from './wasm-worker-host.js';

const port = parentPort!;
const handle = createWorkerHost(({ reply, transfer }) => port.postMessage(reply, transfer));
port.on('message', (request: PoolRequest) => handle(request));
