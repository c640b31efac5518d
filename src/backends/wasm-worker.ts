/**
 * A worker thread of the wasm pool: hosts wasm fits so that their iterations run off the main thread.
 * Iterations run one kernel call at a time so that the shared stop flag is seen between any two of them.
 */
import { parentPort } from 'node:worker_threads';
import type { KernelFit } from '../contract.js';
import type { PoolReply, PoolRequest } from './wasm-protocol.js';
import { loadWasmBackendSync } from './wasm-node.js';

interface HostedFit {
  readonly fit: KernelFit;
  readonly tol: number;
  readonly stop: Int32Array;
}

const backend = loadWasmBackendSync();
const fits = new Map<number, HostedFit>();
const port = parentPort!;

function hosted(id: number): HostedFit {
  const found = fits.get(id);
  if (!found) throw new Error(`nmfkit wasm worker: fit ${id} does not exist (it was disposed)`);
  return found;
}

/** Runs up to `steps` iterations, stopping at the tolerance test (as KernelFit.run does) or when asked to. */
function run(id: number, steps: number): PoolReply {
  const { fit, tol, stop } = hosted(id);
  const h = new Float64Array(steps);
  const w = new Float64Array(steps);
  let executed = 0;
  while (executed < steps && Atomics.load(stop, 0) === 0) {
    fit.run(1, h, w, executed);
    executed++;
    if (h[executed - 1]! < tol && w[executed - 1]! < tol) break;
  }
  return { type: 'ran', id, executed, h: h.subarray(0, executed), w: w.subarray(0, executed) };
}

function handle(request: PoolRequest): PoolReply {
  const { id } = request;
  switch (request.type) {
    case 'create':
      fits.set(id, { fit: backend.createFit(request.problem), tol: request.problem.tol, stop: request.stop });
      return { type: 'done', id };
    case 'run':
      return run(id, request.steps);
    case 'finish':
      return { type: 'finished', id, result: hosted(id).fit.finish(request.normalize) };
    case 'dispose':
      fits.get(id)?.fit.dispose();
      fits.delete(id);
      return { type: 'done', id };
    case 'memory':
      return { type: 'memory', id, bytes: backend.details().memoryBytes ?? 0 };
  }
}

port.on('message', (request: PoolRequest) => {
  let reply: PoolReply;
  try {
    reply = handle(request);
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    reply = { type: 'failed', id: request.id, name: e.name, message: e.message };
  }
  const transfer = reply.type === 'finished' ? [reply.result.W.buffer, reply.result.H.buffer] : [];
  port.postMessage(reply, transfer as ArrayBuffer[]);
});
