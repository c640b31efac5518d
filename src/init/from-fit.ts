/**
 * Initialisations computed from V by the fit itself (the NNDSVD variants, docs/algorithms.md §9): their steps
 * (src/init/nndsvd.ts) ask for products with V, which the fit computes from its own copy of V on its backend's
 * products — off the calling thread for an async fit — and the factors they end with replace the fit's initial
 * ones before its first iteration. A factor the caller gave is kept.
 */
import type { AsyncKernelFit, KernelFit } from '../contract.js';
import { nndsvdSteps, type Factors, type NndsvdVariant } from './nndsvd.js';
import { runSteps, type VProductSteps } from './svd.js';
import { yieldToEventLoop } from '../timers.js';

/** What a fit computes from V before it starts: the method, its seed, and the factors the caller gave. */
export interface FitInit {
  readonly method: NndsvdVariant;
  readonly seed: number;
  readonly rows: number;
  readonly cols: number;
  readonly rank: number;
  readonly givenW: Float64Array | undefined;
  readonly givenH: Float64Array | undefined;
  /** The power of two the SVD's products scale V by (src/init/nndsvd.ts, svdScale). */
  readonly scale: number;
}

function steps(init: FitInit): VProductSteps<Factors> {
  return nndsvdSteps(init.rows, init.cols, init.rank, init.method, init.seed, init.scale);
}

/** The factors to start from: the computed ones, or the caller's where given. */
function startingFactors(init: FitInit, made: Factors): Factors {
  return { W: init.givenW ?? made.W, H: init.givenH ?? made.H };
}

/** Computes the initial factors with the fit's products and sets them, on the calling thread. */
export function initializeFit(fit: KernelFit, init: FitInit): void {
  const { W, H } = startingFactors(
    init,
    runSteps(steps(init), ({ X, cols, transpose }) => fit.multiplyV(X, cols, transpose)),
  );
  fit.setFactors(W, H);
}

/**
 * The same for an async fit: every product runs off the calling thread. `stopped()` is asked between products
 * (an abort): it ends the initialisation early, leaving the fit's factors as they were.
 */
export async function initializeAsyncFit(fit: AsyncKernelFit, init: FitInit, stopped: () => boolean): Promise<void> {
  const run = steps(init);
  let next = run.next();
  while (!next.done) {
    if (stopped()) return;
    const request = next.value;
    if ('pause' in request) {
      await yieldToEventLoop();
      next = run.next(undefined);
    } else {
      next = run.next(await fit.multiplyVAsync(request.X, request.cols, request.transpose));
    }
  }
  const { W, H } = startingFactors(init, next.value);
  await fit.setFactorsAsync(W, H);
}
