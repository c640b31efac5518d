/**
 * Admission of async fits, per backend, following the thread policy (threads.ts): a fit takes a slot before its
 * memory is allocated, so a thousand queued fits cost nothing until they run.
 */
import { setNativeThreads } from './backends/native.js';
import { Limiter } from './limiter.js';
import { onThreadSettings, threadSettings, type ThreadSettings } from './threads.js';
import type { BackendName } from './types.js';

const nativeLimit = (s: ThreadSettings): number => Math.min(s.fits, Math.max(1, s.libuvPool - 1));

const limiters: Record<BackendName, Limiter> = {
  native: new Limiter(nativeLimit(threadSettings())),
  wasm: new Limiter(threadSettings().fits),
};

/** The BLAS thread count last handed to OpenBLAS, and one waiting for native fits to drain. */
let appliedBlas: number | undefined;
let wantedBlas = threadSettings().blasThreads;

/**
 * OpenBLAS's thread count is global and changing it under a running BLAS call is not safe, so a change is applied
 * only while no native fit runs (here, or when the last one ends).
 */
export function applyBlasThreads(): void {
  if (limiters.native.active > 0 || appliedBlas === wantedBlas) return;
  try {
    setNativeThreads(wantedBlas);
    appliedBlas = wantedBlas;
  } catch {
    // No native backend: nothing to configure.
  }
}

onThreadSettings((s) => {
  limiters.native.setLimit(nativeLimit(s));
  limiters.wasm.setLimit(s.fits);
  wantedBlas = s.blasThreads;
  applyBlasThreads();
});

/** Runs an async fit on `backend` when the policy admits it. */
export async function scheduled<T>(backend: BackendName, task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  if (backend === 'native') applyBlasThreads();
  try {
    return await limiters[backend].run(task, signal);
  } finally {
    if (backend === 'native') applyBlasThreads();
  }
}

/** Slots in use per backend (for diagnostics). */
export function activeFits(): Record<BackendName, number> {
  return { native: limiters.native.active, wasm: limiters.wasm.active };
}
