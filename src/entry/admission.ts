/**
 * Admission of async fits, per backend, following the thread settings (./thread-settings.ts): a fit takes a slot
 * before its memory is allocated, so a thousand queued fits cost nothing until they run.
 *  - native: at most `fits`, and at most libuvPool − 1, so file, DNS and crypto work always finds a pool thread;
 *  - wasm: `fits` workers, or one at a time where fits run inline on the calling thread.
 * OpenBLAS's thread count is global and changing it under a running BLAS call is not safe, so a change of
 * `blasThreads` is applied only while no native fit runs (at once, or when the last one ends).
 */
import { Limiter } from '../limiter.js';
import type { BackendName } from '../types.js';
import type { Platform } from './platform.js';
import type { ThreadSettings, Threads } from './thread-settings.js';

export class Admission {
  readonly #platform: Platform;
  readonly #threads: ThreadSettings;
  readonly #inline: () => boolean;
  #created: Record<BackendName, Limiter> | undefined;
  /** The BLAS thread count last handed to OpenBLAS (undefined: none yet). */
  #appliedBlas: number | undefined;

  /** `inline()`: whether wasm async fits run on the calling thread (then one at a time). */
  constructor(platform: Platform, threads: ThreadSettings, inline: () => boolean) {
    this.#platform = platform;
    this.#threads = threads;
    this.#inline = inline;
    threads.onChange((s) => {
      // Limiters not made yet will be made with the new settings.
      this.#created?.native.setLimit(this.#nativeLimit(s));
      this.#created?.wasm.setLimit(this.#wasmLimit(s));
      this.applyBlasThreads();
    });
  }

  /**
   * The limiters, made on first use: their limits come from the thread settings, whose environment variable may
   * be malformed — that is an error of the first call that needs them, not of importing the entry.
   */
  get #limiters(): Record<BackendName, Limiter> {
    if (!this.#created) {
      const now = this.#threads.get();
      this.#created = { native: new Limiter(this.#nativeLimit(now)), wasm: new Limiter(this.#wasmLimit(now)) };
    }
    return this.#created;
  }

  #nativeLimit(s: Threads): number {
    return Math.min(s.fits, Math.max(1, (this.#platform.blas?.poolSize() ?? 1) - 1));
  }

  #wasmLimit(s: Threads): number {
    return this.#inline() ? 1 : s.fits;
  }

  /** Follows a change of where wasm fits run (the wasm backend loaded with `workers: false`, or not). */
  wasmModeChanged(): void {
    this.#created?.wasm.setLimit(this.#wasmLimit(this.#threads.get()));
  }

  /** Hands the wanted BLAS thread count to OpenBLAS, if it changed and no native fit is running. */
  applyBlasThreads(): void {
    const wanted = this.#threads.get().blasThreads;
    if (!this.#platform.blas || this.#limiters.native.active > 0 || this.#appliedBlas === wanted) return;
    try {
      this.#platform.blas.setThreads(wanted);
      this.#appliedBlas = wanted;
    } catch {
      // No native backend: nothing to configure.
    }
  }

  /** Runs an async fit on `backend` when the policy admits it; rejects with an AbortError if `signal` aborts first. */
  async run<T>(backend: BackendName, task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (backend === 'native') this.applyBlasThreads();
    try {
      return await this.#limiters[backend].run(task, signal);
    } finally {
      if (backend === 'native') this.applyBlasThreads();
    }
  }

  /**
   * The core budget (`fits`) shared by the native fits running, this one included (an async fit is counted once
   * admitted, a synchronous one is added), at least 1; the same for the wasm fits in workers (their teams), and 1
   * for a synchronous or inline wasm fit.
   */
  availableThreads(backend: BackendName, sync: boolean): number {
    // A synchronous wasm fit runs on the calling thread, an inline one too: neither has helpers.
    if (backend === 'wasm' && (sync || this.#inline())) return 1;
    const running = this.#limiters[backend].active + (sync ? 1 : 0);
    return Math.max(1, Math.floor(this.#threads.get().fits / Math.max(1, running)));
  }

  /** Async fits waiting for a slot of `backend`. */
  waiting(backend: BackendName): number {
    return this.#created === undefined ? 0 : this.#limiters[backend].waitingCount;
  }

  /** Slots in use per backend (for diagnostics and tests). */
  active(): Record<BackendName, number> {
    if (!this.#created) return { native: 0, wasm: 0 };
    return { native: this.#limiters.native.active, wasm: this.#limiters.wasm.active };
  }
}
