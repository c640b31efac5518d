/**
 * The one contract between the facade and a compute backend.
 *
 * The facade validates and normalises everything (shapes, values, options, initial factors) and then hands a
 * backend a {@link FitProblem} whose arrays are private copies. A backend never sees user input directly and
 * never needs to validate it again; it only has to be exact and fast.
 *
 * The iteration loop is split between the two sides on purpose:
 *  - the backend owns one iteration (H update, W update, spectral norms of both changes) and a tight loop of
 *    them that stops at the tolerance test, so a long fit runs without crossing into JavaScript;
 *  - the facade's driver owns everything that is about the caller (callbacks, time budgets, cancellation) and
 *    calls {@link KernelFit.run} in chunks, so that logic is written once for every backend.
 */

/** The element type a fit stores and computes in (NmfOptions.dtype). */
export type Dtype = 'float64' | 'float32';

/**
 * Which iteration kernel a fit runs: `'plain'` reads V twice per iteration (WᵀV, then VHᵀ), `'fused'` sweeps over
 * blocks of V's rows once per iteration (docs/kernels.md); `'auto'` picks by size from the measured crossover.
 * Both compute the same iteration. Not a user option: for tests and benchmarks.
 */
export type KernelChoice = 'auto' | 'plain' | 'fused';

/** The stop rule of the run loop (docs/algorithms.md §6). */
export type StopRule = 'change' | 'objective' | 'none';

/**
 * What a fit minimises and how (docs/algorithms.md §1–§7). Absent (FitProblem.algorithm undefined) means the
 * seed: β = 2, MU, no penalties, both factors updated, no fixed columns, no mask, stop 'change', errorEvery 1.
 * The facade has checked every combination (HALS only with β = 2 and no mask; a mask only with β ∈ {1, 2} and
 * MU; eps > 0 when β ≠ 2 or a mask is given; V > 0 where β ≤ 0 and the mask is > 0; not both update flags
 * false); a backend may rely on it.
 */
export interface FitAlgorithm {
  /** β of the β-divergence: 2 Euclidean, 1 generalized Kullback–Leibler, 0 Itakura–Saito, any finite number. */
  readonly beta: number;
  /** 'mu': multiplicative updates (§2); 'hals': fast HALS / coordinate descent (§5), only with β = 2. */
  readonly solver: 'mu' | 'hals';
  /** Penalties (§1), each finite and ≥ 0. */
  readonly l1W: number;
  readonly l2W: number;
  readonly l1H: number;
  readonly l2H: number;
  /** false: the half-step of that factor is skipped and its change norm is 0 (§4). */
  readonly updateW: boolean;
  readonly updateH: boolean;
  /** R entries; 1 = column r of W is never updated (§4). Absent: none fixed. */
  readonly fixedColumnsW?: Uint8Array;
  /**
   * K×N weights in [0, 1] (0 = missing) (§3). Absent: no mask. V is 0 wherever the mask is 0 (the facade
   * writes 0 there), so V stays finite.
   */
  readonly mask?: Float64Array;
  /** The stop rule (§6). */
  readonly stop: StopRule;
  /** The objective is evaluated at iteration 0 and after every errorEvery-th iteration (§7); integer ≥ 1. */
  readonly errorEvery: number;
}

