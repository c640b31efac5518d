/**
 * The one contract between the facade and a compute backend.
 *
 * The facade validates and resolves everything (shapes, values, options, initial factors) into a
 * {@link FitProblem}: one {@link FitSpec} (src/spec.ts), every value the kernels read, and private copies of the
 * arrays. A backend never sees user input and never validates it again; its glue checks only what memory safety
 * needs (slot encodings, array lengths, sizes it can allocate), and then it has to be exact and fast.
 *
 * The iteration loop is split between the two sides on purpose:
 *  - the backend owns one iteration (H update, W update, spectral norms of both changes) and a tight loop of
 *    them that stops at the stop rule, so a long fit runs without crossing into JavaScript;
 *  - the facade's driver owns everything that is about the caller (callbacks, time budgets, cancellation) and
 *    calls {@link KernelFit.run} in chunks, so that logic is written once for every backend.
 */
import type { Dtype, FitSpec } from './spec.js';

export type { Dtype, FitSpec, Normalize, Solver, StopRule } from './spec.js';

/**
 * A fit as the facade hands it to a backend. All arrays are row-major, owned by the fit, and consistent with the
 * specification: the facade has checked every combination (HALS only with β = 2 and no mask; eps > 0 for MU β;
 * V > 0 where β ≤ 0 and the mask is > 0; not both update flags false).
 */
export interface FitProblem {
  readonly spec: FitSpec;
  /**
   * V's spec.nnz entries: K×N (spec.storage 'dense'), or the stored entries of a CSR V in the order of `pattern`;
   * finite and ≥ 0 (0 where the mask is 0). For a synchronous fit (`createFit`) it may be the caller's own array, a
   * Float64Array or a Float32Array (src/options.ts, VStorage): the backend copies it, converting to the fit's dtype,
   * during `createFit` and never writes, keeps or transfers it. For an async fit it is a Float64Array that belongs to
   * the fit and may be transferred.
   */
  readonly V: Float64Array | Float32Array;
  /** Initial W, K×R, entries finite and ≥ 0. */
  readonly W: Float64Array;
  /** Initial H, R×N, entries finite and ≥ 0. */
  readonly H: Float64Array;
  /** K×N weights in [0, 1] (0 = missing) when spec.masked and V is dense, else null. */
  readonly mask: Float64Array | null;
  /** The pattern of a CSR V (spec.storage 'csr'); absent or null for a dense V. */
  readonly pattern?: CsrPattern | null;
  /** R flags; 1 = column r of W is never updated. */
  readonly fixedColumnsW: Uint8Array;
}

/**
 * The pattern of a K×N CSR matrix with nnz stored entries, as the facade validated it (src/csr.ts): row i's entries
 * are indptr[i] … indptr[i + 1] − 1, indptr from 0 to nnz and never decreasing, indices (their columns) in [0, N)
 * and strictly increasing along each row.
 */
export interface CsrPattern {
  readonly indptr: Int32Array;
  readonly indices: Int32Array;
}

/** What a finished fit returns to the facade. Arrays are fresh and belong to the caller. */
export interface KernelResult {
  /**
   * Final W, K×R (after normalisation when the specification asks for it), in the fit's dtype: a Float32Array for
   * spec.dtype 'float32' (the values as computed), else a Float64Array.
   */
  readonly W: Float64Array | Float32Array;
  /** Final H, R×N (after normalisation when the specification asks for it), in the fit's dtype as W. */
  readonly H: Float64Array | Float32Array;
  /** ‖V − W·H‖₂, the largest singular value of the residual (with a mask: of M ⊙ (V − W·H)). */
  readonly spectralError: number;
  /** ‖V − W·H‖_F. */
  readonly frobeniusError: number;
  /** F of the returned (normalised) W and H (docs/algorithms.md §1). */
  readonly objective: number;
  /** F(W0, H0), of the initial factors before any iteration. */
  readonly initialObjective: number;
}

