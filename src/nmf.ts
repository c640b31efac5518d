/** The entry points: validate, pick a backend, drive the fit, build the result. */
import { chooseBackend } from './backends/select.js';
import { abortError, driveAsync, driveSync } from './driver.js';
import { planFit, type FitPlan } from './options.js';
import { buildResult } from './result.js';
import { applyBlasThreads, scheduled } from './schedule.js';
import type { MatrixInput, NmfOptions, NmfResult } from './types.js';

/**
 * Factorizes V (K×N, entries ≥ 0) as W·H with W (K×R) and H (R×N) ≥ 0 by Lee–Seung multiplicative updates for
 * the Euclidean distance, exactly as libfmp's `nmf` (Müller, FMP Sect. 8.3.1): per iteration H is updated first,
 * then W with the new H; the fit stops after the first iteration where the spectral norms of both changes are
 * below `tol`, or after `maxIter` iterations.
 *
 * Blocks the calling thread until the fit is done; prefer {@link nmf} on a server.
 * @throws TypeError or RangeError naming the argument, index and value, for any invalid input.
 */
export function nmfSync(V: MatrixInput, options: NmfOptions): NmfResult {
  const plan = planFit(V, options);
  const backend = chooseBackend(plan.backend);
  if (backend.name === 'native') applyBlasThreads();
  const outcome = driveSync(backend.createFit(plan.problem), plan);
  return buildResult(plan, outcome, backend.name);
}

/**
 * Like {@link nmfSync}, but the iterations run off the main thread — on the libuv thread pool (native) or in a
 * worker thread (wasm) — so the event loop stays free. `options.signal` cancels it (rejecting with an
 * AbortError); invalid input rejects the promise (nothing is thrown synchronously).
 */
export async function nmf(V: MatrixInput, options: NmfOptions): Promise<NmfResult> {
  return fitPlanned(planFit(V, options));
}

/** Runs a validated plan off the main thread once the thread policy admits it (schedule.ts). */
export async function fitPlanned(plan: FitPlan): Promise<NmfResult> {
  if (plan.signal?.aborted) throw abortError(plan.signal);
  const backend = chooseBackend(plan.backend);
  return scheduled(
    backend.name,
    async () => buildResult(plan, await driveAsync(backend.createAsyncFit(plan.problem), plan), backend.name),
    plan.signal,
  );
}