/** A fit as the facade hands it to a backend. All arrays are row-major and owned by the fit. */
export interface FitProblem {
  /** K: rows of V and W. */
  readonly rows: number;
  /** N: columns of V and H. */
  readonly cols: number;
  /** R: columns of W, rows of H. */
  readonly rank: number;
  /** V, K×N, entries finite and ≥ 0. */
  readonly V: Float64Array;
  /** Initial W, K×R, entries finite and ≥ 0. */
  readonly W: Float64Array;
  /** Initial H, R×N, entries finite and ≥ 0. */
  readonly H: Float64Array;
  /** Added to both denominators of the multiplicative updates. */
  readonly eps: number;
  /** Tolerance of the stop test: stop after the first iteration with hChange < tol and wChange < tol. */
  readonly tol: number;
  /**
   * The element type V, W, H and the work buffers are stored and multiplied in; `'float64'` when absent. A
   * float32 fit rounds V, W and H to float32 when it is created, keeps the change Grams, their eigen-solve and the
   * final errors in float64, and returns W and H widened to float64.
   */
  readonly dtype?: Dtype;
  /** Iteration kernel; `'auto'` when absent. */
  readonly kernel?: KernelChoice;
  /** Rows of V per block of the fused sweep; 0 or absent: sized for the L2 cache. */
  readonly blockRows?: number;
  /** Loss, solver, penalties, fixed factors, mask, stop rule; absent: the seed's algorithm. */
  readonly algorithm?: FitAlgorithm;
}

/** What a finished fit returns to the facade. Arrays are fresh and belong to the caller. */
export interface KernelResult {
  /** Final W, K×R (after normalisation when requested). */
  readonly W: Float64Array;
  /** Final H, R×N (after normalisation when requested). */
  readonly H: Float64Array;
  /** ‖V − W·H‖₂, the largest singular value of the residual (with a mask: of M ⊙ (V − W·H)). */
  readonly spectralError: number;
  /** ‖V − W·H‖_F. */
  readonly frobeniusError: number;
  /** F of the returned (normalised) W and H (docs/algorithms.md §1), evaluated explicitly from Λ = W·H. */
  readonly objective: number;
  /** F(W0, H0), of the initial factors before any iteration. */
  readonly initialObjective: number;
}

/**
 * Normalisation applied once after the loop (docs/algorithms.md §8): each learned component r (column r of W
 * updated and not fixed, and H updated) whose column of W has a norm s > 0 — its largest entry ('max'), its sum
 * ('l1'), its Euclidean norm ('l2') — gets W[:, r] / s and H[r, :] · s.
 */
export type KernelNormalize = 'none' | 'max' | 'l1' | 'l2';

/** The state of one fit inside a backend. Every method is synchronous; `dispose` frees all its memory. */
export interface KernelFit {
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
  /** Normalises (when asked), computes the errors and returns copies of the factors. Callable once. */
  finish(normalize: KernelNormalize): KernelResult;
  /** Frees the fit's memory. Safe to call more than once; the fit is unusable afterwards. */
  dispose(): void;
  /** Reads of V per iteration by the kernel the fit runs: 1 for the fused sweep, 2 for the plain kernel. */
  readonly vPasses?: number;
}

/**
 * A fit whose work runs off the calling thread (native: the libuv pool; wasm: a worker thread), so the event
 * loop stays free. Same semantics as {@link KernelFit}; the arrays passed to `runAsync` must not be touched until
 * its promise settles, and only one call may be pending at a time.
 */
export interface AsyncKernelFit {
  runAsync(steps: number, hChange: Float64Array, wChange: Float64Array, offset: number, objective?: Float64Array): Promise<number>;
  /** Whether the last iteration of the last settled `runAsync` passed the stop rule. */
  converged(): boolean;
  /**
   * Stops the fit: a pending `runAsync` stops before its next iteration and resolves with the number of
   * iterations it did execute; later ones run none. Safe to call at any time, from any callback.
   */
  cancel(): void;
  finishAsync(normalize: KernelNormalize): Promise<KernelResult>;
  /** Frees the fit's memory; safe to call more than once, also while work is pending (it is freed when done). */
  dispose(): void;
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
  /** The element types this backend computes in (FitProblem.dtype). */
  readonly dtypes: readonly Dtype[];
  createFit(problem: FitProblem): KernelFit;
  /** A fit that runs off the calling thread. The problem's arrays may be transferred (detached) by this call. */
  createAsyncFit(problem: FitProblem): AsyncKernelFit;
  details(): BackendDetails;
}
