/**
 * Worker threads that run wasm fits off the main thread, so `nmf()` on the wasm backend never blocks the event
 * loop. Each worker has its own wasm instance; a fit lives in one worker for its whole life, and new fits go to
 * the worker with the fewest live fits. Workers are started lazily, at most `size` of them, and do not keep the
 * process alive while idle. If a worker dies, every request pending in it is rejected and the next fit gets a
 * fresh worker.
 */
import { Worker } from 'node:worker_threads';
import type { AsyncKernelFit, FitProblem, KernelNormalize, KernelResult } from '../contract.js';
import type { PoolReply, PoolRequest } from './wasm-protocol.js';

/**
 * The worker's compiled script. Resolved from the package's dist/ folder in both layouts (this file in
 * src/backends under the test runner, or in dist/backends when installed): worker threads need JavaScript.
 */
const WORKER_URL = new URL('../../dist/backends/wasm-worker.js', import.meta.url);

interface Pending {
  resolve(reply: PoolReply): void;
  reject(error: Error): void;
}

class PoolWorker {
  readonly worker: Worker;
  readonly pending = new Map<number, Pending[]>();
  liveFits = 0;
  dead = false;
  private requests = 0;

  constructor(onDeath: (w: PoolWorker) => void) {
    this.worker = new Worker(WORKER_URL);
    this.worker.unref();
    this.worker.on('message', (reply: PoolReply) => this.settle(reply));
    const die = (error: Error): void => {
      if (this.dead) return;
      this.dead = true;
      onDeath(this);
      for (const queue of this.pending.values()) for (const p of queue) p.reject(error);
      this.pending.clear();
    };
    this.worker.on('error', (error) => die(new Error(`nmfkit: a wasm worker thread failed: ${error.message}`, { cause: error })));
    this.worker.on('exit', (code) => die(new Error(`nmfkit: a wasm worker thread exited (code ${code}) during a fit`)));
  }

  request(message: PoolRequest, transfer: ArrayBuffer[] = []): Promise<PoolReply> {
    if (this.dead) return Promise.reject(new Error('nmfkit: the wasm worker thread of this fit has exited'));
    return new Promise((resolve, reject) => {
      const queue = this.pending.get(message.id) ?? [];
      queue.push({ resolve, reject });
      this.pending.set(message.id, queue);
      // Keep the process alive only while the worker has something to do.
      if (this.requests++ === 0) this.worker.ref();
      this.worker.postMessage(message, transfer);
    });
  }

  private settle(reply: PoolReply): void {
    const queue = this.pending.get(reply.id);
    const next = queue?.shift();
    if (queue && queue.length === 0) this.pending.delete(reply.id);
    if (--this.requests === 0) this.worker.unref();
    if (!next) return;
    if (reply.type === 'failed') {
      const ErrorType = reply.name === 'RangeError' ? RangeError : reply.name === 'TypeError' ? TypeError : Error;
      next.reject(new ErrorType(reply.message));
    } else {
      next.resolve(reply);
    }
  }
}

export class WasmPool {
  private readonly workers: PoolWorker[] = [];
  private nextId = 1;

  /** `size()` is read whenever a fit starts, so the pool follows the thread settings. */
  constructor(private readonly size: () => number) {}

  /** Starts a fit in the least busy worker. The problem's arrays are transferred to it (detached here). */
  createAsyncFit(problem: FitProblem): AsyncKernelFit {
    const worker = this.pick();
    const id = this.nextId++;
    const stop = new Int32Array(new SharedArrayBuffer(4));
    worker.liveFits++;
    const created = worker.request({ type: 'create', id, problem, stop }, [problem.V.buffer, problem.W.buffer, problem.H.buffer] as ArrayBuffer[]);
    let disposed = false;
    return {
      async runAsync(steps, hChange, wChange, offset) {
        await created;
        const reply = await worker.request({ type: 'run', id, steps });
        if (reply.type !== 'ran') throw new Error(`nmfkit: unexpected reply ${reply.type} from the wasm worker`);
        hChange.set(reply.h, offset);
        wChange.set(reply.w, offset);
        return reply.executed;
      },
      cancel() {
        Atomics.store(stop, 0, 1);
      },
      async finishAsync(normalize: KernelNormalize): Promise<KernelResult> {
        await created;
        const reply = await worker.request({ type: 'finish', id, normalize });
        if (reply.type !== 'finished') throw new Error(`nmfkit: unexpected reply ${reply.type} from the wasm worker`);
        return reply.result;
      },
      dispose() {
        if (disposed) return;
        disposed = true;
        Atomics.store(stop, 0, 1);
        worker.liveFits--;
        // Disposal cannot fail in a way the caller could act on; a dead worker has freed everything anyway.
        worker.request({ type: 'dispose', id }).catch(() => {});
      },
    };
  }

  /** Live fits per worker, for tests and diagnostics. */
  load(): number[] {
    return this.workers.map((w) => w.liveFits);
  }

  /** Bytes of wasm memory held by each live worker. */
  async memoryBytes(): Promise<number[]> {
    const replies = await Promise.all(this.workers.map((w) => w.request({ type: 'memory', id: 0 })));
    return replies.map((r) => (r.type === 'memory' ? r.bytes : 0));
  }

  private pick(): PoolWorker {
    let best: PoolWorker | undefined;
    for (const w of this.workers) if (!best || w.liveFits < best.liveFits) best = w;
    if (best && (best.liveFits === 0 || this.workers.length >= this.size())) return best;
    const fresh = new PoolWorker((dead) => this.workers.splice(this.workers.indexOf(dead), 1));
    this.workers.push(fresh);
    return fresh;
  }
}
