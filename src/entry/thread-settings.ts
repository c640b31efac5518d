/**
 * How nmfkit uses the machine's cores, in both entries.
 *
 * Policy, from measurements on a 2-core machine (PERFORMANCE.md): every benchmark shape, from 64×64 to
 * 4096×4096, ran as fast or faster with 1 OpenBLAS thread than with 2, because one fit's products are too small
 * to split well and the second thread competes with everything else. So:
 *  - `fits`: how many fits run at once per backend — wasm fits in as many workers (worker threads, Web Workers),
 *    native fits on the libuv pool (./admission.ts keeps one of its threads free). Default: the number of cores;
 *    `NMFKIT_THREADS=n` sets it at startup where there is an environment.
 *  - `blasThreads` (where there is a native backend): OpenBLAS threads inside one native fit. Default 1, so
 *    fits × blasThreads never exceeds the cores.
 * `setThreads()` changes them at run time; an entry without a native backend knows no `blasThreads`.
 */
import { checkCount, describe, readOptions } from '../validate.js';
import { threadsOverride } from './environment.js';
import type { Platform } from './platform.js';
import { rangeError, typeError } from '../errors.js';

export interface Threads {
  readonly fits: number;
  readonly blasThreads: number;
}

const MAX_FITS = 1024;
const MAX_BLAS_THREADS = 256;

export class ThreadSettings {
  readonly #platform: Platform;
  readonly #keys: readonly ('fits' | 'blasThreads')[];
  readonly #listeners: ((threads: Threads) => void)[] = [];
  #current: Threads | undefined;

  constructor(platform: Platform) {
    this.#platform = platform;
    this.#keys = platform.blas ? ['fits', 'blasThreads'] : ['fits'];
  }

  /** The settings in force (from the environment and the cores on first use). */
  get(): Threads {
    this.#current ??= {
      fits: threadsOverride((name) => this.#platform.env(name)) ?? Math.min(MAX_FITS, Math.max(1, this.#platform.cores())),
      blasThreads: 1,
    };
    return this.#current;
  }

  /**
   * `setThreads(settings)`: a number sets `fits`; an object sets the keys it has (each read once, a getter that
   * throws a TypeError naming it). Nothing changes unless every value is valid.
   */
  set(settings: unknown): Threads {
    const base = this.get();
    const shape = this.#keys.length === 2 ? 'a number or { fits, blasThreads }' : 'a number or { fits }';
    let next: Threads;
    if (typeof settings === 'number') {
      next = { fits: checkCount('threads', settings), blasThreads: base.blasThreads };
    } else if (settings !== null && typeof settings === 'object') {
      const s = readOptions('threads', settings, this.#keys, shape) as { fits?: unknown; blasThreads?: unknown };
      next = {
        fits: s.fits === undefined ? base.fits : checkCount('threads.fits', s.fits),
        blasThreads: s.blasThreads === undefined ? base.blasThreads : checkCount('threads.blasThreads', s.blasThreads),
      };
    } else {
      throw typeError('NMFKIT_INVALID_TYPE', `threads must be ${shape}, got ${describe(settings)}`);
    }
    if (next.fits > MAX_FITS) throw rangeError('NMFKIT_INVALID_VALUE', `threads.fits must be at most ${MAX_FITS}, got ${next.fits}`);
    if (next.blasThreads > MAX_BLAS_THREADS)
      throw rangeError('NMFKIT_INVALID_VALUE', `threads.blasThreads must be at most ${MAX_BLAS_THREADS}, got ${next.blasThreads}`);
    this.#current = next;
    for (const listener of this.#listeners) listener(next);
    return next;
  }

  /** Lets admission and the worker pools follow changes. */
  onChange(listener: (threads: Threads) => void): void {
    this.#listeners.push(listener);
  }
}