/** The state of one fit inside a backend. Every method is synchronous; `dispose` frees all its memory. */
export interface KernelFit {
  /**
   * Before the first `run`: V·X (X N×cols, result K×cols) or, with `transpose`, Vᵀ·X (X K×cols, result N×cols),
   * row-major, from the fit's own copy of V on the backend's products (in the fit's dtype): the products of an
   * initialisation computed from V (src/init/from-fit.ts). 1 ≤ cols ≤ max(K, N).
   */
  multiplyV(X: Float64Array, cols: number, transpose: boolean): Float64Array;
  /** Before the first `run`: replaces the initial factors (W K×R, H R×N). */
  setFactors(W: Float64Array, H: Float64Array): void;
  /**
   * Runs at most `steps` iterations (steps ≥ 1). Iteration i of this call writes its spectral norms to
   * `hChange[offset + i]` and `wChange[offset + i]`, and, when `objective` is given, F after that iteration to
   * `objective[offset + i]` if the iteration is a checkpoint (its 1-based number since the fit began is a
   * multiple of errorEvery), NaN otherwise. Stops early after the first iteration that passes the stop rule
   * ('change': both norms < tol; 'objective': at a checkpoint, F_prev = 0 or (F_prev − F)/F_prev < tol, F_prev
   * being the previous checkpoint's F or F(W0, H0); 'none': never). Returns the number of iterations executed;
   * {@link KernelFit.converged} then says whether the stop rule fired.
   */
  run(steps: number, hChange: Float64Array, wChange: Float64Array, offset: number, objective?: Float64Array): number;
  /** Whether the last iteration of the last `run` passed the stop rule. */
  converged(): boolean;
  /** Normalises (as the specification says), computes the errors and returns copies of the factors. Once. */
  finish(): KernelResult;
  /** Frees the fit's memory. Safe to call more than once; the fit is unusable afterwards. */
  dispose(): void;
}

/**
 * A fit whose work runs off the calling thread (native: the libuv pool; wasm: a worker thread), so the event
 * loop stays free. Same semantics as {@link KernelFit}; the arrays passed to `runAsync` must not be touched until
 * its promise settles, and only one call may be pending at a time.
 */
export interface AsyncKernelFit {
  /** {@link KernelFit.multiplyV}, off the calling thread. */
  multiplyVAsync(X: Float64Array, cols: number, transpose: boolean): Promise<Float64Array>;
  /** {@link KernelFit.setFactors}; the arrays may be transferred (detached). */
  setFactorsAsync(W: Float64Array, H: Float64Array): Promise<void>;
  runAsync(steps: number, hChange: Float64Array, wChange: Float64Array, offset: number, objective?: Float64Array): Promise<number>;
  /** Whether the last iteration of the last settled `runAsync` passed the stop rule. */
  converged(): boolean;
  /**
   * Stops the fit: a pending `runAsync` stops before its next iteration and resolves with the number of
   * iterations it did execute; later ones run none. Safe to call at any time, from any callback.
   */
  cancel(): void;
  finishAsync(): Promise<KernelResult>;
  /** Frees the fit's memory; safe to call more than once, also while work is pending (it is freed when done). */
  dispose(): void;
}

/**
 * One fit of a group ({@link Backend.runGroupAsync}) that ran to its end: what {@link KernelFit.run} wrote for each
 * iteration it executed (F in `objective` at checkpoints, NaN elsewhere), whether the last one passed the stop rule,
 * and what {@link KernelFit.finish} returned.
 */
export interface GroupFitRun {
  readonly executed: number;
  readonly converged: boolean;
  readonly hChange: Float64Array;
  readonly wChange: Float64Array;
  readonly objective: Float64Array;
  readonly result: KernelResult;
}

/** A group of fits running off the calling thread. */
export interface AsyncKernelGroup {
  /** One entry per problem, in order: its run, or the Error it failed with. Never rejects. */
  readonly done: Promise<(GroupFitRun | Error)[]>;
  /**
   * Stops the group: the fit running stops before its next iteration, the fits after it do not run (their entries
   * are Errors). Safe to call at any time.
   */
  cancel(): void;
}

