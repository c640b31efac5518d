/**
 * Messages between a wasm pool (wasm-pool.ts, on the calling thread) and its workers (wasm-worker-host.ts, run by
 * a Node worker thread in wasm-worker.ts or a Web Worker in wasm-web-worker.ts). Every request gets exactly one
 * reply, and a worker answers in the order it was asked.
 */
import type { FitProblem, GroupFitRun, KernelResult } from '../contract.js';
import type { TeamHandle } from './wasm-team.js';

export type PoolRequest =
  /** The first request to every worker: the compiled module to instantiate and the cap on its memory. */
  | {
      readonly type: 'init';
      readonly id: number;
      readonly module: WebAssembly.Module;
      readonly maxMemoryBytes: number;
      readonly maxMemorySetting: string;
      /** The threaded module (wasm/nmfkit-threads.wasm), where teams can run: fits with threads > 1 and helpers. */
      readonly teamModule?: WebAssembly.Module;
    }
  /**
   * `stop` is a shared Int32Array(1): the calling thread stores 1 in it to stop the fit between iterations. It is
   * absent where SharedArrayBuffer is not available (a page that is not cross-origin isolated): the pool then
   * asks for `run`s with a time budget and stops between them.
   */
  | { readonly type: 'create'; readonly id: number; readonly problem: FitProblem; readonly stop?: Int32Array }
  /**
   * Runs up to `steps` iterations; with `budgetMs`, returns after the first iteration that ends past the budget.
   * With `objective`, the reply carries the objective values of the iterations run (KernelFit.run's `objective`).
   */
  | { readonly type: 'run'; readonly id: number; readonly steps: number; readonly budgetMs?: number; readonly objective?: boolean }
  /** Before the first run: V·X or Vᵀ·X of the fit's V (KernelFit.multiplyV). */
  | { readonly type: 'multiply'; readonly id: number; readonly X: Float64Array; readonly cols: number; readonly transpose: boolean }
  /** Before the first run: replaces the initial factors (KernelFit.setFactors). */
  | { readonly type: 'factors'; readonly id: number; readonly W: Float64Array; readonly H: Float64Array }
  | { readonly type: 'finish'; readonly id: number }
  /**
   * Creates, runs to its end (at most maxIter iterations, with the objective) and finishes every problem's fit, one
   * after another, then frees them: Backend.runGroupAsync in one message. `stop` as for `create` (required here).
   */
  | {
      readonly type: 'group';
      readonly id: number;
      readonly problems: readonly FitProblem[];
      readonly maxIter: number;
      readonly stop: Int32Array;
    }
  | { readonly type: 'dispose'; readonly id: number }
  /**
   * Be member `member` of a fit's team (wasm-team.ts) until the fit is disposed: the reply comes then. Only to a
   * worker sent a teamModule.
   */
  | { readonly type: 'help'; readonly id: number; readonly team: TeamHandle; readonly member: number }
  /** Bytes of the worker's wasm memory (for backendInfo and leak checks). */
  | { readonly type: 'memory'; readonly id: number };

export type PoolReply =
  /** `team`: the reply to a `create` of a fit that runs on a team, whose helpers the pool then hires. */
  | { readonly type: 'done'; readonly id: number; readonly team?: TeamHandle }
  | { readonly type: 'memory'; readonly id: number; readonly bytes: number }
  /**
   * `converged`: the last iteration passed the fit's stop rule (why `executed` may be short of `steps`);
   * `objective`: F at the checkpoints among the iterations run, NaN elsewhere (only when the request asked).
   */
  | {
      readonly type: 'ran';
      readonly id: number;
      readonly executed: number;
      readonly converged: boolean;
      readonly h: Float64Array;
      readonly w: Float64Array;
      readonly objective?: Float64Array;
    }
  | { readonly type: 'product'; readonly id: number; readonly product: Float64Array }
  | { readonly type: 'finished'; readonly id: number; readonly result: KernelResult }
  /** One entry per problem of a `group` request: its run, or why it failed (as a `failed` reply would say). */
  | { readonly type: 'grouped'; readonly id: number; readonly runs: readonly (GroupFitRun | FailedRun)[] }
  | ({ readonly type: 'failed'; readonly id: number } & FailedRun);

/** An error, as it crosses to the calling thread: its class name, message and code. */
export interface FailedRun {
  readonly name: string;
  readonly message: string;
  readonly code: string;
}
