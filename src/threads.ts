/**
 * How nmfkit uses the machine's cores (Node entry).
 *
 * Policy, from measurements on a 2-core machine (PERFORMANCE.md): every benchmark shape, from 64×64 to
 * 4096×4096, ran as fast or faster with 1 OpenBLAS thread than with 2, because one fit's products are too small
 * to split well and the second thread competes with everything else. So:
 *  - `fits`: how many fits run at once per backend — wasm fits in as many worker threads, native fits on the libuv
 *    pool, where nmfkit takes at most `libuvPool − 1` threads so file, DNS and crypto work always finds one.
 *    Default: the number of cores (`os.availableParallelism()`).
 *  - `blasThreads`: OpenBLAS threads inside one native fit. Default 1, so fits × blasThreads never exceeds the
 *    cores.
 * `NMFKIT_THREADS=n` sets `fits` at startup; `setThreads()` changes both at run time.
 */
import { availableParallelism, totalmem } from 'node:os';
import { checkCount, describe, readOptions, setMemoryLimit } from './validate.js';

export interface ThreadSettings {
  /** Fits that run at once, per backend. */
  readonly fits: number;
  /** OpenBLAS threads inside one native fit. */
  readonly blasThreads: number;
  /** Size of the libuv thread pool that native async fits share with fs, dns and crypto (UV_THREADPOOL_SIZE). */
  readonly libuvPool: number;
}

type Listener = (settings: ThreadSettings) => void;

/**
 * Memory, the other machine resource: a fit whose buffers cannot fit in this machine's memory (or the cgroup
 * limit of its container, if lower) is refused with a RangeError before anything is allocated, instead of ending
 * in an out-of-memory kill of the process (validate.ts, checkFitMemory).
 */
function machineMemory(): number {
  const total = totalmem();
  const constrained = process.constrainedMemory?.() ?? 0;
  return constrained > 0 && constrained < total ? constrained : total;
}
setMemoryLimit(machineMemory());

const listeners: Listener[] = [];

function libuvPoolSize(): number {
  const size = Number.parseInt(process.env.UV_THREADPOOL_SIZE ?? '', 10);
  return Number.isInteger(size) && size > 0 ? Math.min(size, 1024) : 4;
}

function initialFits(): number {
  const value = process.env.NMFKIT_THREADS?.trim();
  if (value === undefined || value === '') return Math.max(1, availableParallelism());
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1024) {
    throw new RangeError(`NMFKIT_THREADS must be an integer in [1, 1024], got ${JSON.stringify(value)}`);
  }
  return n;
}

let current: { fits: number; blasThreads: number } | undefined;

/** The settings in force (read from the environment on first use). */
export function threadSettings(): ThreadSettings {
  current ??= { fits: initialFits(), blasThreads: 1 };
  return { ...current, libuvPool: libuvPoolSize() };
}

/**
 * Sets how many fits run at once (`fits`) and how many OpenBLAS threads each native fit uses (`blasThreads`).
 * A number sets `fits`. Fits already running keep going; waiting fits start as slots free up. A BLAS thread
 * change is applied when no native fit is in flight.
 */
export function setThreads(settings: number | { readonly fits?: number; readonly blasThreads?: number }): ThreadSettings {
  const base = threadSettings();
  let next: { fits: number; blasThreads: number };
  if (typeof settings === 'number') {
    next = { fits: checkCount('threads', settings), blasThreads: base.blasThreads };
  } else if (settings !== null && typeof settings === 'object') {
    const s = readOptions('threads', settings, ['fits', 'blasThreads'], 'a number or { fits, blasThreads }');
    next = {
      fits: s.fits === undefined ? base.fits : checkCount('threads.fits', s.fits),
      blasThreads: s.blasThreads === undefined ? base.blasThreads : checkCount('threads.blasThreads', s.blasThreads),
    };
  } else {
    throw new TypeError(`threads must be a number or { fits, blasThreads }, got ${describe(settings)}`);
  }
  if (next.fits > 1024) throw new RangeError(`threads.fits must be at most 1024, got ${next.fits}`);
  if (next.blasThreads > 256) throw new RangeError(`threads.blasThreads must be at most 256, got ${next.blasThreads}`);
  current = next;
  const applied = threadSettings();
  for (const listener of listeners) listener(applied);
  return applied;
}

/** Lets the backends follow changes (native: BLAS threads and its limiter; wasm: pool size). */
export function onThreadSettings(listener: Listener): void {
  listeners.push(listener);
}
