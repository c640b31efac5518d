/**
 * Workers that run wasm fits off the calling thread, so `nmf()` on the wasm backend never blocks it: Node worker
 * threads (./wasm-node.ts) or Web Workers (./wasm-web.ts), behind one small port abstraction. Each worker has its
 * own wasm instance; a fit lives in one worker for its whole life, and new fits go to the worker with the fewest
 * live fits. Workers are started lazily, at most `size()` of them. If a worker dies, every request pending in it
 * is rejected and the next fit gets a fresh worker.
 *
 * Runtime-neutral: no Node built-ins here.
 */
import type { AsyncKernelFit, FitProblem, KernelResult } from '../contract.js';
import type { PoolReply, PoolRequest } from './wasm-protocol.js';
import { internalError, isErrorCode, plainError, rangeError, typeError } from '../errors.js';

/** What the pool tells a freshly spawned worker's port. */
export interface PortEvents {
  /** A reply from the worker. */
  message(reply: PoolReply): void;
  /** The worker died (failed to start, crashed or exited): every pending and later request fails with `error`. */
  death(error: Error): void;
}

/** The pool's handle on one worker. */
export interface WorkerPort {
  post(request: PoolRequest, transfer: ArrayBuffer[]): void;
  /** Called with true when the worker gets work and false when it has none left (Node: ref/unref the thread). */
  busy(busy: boolean): void;
}

export interface WasmPoolOptions {
  /** Starts a worker running wasm-worker-host.ts and connects `events` to it. */
  readonly spawn: (events: PortEvents) => WorkerPort;
  /** Most workers; read whenever a fit starts, so the pool follows the thread settings. */
  readonly size: () => number;
  /** The compiled module and memory cap every worker instantiates (the `init` request, sent first). */
  readonly init: () => Omit<Extract<PoolRequest, { type: 'init' }>, 'id' | 'type'>;
}

/**
 * Without SharedArrayBuffer (a web page that is not cross-origin isolated), a stop flag cannot reach a busy
 * worker: `run` requests then carry this time budget (ms), and the pool stops between them. It bounds how late
 * an abort or a `maxTime` budget takes effect, at the cost of one message round trip per budget.
 */
const RUN_BUDGET_MS = 25;

interface Pending {
  resolve(reply: PoolReply): void;
  reject(error: Error): void;
}

class PoolWorker {
  readonly port: WorkerPort;
  readonly pending = new Map<number, Pending[]>();
  liveFits = 0;
  dead = false;
  private requests = 0;

  constructor(spawn: WasmPoolOptions['spawn'], onDeath: (w: PoolWorker) => void) {
    this.port = spawn({
      message: (reply) => this.settle(reply),
      death: (error) => {
        if (this.dead) return;
        this.dead = true;
        onDeath(this);
        for (const queue of this.pending.values()) for (const p of queue) p.reject(error);
        this.pending.clear();
        if (this.requests > 0) this.port.busy(false);
        this.requests = 0;
      },
    });
  }

  request(message: PoolRequest, transfer: ArrayBuffer[] = []): Promise<PoolReply> {
    if (this.dead) return Promise.reject(plainError('NMFKIT_WORKER_EXITED', 'nmfkit: the wasm worker of this fit has exited'));
    return new Promise((resolve, reject) => {
      const queue = this.pending.get(message.id) ?? [];
      queue.push({ resolve, reject });
      this.pending.set(message.id, queue);
      // Keep the process alive only while the worker has something to do.
      if (this.requests++ === 0) this.port.busy(true);
      this.port.post(message, transfer);
    });
  }

  private settle(reply: PoolReply): void {
    const queue = this.pending.get(reply.id);
    const next = queue?.shift();
    if (queue && queue.length === 0) this.pending.delete(reply.id);
    if (--this.requests === 0) this.port.busy(false);
    if (!next) return;
    if (reply.type === 'failed') {
      // The worker's error, rebuilt here with its class and code.
      const code = isErrorCode(reply.code) ? reply.code : 'NMFKIT_INTERNAL';
      next.reject(
        reply.name === 'RangeError'
          ? rangeError(code, reply.message)
          : reply.name === 'TypeError'
            ? typeError(code, reply.message)
            : plainError(code, reply.message),
      );
    } else {
      next.resolve(reply);
    }
  }
}

