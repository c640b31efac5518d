/**
 * The inside of a wasm pool worker, the same for Node worker threads (wasm-worker.ts) and Web Workers
 * (wasm-web-worker.ts): it instantiates the module it is sent, hosts fits and answers the pool's requests
 * (wasm-protocol.ts) in order. Runtime-neutral: the worker scripts only connect it to their message port.
 *
 * Iterations run one kernel call at a time so that the stop flag (or the time budget) is seen between any two.
 */
import type { Backend, FitProblem, GroupFitRun, KernelFit } from '../contract.js';
import type { FailedRun, PoolReply, PoolRequest } from './wasm-protocol.js';
import { instantiateTeamBackend, instantiateWasmBackend, teamOf } from './wasm.js';
import { helpTeam } from './wasm-team.js';
import { codeOf, internalError, plainError } from '../errors.js';

interface HostedFit {
  readonly fit: KernelFit;
  readonly stop: Int32Array | undefined;
}

/** A reply and the buffers to transfer with it. */
export interface HostReply {
  readonly reply: PoolReply;
  readonly transfer: ArrayBuffer[];
}

/** An error as a reply carries it. */
function failure(error: unknown): FailedRun {
  const e = error instanceof Error ? error : internalError(String(error));
  return { name: e.name, message: e.message, code: codeOf(e) ?? 'NMFKIT_INTERNAL' };
}

/** The fresh arrays of a reply, transferred instead of copied. */
function transferOf(reply: PoolReply): ArrayBufferLike[] {
  switch (reply.type) {
    case 'finished':
      return [reply.result.W.buffer, reply.result.H.buffer];
    case 'product':
      return [reply.product.buffer];
    case 'grouped':
      return reply.runs.flatMap((run) =>
        'result' in run ? [run.hChange.buffer, run.wChange.buffer, run.objective.buffer, run.result.W.buffer, run.result.H.buffer] : [],
      );
    default:
      return [];
  }
}

/**
 * Returns the message handler of one worker. `send` gets every reply, in the order of the requests, even though
 * instantiating the module (the `init` request) is asynchronous.
 */
