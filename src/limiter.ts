/**
 * A counting semaphore for fits: at most `limit` run at once, the rest wait in FIFO order. Waiting is
 * abortable, so a cancelled fit that never started leaves the queue at once.
 */
import { abortError } from './driver.js';

export class Limiter {
  private running = 0;
  private readonly waiting: { start: () => void; signal: AbortSignal | undefined; onAbort: () => void }[] = [];

  constructor(private limit: number) {}

  /** Changes the limit; a larger one starts waiting work at once. */
  setLimit(limit: number): void {
    this.limit = limit;
    this.drain();
  }

  get active(): number {
    return this.running;
  }

  /** Work waiting for a slot. */
  get waitingCount(): number {
    return this.waiting.length;
  }

  /** Runs `task` when a slot is free. Rejects with an AbortError if `signal` aborts while it waits. */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.acquire(signal);
    try {
      return await task();
    } finally {
      this.running--;
      this.drain();
    }
  }

  private acquire(signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    if (this.running < this.limit && this.waiting.length === 0) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const entry = {
        signal,
        start: () => {
          signal?.removeEventListener('abort', entry.onAbort);
          this.running++;
          resolve();
        },
        onAbort: () => {
          const at = this.waiting.indexOf(entry);
          if (at >= 0) this.waiting.splice(at, 1);
          reject(abortError(signal!));
        },
      };
      signal?.addEventListener('abort', entry.onAbort, { once: true });
      this.waiting.push(entry);
    });
  }

  private drain(): void {
    while (this.running < this.limit && this.waiting.length > 0) this.waiting.shift()!.start();
  }
}
