/**
 * Async fits where there are no threads to run them on (no `Worker`, as in Cloudflare workerd or Node without
 * addons on the WebAssembly-only entry, or workers switched off): the synchronous fit runs on the calling thread
 * in short slices, yielding to the event loop between them, so other tasks (requests, rendering, input) are not
 * starved and `cancel()` (abort, time budget) takes effect within one slice. Behind the {@link AsyncKernelFit}
 * contract, so the driver's `driveAsync` does the rest as for every backend. Runtime-neutral.
 */
import type { AsyncKernelFit, KernelFit, KernelResult } from '../contract.js';
import { yieldToEventLoop } from '../timers.js';

/** A slice of iterations should take about this long (ms) before the fit yields. */
const SLICE_MS = 8;
/** Most iterations per kernel call within a slice. */
const MAX_STEPS = 256;

/** Runs `fit` (created on this thread) in slices with yields between them; the fit applies its own stop rule. */
export function inlineAsyncFit(fit: KernelFit): AsyncKernelFit {
  let cancelled = false;
  let disposed = false;
  let busy = false;
  let chunk = 1;
  let converged = false;
  return {
    async multiplyVAsync(X, cols, transpose) {
      await yieldToEventLoop();
      return fit.multiplyV(X, cols, transpose);
    },
    async setFactorsAsync(W, H) {
      fit.setFactors(W, H);
    },
    async runAsync(steps, hChange, wChange, offset, objective) {
      busy = true;
      let done = 0;
      converged = false;
      try {
        // One kernel call per slice, sized from the cost of the last one to take about SLICE_MS.
        while (done < steps) {
          await yieldToEventLoop();
          if (cancelled) break;
          const n = Math.min(steps - done, chunk);
          const started = performance.now();
          const ran = fit.run(n, hChange, wChange, offset + done, objective);
          const perIteration = (performance.now() - started) / Math.max(ran, 1);
          done += ran;
          converged = ran > 0 && fit.converged();
          if (converged) break;
          // At most doubling, so that the first slices, timed on few iterations, do not overshoot.
          chunk = Math.min(MAX_STEPS, 2 * n, Math.max(1, Math.floor(SLICE_MS / Math.max(perIteration, 1e-6))));
        }
        return done;
      } finally {
        busy = false;
        if (disposed) fit.dispose();
      }
    },
    converged() {
      return converged;
    },
    cancel() {
      cancelled = true;
    },
    async finishAsync(): Promise<KernelResult> {
      await yieldToEventLoop();
      return fit.finish();
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      cancelled = true;
      // Freed when a pending runAsync is done with it.
      if (!busy) fit.dispose();
    },
  };
}