export function createWorkerHost(send: (reply: HostReply) => void): (request: PoolRequest) => void {
  let backend: Backend | undefined;
  let initError: Error | undefined;
  let init: Extract<PoolRequest, { type: 'init' }> | undefined;
  /** The threaded module's backend, for fits on a team (made by the first of them). */
  let teamBackend: Backend | undefined;
  const fits = new Map<number, HostedFit>();
  let queue: Promise<void> = Promise.resolve();

  function loaded(): Backend {
    if (backend) return backend;
    throw initError ?? plainError('NMFKIT_INVALID_STATE', 'nmfkit wasm worker: the module was not sent (no init request)');
  }

  function hosted(id: number): HostedFit {
    const found = fits.get(id);
    if (!found) throw plainError('NMFKIT_INVALID_STATE', `nmfkit wasm worker: fit ${id} does not exist (it was disposed)`);
    return found;
  }

  /**
   * Runs up to `steps` iterations, stopping at the fit's stop rule (as KernelFit.run does: its converged()), when
   * asked to, or past the budget; with `wantObjective`, collects the objective values too.
   */
  function run(id: number, steps: number, budgetMs: number | undefined, wantObjective: boolean): PoolReply {
    const { fit, stop } = hosted(id);
    const h = new Float64Array(steps);
    const w = new Float64Array(steps);
    const f = wantObjective ? new Float64Array(steps) : undefined;
    const deadline = budgetMs === undefined ? Infinity : performance.now() + budgetMs;
    let executed = 0;
    let converged = false;
    while (executed < steps && !(stop && Atomics.load(stop, 0) !== 0)) {
      fit.run(1, h, w, executed, f);
      executed++;
      if (fit.converged()) {
        converged = true;
        break;
      }
      if (performance.now() >= deadline) break;
    }
    return {
      type: 'ran',
      id,
      executed,
      converged,
      h: h.slice(0, executed),
      w: w.slice(0, executed),
      ...(f && { objective: f.slice(0, executed) }),
    };
  }

  /** A `group` request: each fit created, run to its end and finished in turn, and freed; a failure is its entry. */
  function group(problems: readonly FitProblem[], maxIter: number, stop: Int32Array): (GroupFitRun | FailedRun)[] {
    return problems.map((problem) => {
      if (Atomics.load(stop, 0) !== 0) return failure(plainError('NMFKIT_INVALID_STATE', 'nmfkit: the fit was cancelled before it ran'));
      let fit: KernelFit | undefined;
      try {
        fit = loaded().createFit(problem);
        const hChange = new Float64Array(maxIter);
        const wChange = new Float64Array(maxIter);
        const objective = new Float64Array(maxIter);
        let executed = 0;
        let converged = false;
        while (executed < maxIter && Atomics.load(stop, 0) === 0) {
          fit.run(1, hChange, wChange, executed, objective);
          executed++;
          converged = fit.converged();
          if (converged) break;
        }
        const result = fit.finish();
        const records = {
          hChange: hChange.slice(0, executed),
          wChange: wChange.slice(0, executed),
          objective: objective.slice(0, executed),
        };
        return { executed, converged, ...records, result };
      } catch (error) {
        return failure(error);
      } finally {
        fit?.dispose();
      }
    });
  }

  async function teamsOn(module: WebAssembly.Module): Promise<Backend> {
    loaded();
    teamBackend ??= await instantiateTeamBackend(module, {
      maxMemoryBytes: init!.maxMemoryBytes,
      maxMemorySetting: init!.maxMemorySetting,
    });
    return teamBackend;
  }

  async function handle(request: PoolRequest): Promise<PoolReply> {
    const { id } = request;
    switch (request.type) {
      case 'init':
        init = request;
        try {
          backend = await instantiateWasmBackend(request.module, {
            maxMemoryBytes: request.maxMemoryBytes,
            maxMemorySetting: request.maxMemorySetting,
          });
        } catch (error) {
          initError = error instanceof Error ? error : plainError('NMFKIT_BACKEND_UNAVAILABLE', String(error));
          throw initError;
        }
        return { type: 'done', id };
      case 'create': {
        const on = request.problem.spec.threads > 1 && init?.teamModule ? await teamsOn(init.teamModule) : loaded();
        const fit = on.createFit(request.problem);
        fits.set(id, { fit, stop: request.stop });
        const team = teamOf(fit);
        return { type: 'done', id, ...(team && { team }) };
      }
      case 'help':
        if (!init?.teamModule)
          throw plainError('NMFKIT_INVALID_STATE', 'nmfkit wasm worker: help asked of a worker without the threaded module');
        await helpTeam(init.teamModule, request.team, request.member);
        return { type: 'done', id };
      case 'multiply':
        return { type: 'product', id, product: hosted(id).fit.multiplyV(request.X, request.cols, request.transpose) };
      case 'factors':
        hosted(id).fit.setFactors(request.W, request.H);
        return { type: 'done', id };
      case 'run':
        return run(id, request.steps, request.budgetMs, request.objective === true);
      case 'finish':
        return { type: 'finished', id, result: hosted(id).fit.finish() };
      case 'group':
        return { type: 'grouped', id, runs: group(request.problems, request.maxIter, request.stop) };
      case 'dispose':
        fits.get(id)?.fit.dispose();
        fits.delete(id);
        return { type: 'done', id };
      case 'memory':
        return { type: 'memory', id, bytes: (backend?.details().memoryBytes ?? 0) + (teamBackend?.details().memoryBytes ?? 0) };
    }
  }

  async function respond(request: PoolRequest): Promise<void> {
    let reply: PoolReply;
    try {
      reply = await handle(request);
    } catch (error) {
      reply = { type: 'failed', id: request.id, ...failure(error) };
    }
    send({ reply, transfer: transferOf(reply) as ArrayBuffer[] });
  }

  return (request) => {
    queue = queue.then(() => respond(request));
  };
}
