/**
 * Workers that run wasm fits off the calling thread, so `nmf()` on the wasm backend never blocks it: Node worker
 * threads (./wasm-node.ts) or Web Workers (./wasm-web.ts), behind one small port abstraction. Each worker has its
 * own wasm instance; a fit lives in one worker for its whole life, and new fits go to the worker with the fewest
 * live fits. Workers are started lazily, at most `size()` of them. If a worker dies, every request pending in it
 * is rejected and the next fit gets a fresh worker.
 *
 * A fit with spec.threads > 1, where the workers were given the threaded module, runs on a team (./wasm-team.ts):
 * its worker leads, and the pool hires threads − 1 helper workers (kept apart from the fits' workers and reused)
 * for the fit's life. A helper that dies is marked gone in the team, and the leader does its shares; a leader that
 * dies stops its helpers.
 *
 * Runtime-neutral: no Node built-ins here.
 */
import type { AsyncKernelFit, AsyncKernelGroup, FitProblem, KernelResult } from '../contract.js';
import { fitSequence } from './fit-sequence.js';
import type { FailedRun, PoolReply, PoolRequest } from './wasm-protocol.js';
import { internalError, isErrorCode, plainError, rangeError, typeError } from '../errors.js';
import { markGone, stopTeam, teamsAvailable, type TeamHandle } from './wasm-team.js';

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

/** A worker's error, rebuilt here with its class and code. */
function rebuilt(failed: FailedRun): Error {
  const code = isErrorCode(failed.code) ? failed.code : 'NMFKIT_INTERNAL';
  return failed.name === 'RangeError'
    ? rangeError(code, failed.message)
    : failed.name === 'TypeError'
      ? typeError(code, failed.message)
      : plainError(code, failed.message);
}

class PoolWorker {
  readonly port: WorkerPort;
  readonly pending = new Map<number, Pending[]>();
  liveFits = 0;
  dead = false;
  /** Called once if the worker dies (the teams it leads stop their helpers). */
  readonly onDeath = new Set<() => void>();
  private requests = 0;

  constructor(spawn: WasmPoolOptions['spawn'], onDeath: (w: PoolWorker) => void) {
    this.port = spawn({
      message: (reply) => this.settle(reply),
      death: (error) => {
        if (this.dead) return;
        this.dead = true;
        onDeath(this);
        for (const hook of this.onDeath) hook();
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
      next.reject(rebuilt(reply));
    } else {
      next.resolve(reply);
    }
  }
}

/**
 * The buffers of a problem that go to the worker: V, the factors, the mask (K×N, as large as V) and a CSR pattern.
 * Callers list each buffer once (transferring one twice throws).
 */
function problemBuffers(problem: FitProblem): ArrayBuffer[] {
  const { V, W, H, mask, pattern } = problem;
  return [V, W, H, mask, pattern?.indptr, pattern?.indices].flatMap((a) => (a ? [a.buffer as ArrayBuffer] : []));
}

export class WasmPool {
  private readonly workers: PoolWorker[] = [];
  /** Helper workers that are not in a team now. */
  private readonly idleHelpers: PoolWorker[] = [];
  /** Helper workers in a team now. */
  private readonly busyHelpers = new Set<PoolWorker>();
  private nextId = 1;
  private readonly shared = teamsAvailable();

  constructor(private readonly options: WasmPoolOptions) {}

  /** Starts a fit in the least busy worker. The problem's arrays are transferred to it (detached here). */
  createAsyncFit(problem: FitProblem): AsyncKernelFit {
    const worker = this.pick();
    const id = this.nextId++;
    const stop = this.shared ? new Int32Array(new SharedArrayBuffer(4)) : undefined;
    let cancelled = false;
    worker.liveFits++;
    const buffers = new Set(problemBuffers(problem));
    const created = worker.request({ type: 'create', id, problem, ...(stop && { stop }) }, [...buffers]);
    let stopHelpers: (() => void) | undefined;
    created.then(
      (reply) => {
        if (reply.type !== 'done' || !reply.team) return;
        const team = reply.team;
        stopHelpers = () => stopTeam(team);
        worker.onDeath.add(stopHelpers);
        for (let member = 1; member < team.size; member++) this.hire(team, member);
      },
      () => {},
    );
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
        if (stopHelpers) worker.onDeath.delete(stopHelpers);
        // Disposal cannot fail in a way the caller could act on; a dead worker has freed everything anyway.
        worker.request({ type: 'dispose', id }).catch(() => {});
      },
    };
  }

  /**
   * Runs a group of fits (Backend.runGroupAsync) in the least busy worker, in one message. The problems' arrays are
   * transferred to it. Where there is no shared stop flag to reach a busy worker, or a fit would run on a team, the
   * group is a sequence of the pool's async fits instead.
   */
  runGroupAsync(problems: readonly FitProblem[], maxIter: number): AsyncKernelGroup {
    if (!this.shared || problems.some((problem) => problem.spec.threads > 1)) {
      return fitSequence((problem) => this.createAsyncFit(problem), problems, maxIter);
    }
    const worker = this.pick();
    const stop = new Int32Array(new SharedArrayBuffer(4));
    const buffers = new Set(problems.flatMap(problemBuffers));
    worker.liveFits += problems.length;
    const done = worker
      .request({ type: 'group', id: this.nextId++, problems, maxIter, stop }, [...buffers])
      .then(
        (reply) => {
          if (reply.type !== 'grouped') throw internalError(`nmfkit: unexpected reply ${reply.type} from the wasm worker`);
          return reply.runs.map((run) => ('result' in run ? run : rebuilt(run)));
        },
        // The worker died or refused the request: every fit of the group failed with it.
      )
      .catch((error: unknown) => problems.map(() => error as Error))
      .finally(() => {
        worker.liveFits -= problems.length;
      });
    return { done, cancel: () => Atomics.store(stop, 0, 1) };
  }

  /**
   * Makes a helper worker member `member` of `team` until the team stops (its fit is disposed or its leader dies);
   * then the helper is idle again. If the helper dies, the leader is told to do its shares.
   */
  private hire(team: TeamHandle, member: number): void {
    let helper: PoolWorker;
    try {
      helper = this.idleHelpers.pop() ?? this.spawnHelper();
    } catch {
      markGone(team, member);
      return;
    }
    this.busyHelpers.add(helper);
    helper.request({ type: 'help', id: this.nextId++, team, member }).then(
      () => {
        this.busyHelpers.delete(helper);
        if (!helper.dead) this.idleHelpers.push(helper);
      },
      () => {
        this.busyHelpers.delete(helper);
        markGone(team, member);
      },
    );
  }

  private spawnHelper(): PoolWorker {
    const helper = new PoolWorker(this.options.spawn, (dead) => {
      const at = this.idleHelpers.indexOf(dead);
      if (at >= 0) this.idleHelpers.splice(at, 1);
    });
    helper.request({ type: 'init', id: 0, ...this.options.init() }).catch(() => {});
    return helper;
  }

  /** Helper workers in a team now, for tests and diagnostics. */
  helpersBusy(): number {
    return this.busyHelpers.size;
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
