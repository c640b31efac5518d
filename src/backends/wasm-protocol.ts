/**
 * Messages between the main thread's wasm pool (wasm-pool.ts) and its worker threads (wasm-worker.ts). Every
 * request gets exactly one reply, and a worker answers in the order it was asked.
 */
import type { FitProblem, KernelNormalize, KernelResult } from '../contract.js';

export type PoolRequest =
  /** `stop` is a shared Int32Array(1): the main thread stores 1 in it to stop the fit between iterations. */
  | { readonly type: 'create'; readonly id: number; readonly problem: FitProblem; readonly stop: Int32Array }
  | { readonly type: 'run'; readonly id: number; readonly steps: number }
  | { readonly type: 'finish'; readonly id: number; readonly normalize: KernelNormalize }
  | { readonly type: 'dispose'; readonly id: number }
  /** Bytes of the worker's wasm memory (for backendInfo and leak checks). */
  | { readonly type: 'memory'; readonly id: number };

export type PoolReply =
  | { readonly type: 'done'; readonly id: number }
  | { readonly type: 'memory'; readonly id: number; readonly bytes: number }
  | { readonly type: 'ran'; readonly id: number; readonly executed: number; readonly h: Float64Array; readonly w: Float64Array }
  | { readonly type: 'finished'; readonly id: number; readonly result: KernelResult }
  | { readonly type: 'failed'; readonly id: number; readonly name: string; readonly message: string };