/** How a lane's runs are admitted (Backend.openLane): each holds one of the backend's slots while it lasts. */
export interface LaneAdmission {
  /**
   * Calls `run` once a slot is free and holds the slot until the promise `run` returns settles; rejects (without
   * calling `run`) when the call's signal aborts while it waits.
   */
  admit(run: () => Promise<void>): Promise<void>;
  /**
   * Whether fits other than lanes' groups wait for a slot: a group then waits its turn instead of joining the lane's
   * run, so that a batch does not hold the slots until it ends.
   */
  contended(): boolean;
}

/**
 * Groups of one-thread fits that run one after another on one thread of the backend, each starting as soon as the
 * one before is done, without a hand-over to the calling thread between them: the calling thread settles a group and
 * creates the next one's fits while the backend runs. A run of the lane is admitted as one fit and ends when its
 * thread finds no group left; a group given while a run is in progress joins it.
 */
export interface GroupLane {
  /** As Backend.runGroupAsync, on this lane; every problem's spec has threads 1. */
  runGroupAsync(problems: readonly FitProblem[], maxIter: number): AsyncKernelGroup;
}

/** Facts a backend reports about itself for `backendInfo()`. */
export interface BackendDetails {
  /** For native: the BLAS library in use, e.g. "OpenBLAS 0.3.21", with its build configuration. */
  readonly blas?: { readonly vendor: string; readonly version: string; readonly config: string; readonly threads: number };
  /** For wasm: whether the module was compiled with SIMD (it always is) and the runtime accepted it. */
  readonly simd?: boolean;
  /** For wasm: bytes of linear memory currently reserved. */
  readonly memoryBytes?: number;
  /** For wasm: the cap on linear memory, in bytes. */
  readonly maxMemoryBytes?: number;
}

/** A compute backend: a way to create fits. */
export interface Backend {
  readonly name: 'native' | 'wasm';
  /** The element types this backend computes in (FitSpec.dtype). */
  readonly dtypes: readonly Dtype[];
  /**
   * Rows of V per block of the fused MU Euclidean sweep for a fit of these sizes on this backend, or 0 when the
   * iteration that reads V twice is faster (src/backends/block-rows.ts). The facade asks only for MU Euclidean
   * fits that update both factors.
   */
  blockRows(spec: Pick<FitSpec, 'rows' | 'cols' | 'rank' | 'dtype' | 'threads'>): number;
  /**
   * Threads of the team a fit of this specification runs on (FitSpec.threads): `wanted` when `explicit`
   * (options.threads), else at most `wanted` (the cores this fit may use) and 1 for a fit too small to gain from
   * a split. The WebAssembly backend: always 1.
   */
  teamSize(spec: Pick<FitSpec, 'rows' | 'cols' | 'rank' | 'solver'>, wanted: number, explicit: boolean): number;
  createFit(problem: FitProblem): KernelFit;
  /** A fit that runs off the calling thread. The problem's arrays may be transferred (detached) by this call. */
  createAsyncFit(problem: FitProblem): AsyncKernelFit;
  /**
   * Runs every problem's fit to its end — at most `maxIter` iterations (none for 0), stopping at its stop rule,
   * then finish — one after another, off the calling thread, in one request (native: one work item on the libuv
   * pool; wasm: one message to a worker). For many small fits, whose fixed cost per request is most of their
   * time. The problems' arrays may be transferred (detached) by this call, and its fits are freed when it is done.
   */
  runGroupAsync(problems: readonly FitProblem[], maxIter: number): AsyncKernelGroup;
  /** A lane for the groups of one runner of a batch (GroupLane), where the backend has them. */
  openLane?(admission: LaneAdmission): GroupLane;
  /**
   * An array of `length` entries, not necessarily zeroed (the facade writes every entry), for the facade's copy of
   * V (or a mask) that this backend's fits then read fastest (native: memory of the addon's own, huge pages where the
   * system has them, instead of a first touch per 4 KiB page; for a small matrix, the copy of an earlier fit, which
   * its creation took back). Absent: the facade uses an ordinary Float64Array. May throw (out of memory); the
   * facade then falls back to an ordinary array.
   */
  allocateMatrix?(length: number): Float64Array;
  details(): BackendDetails;
}