/** Whether a stop flag can be shared with workers (SharedArrayBuffer exists and can be posted). */
function sharedMemoryAvailable(): boolean {
  if (typeof SharedArrayBuffer !== 'function') return false;
  // A browser page that is not cross-origin isolated may define SharedArrayBuffer but cannot post one.
  return (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== false;
}

export class WasmPool {
  private readonly workers: PoolWorker[] = [];
  private nextId = 1;
  private readonly shared = sharedMemoryAvailable();

  constructor(private readonly options: WasmPoolOptions) {}

  /** Starts a fit in the least busy worker. The problem's arrays are transferred to it (detached here). */
  createAsyncFit(problem: FitProblem): AsyncKernelFit {
    const worker = this.pick();
    const id = this.nextId++;
    const stop = this.shared ? new Int32Array(new SharedArrayBuffer(4)) : undefined;
    let cancelled = false;
    worker.liveFits++;
    // The mask (K×N, as large as V) and a CSR pattern go along too; a buffer is listed once (transferring one twice throws).
    const buffers = new Set([
      problem.V.buffer,
      problem.W.buffer,
      problem.H.buffer,
      problem.mask?.buffer,
      problem.pattern?.indptr.buffer,
      problem.pattern?.indices.buffer,
    ]);
    buffers.delete(undefined);
    const created = worker.request({ type: 'create', id, problem, ...(stop && { stop }) }, [...buffers] as ArrayBuffer[]);
    let disposed = false;
    let converged = false;
    const budgetMs = stop ? undefined : RUN_BUDGET_MS;
    return {
      async multiplyVAsync(X, cols, transpose) {
        await created;
        // X is copied, not transferred: the caller goes on using it.
        const reply = await worker.request({ type: 'multiply', id, X, cols, transpose });
        if (reply.type !== 'product') throw internalError(`nmfkit: unexpected reply ${reply.type} from the wasm worker`);
        return reply.product;
      },
      async setFactorsAsync(W, H) {
        await created;
        const buffers = new Set([W.buffer, H.buffer]);
        await worker.request({ type: 'factors', id, W, H }, [...buffers] as ArrayBuffer[]);
      },
      async runAsync(steps, hChange, wChange, offset, objective) {
        await created;
        let done = 0;
        converged = false;
        // With a shared stop flag one request runs every step; without, one request per time budget.
        while (done < steps && !cancelled) {
          const reply = await worker.request({
            type: 'run',
            id,
            steps: steps - done,
            ...(budgetMs !== undefined && { budgetMs }),
            ...(objective !== undefined && { objective: true }),
          });
          if (reply.type !== 'ran') throw internalError(`nmfkit: unexpected reply ${reply.type} from the wasm worker`);
          hChange.set(reply.h, offset + done);
          wChange.set(reply.w, offset + done);
          if (objective && reply.objective) objective.set(reply.objective, offset + done);
          done += reply.executed;
          // The verdict of this call's last iteration (false when it ran none).
          if (reply.executed > 0) converged = reply.converged;
          if (reply.converged || budgetMs === undefined) break;
        }
        return done;
      },
      converged() {
        return converged;
      },
      cancel() {
        cancelled = true;
        if (stop) Atomics.store(stop, 0, 1);
      },
      async finishAsync(): Promise<KernelResult> {
        await created;
        const reply = await worker.request({ type: 'finish', id });
        if (reply.type !== 'finished') throw internalError(`nmfkit: unexpected reply ${reply.type} from the wasm worker`);
        return reply.result;
      },
      dispose() {
        if (disposed) return;
        disposed = true;
        cancelled = true;
        if (stop) Atomics.store(stop, 0, 1);
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
    if (best && (best.liveFits === 0 || this.workers.length >= this.options.size())) return best;
    const fresh = new PoolWorker(this.options.spawn, (dead) => {
      const at = this.workers.indexOf(dead);
      if (at >= 0) this.workers.splice(at, 1);
    });
    this.workers.push(fresh);
    // Replies come in order, so a failed init fails the requests after it too (the host rethrows its error).
    fresh.request({ type: 'init', id: 0, ...this.options.init() }).catch(() => {});
    return fresh;
  }
}
