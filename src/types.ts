/** Public types of nmfkit. Everything a caller passes in or gets back is described here. */

/** A typed array of integers, accepted as matrix entries (read as their numbers; BigInt arrays are not accepted). */
export type IntegerArray = Int8Array | Uint8Array | Uint8ClampedArray | Int16Array | Uint16Array | Int32Array | Uint32Array;

/** Row-major entries of a matrix. Float32Array and integer input is read into float64 before computing. */
export type MatrixData = Float64Array | Float32Array | IntegerArray | readonly number[];

/** A matrix given as its shape and row-major entries: entry (i, j) is `data[i * cols + j]`. */
export interface MatrixLike {
  readonly rows: number;
  readonly cols: number;
  readonly data: MatrixData;
}

/** One row of a matrix given as an array of rows: numbers, or a typed array of them. */
export type MatrixRow = readonly number[] | Float64Array | Float32Array | IntegerArray;

/**
 * A matrix object of ml-matrix's kind (its `Matrix`, or any object of that shape): `rows`, `columns`, and either
 * `to2DArray()` (preferred) or `getRow(i)`, which nmfkit calls (their exceptions become a TypeError naming the
 * argument) and whose results it checks as strictly as an array of rows.
 */
export interface MatrixObject {
  readonly rows: number;
  readonly columns: number;
  to2DArray?(): readonly MatrixRow[];
  getRow?(index: number): MatrixRow;
}

/**
 * Every form a matrix argument may take: shape + row-major data, an array of equally long rows (arrays of numbers
 * or typed arrays), or an ml-matrix-like object.
 */
export type MatrixInput = MatrixLike | readonly MatrixRow[] | MatrixObject;

/**
 * A sparse V in compressed sparse row form, with scipy's names (docs/sparse.md): row i's stored entries are
 * `data[indptr[i]] … data[indptr[i + 1] − 1]` in the columns `indices[indptr[i]] …`, strictly increasing (a repeated
 * column is refused, not summed). Absent entries are zeros, or missing with `observed: 'stored'`.
 */
export interface CsrMatrixInput {
  readonly format: 'csr';
  readonly rows: number;
  readonly cols: number;
  readonly indptr: Int32Array | Uint32Array | readonly number[];
  readonly indices: Int32Array | Uint32Array | readonly number[];
  readonly data: MatrixData;
}

/** The arrays of a fit's factors: Float64Array, or Float32Array for a fit with `dtype: 'float32'`. */
export type FactorArray = Float64Array | Float32Array;

/**
 * The factors' array of a fit with options of type `O`: Float32Array for `dtype: 'float32'`, Float64Array without
 * a dtype or with `'float64'`, either when the type does not say.
 */
export type FactorArrayOf<O> = O extends { readonly dtype: 'float32' }
  ? Float32Array
  : O extends { readonly dtype?: 'float64' | undefined }
    ? Float64Array
    : FactorArray;

/**
 * A matrix nmfkit returns: always a fresh array owned by the caller — float64, except a float32 fit's W and H
 * (`Matrix<Float32Array>`).
 */
export interface Matrix<D extends FactorArray = Float64Array> {
  readonly rows: number;
  readonly cols: number;
  readonly data: D;
}

/** The two compute backends. */
export type BackendName = 'native' | 'wasm';

/** Progress of one iteration, passed to `onIteration`. */
export interface IterationInfo {
  /** 1-based number of the iteration just finished. */
  readonly iteration: number;
  /** ‖H_ℓ − H_ℓ₋₁‖₂, the spectral norm of this iteration's change of H. */
  readonly hChange: number;
  /** ‖W_ℓ − W_ℓ₋₁‖₂, the spectral norm of this iteration's change of W. */
  readonly wChange: number;
  /** The objective after this iteration, when it is a checkpoint (a multiple of `errorEvery`); else absent. */
  readonly objective?: number;
  /** 0-based index of the run (`restarts`); 0 without restarts. */
  readonly run: number;
}

/** A loss of {@link NmfOptions.loss}: a name, or β of the β-divergence. */
export type Loss = 'euclidean' | 'kl' | 'is' | number;

/** Why a fit stopped. */
export type StopReason = 'tol' | 'maxIter' | 'maxTime' | 'callback' | 'abort';

/** Options of {@link nmf} and {@link nmfSync}. Unknown names are rejected, so a typo is an error. */
export interface NmfOptions {
  /**
   * R, the number of components (columns of W, rows of H). A positive integer; may exceed min(K, N). Required
   * unless `W` or `H` is given: then it is W's columns or H's rows (both given: they must agree).
   */
  readonly rank?: number;
  /** Most iterations to run; a non-negative integer. Default 1000. 0 returns the (normalised) initial factors. */
  readonly maxIter?: number;
  /**
   * Tolerance of the stop rule. `stop: 'change'`: stop after the first iteration where both hChange and wChange
   * are below it; `stop: 'objective'`: stop at the first checkpoint whose relative decrease of the objective is
   * below it. Default 1e-3.
   */
  readonly tol?: number;
  /** Initial W (K×R). Default: random U[0,1) from `seed`. */
  readonly W?: MatrixInput;
  /** Initial H (R×N). Default: random U[0,1) from `seed`. */
  readonly H?: MatrixInput;
  /** Integer seed of the random initialisation. Default: a random seed, reported in the result. */
  readonly seed?: number;
  /**
   * How W0 and H0 are made when not given: `'random'` (default, U[0,1) entries), `'random-scaled'` (U[0,1) times
   * √(mean(V)/R)), `'nndsvd'`, `'nndsvda'` (zeros filled with mean(V)), `'nndsvdar'` (zeros filled with small random
   * values) — Boutsidis & Gallopoulos (2008), the SVD by seeded randomized subspace iteration (docs/algorithms.md).
   * The NNDSVD variants need rank ≤ min(K, N) and run on the calling thread. An explicit `W` or `H` wins.
   */
  readonly init?: 'random' | 'random-scaled' | 'nndsvd' | 'nndsvda' | 'nndsvdar';
  /**
   * Rescales each learned column of W once after the loop — to maximum 1 (`'max'`), sum 1 (`'l1'`) or Euclidean
   * norm 1 (`'l2'`) — and multiplies the matching row of H by the same factor, so W·H is kept. Columns the fit
   * did not learn (`updateW: false`, `fixedColumnsW`, `updateH: false`) are left as they are. Default `'none'`.
   */
  readonly normalize?: 'none' | 'max' | 'l1' | 'l2';
  /**
   * Added to every denominator of the multiplicative updates, and the floor of W·H where a loss divides by it
   * (β < 2). Default 2^-23 (float32 machine epsilon), as in libfmp's nmf; relative to V's scale. Must be > 0 with a
   * loss other than Euclidean or with a mask.
   */
  readonly eps?: number;
  /**
   * What the fit minimises (docs/algorithms.md §1): `'euclidean'` (default, ½‖V − WH‖²_F, libfmp-compatible MU), `'kl'`
   * (generalized Kullback–Leibler, β = 1), `'is'` (Itakura–Saito, β = 0; needs V > 0), or a finite number β of the
   * β-divergence. Multiplicative updates with the exponent of Févotte & Idier (2011) outside β ∈ [1, 2].
   */
  readonly loss?: Loss;
  /**
   * `'mu'` (default): multiplicative updates. `'hals'`: fast hierarchical alternating least squares (coordinate
   * descent, scikit-learn's `'cd'`), Euclidean loss only, no mask; usually needs far fewer iterations.
   */
  readonly solver?: 'mu' | 'hals';
  /** L1 penalty weight on W (adds l1W·ΣW to the objective). Default 0. */
  readonly l1W?: number;
  /** L2 penalty weight on W (adds ½·l2W·‖W‖²_F). Default 0. */
  readonly l2W?: number;
  /** L1 penalty weight on H (adds l1H·ΣH). Default 0. */
  readonly l1H?: number;
  /** L2 penalty weight on H (adds ½·l2H·‖H‖²_F). Default 0. */
  readonly l2H?: number;
  /**
   * false: W is never updated (supervised NMF — learn activations H for given templates, e.g. to transform new
   * data); W comes back bit-identical. Default true. Not together with `updateH: false`.
   */
  readonly updateW?: boolean;
  /** false: H is never updated (learn templates for given activations). Default true. */
  readonly updateH?: boolean;
  /** Indices of columns of W (templates) that keep their initial values while the others learn. */
  readonly fixedColumnsW?: readonly number[];
  /**
   * K×N weights in [0, 1] of V's entries in the loss (0 = missing; solver `'mu'`, any loss).
   * Where the mask is 0, V may hold NaN. Masked entries do not influence the fit; `reconstruct()` fills them in.
   */
  readonly mask?: MatrixInput;
  /**
   * For a CSR V (docs/sparse.md): `'all'` (default) treats its absent entries as zeros; `'stored'` as missing (the
   * mask is the sparsity pattern, never formed densely: matrix completion; solver `'mu'`, any loss).
   */
  readonly observed?: 'all' | 'stored';
  /**
   * The stop rule: `'change'` (default, libfmp's rule: both change norms below `tol`), `'objective'` (relative
   * decrease of the objective below `tol` between two checkpoints), `'none'` (run `maxIter` iterations),
   * `'relativeChange'` (every updated factor's ‖X − X_prev‖_F / ‖X‖_F at most `tol`, never with `tol` 0:
   * scikit-learn's test for MiniBatchNMF's activations).
   */
  readonly stop?: 'change' | 'objective' | 'none' | 'relativeChange';
  /**
   * The objective is evaluated after every `errorEvery`-th iteration (for the history and `stop: 'objective'`).
   * Default 1 for the Euclidean loss without a mask (nearly free there), 10 otherwise (each evaluation forms W·H,
   * measured 0.3–0.6 of an iteration).
   */
  readonly errorEvery?: number;
  /**
   * Whether the result's `spectralError` (‖V − W·H‖₂, libfmp's error) is computed. Default true. It takes a
   * Lanczos run on the residual when the fit ends, tens of passes over a K×N matrix (on large random-like
   * residuals, whose top singular values lie close together, 5–10 iterations' worth of time); false skips it
   * (`spectralError` is then NaN) and leaves `frobeniusError` and `objective`, which cost one pass. For a CSR V
   * the default is false; true fits it as the dense V with its entries (docs/sparse.md).
   */
  readonly spectralError?: boolean;
  /**
   * Solver `'hals'`: the most sweeps of each half-step over the same products (accelerated HALS, Gillis &
   * Glineur 2012; docs/algorithms.md §5). Default 1 (plain HALS, scikit-learn's cd). A sweep costs far less than
   * the products it reuses, so 3–5 reach a given objective in fewer iterations and less time. Ignored by MU.
   */
  readonly halsSweeps?: number;
  /**
   * Solver `'hals'`: a half-step's next sweep runs only while the last one changed the factor by more than this
   * fraction of the first sweep's change (Frobenius norms). Default 0.01.
   */
  readonly halsSweepTol?: number;
  /**
   * Solver `'hals'`: the factor each iteration updates first. `'w-first'` (default) is scikit-learn's `cd` on V
   * as its X; `'h-first'` is its `cd` on X = Vᵀ (samples as V's columns), the order the `NMF` estimator uses, so
   * that its trajectory is scikit-learn's. Ignored by MU.
   */
  readonly halsOrder?: 'w-first' | 'h-first';
  /**
   * Complete fits to run with seeds seed, seed + 1, …; the one with the lowest objective is returned. Default 1.
   * Needs an initialisation that uses the seed.
   */
  readonly restarts?: number;
  /**
   * Threads of this fit's team, 1–256: each iteration's products and updates are split between them (by columns
   * of V for H's half-step, by rows for W's), every entry computed as on one thread. Default: the `fits` setting
   * (`setThreads`, `NMFKIT_THREADS`; the cores) shared by the fits running, and 1 for a fit whose iteration is too
   * short to split (K·N·rank < 2^21) and for each fit of an `nmfBatch` with at least as many matrices as `fits`.
   * On the WebAssembly backend the team is a worker and its helpers, where `SharedArrayBuffer` is available;
   * `nmfSync` and fits that run inline use one thread there (docs/backends.md, "WebAssembly teams").
   */
  readonly threads?: number;
  /**
   * The precision the fit stores and computes in. Default `'float64'` (libfmp's numbers to 1e-9). `'float32'`
   * halves the memory and roughly doubles the speed of the products; V, W and H are rounded to float32 when the
   * fit starts, the spectral norms of the changes and the final errors are still computed in float64, and W and H
   * come back as the Float32Arrays they were computed in (the errors, history and `reconstruct()` in float64). Expect agreement with float64 to ~1e-4 relative on well-conditioned
   * problems; an iteration whose change norm lies within rounding of `tol` may stop one iteration earlier or later.
   */
  readonly dtype?: 'float64' | 'float32';
  /** Which backend computes this fit. Default `'auto'`: native if it loaded, else wasm (see `NMFKIT_BACKEND`). */
  readonly backend?: 'auto' | BackendName;
  /** Called after every iteration, in order. Returning `false` stops the fit after that iteration. */
  readonly onIteration?: (info: IterationInfo) => boolean | void;
  /**
   * Time budget in milliseconds: the fit stops after the iteration during which it ran out, with
   * `stopReason: 'maxTime'` and `converged: false`. Default: none.
   */
  readonly maxTime?: number;
  /**
   * Cancels an {@link nmf} call: the fit stops before its next iteration, its memory is freed and the promise
   * rejects with an `AbortError` whose `cause` is the signal's reason. Ignored by `nmfSync`, which nothing can
   * interrupt but `onIteration` returning false.
   */
  readonly signal?: AbortSignal;
}

/**
 * The outcome of a fit: plain data (`structuredClone` and `postMessage` copy it) — the factors' arrays of type `D`
 * (Float32Array for `dtype: 'float32'`, else Float64Array) — and the method `reconstruct`, which is not enumerable
 * (a clone leaves it behind; the standalone `reconstruct(result)` works on the clone too).
 */
export interface NmfResult<D extends FactorArray = FactorArray> {
  /** Templates, K×R. */
  readonly W: Matrix<D>;
  /** Activations, R×N. */
  readonly H: Matrix<D>;
  /** Number of iterations executed. */
  readonly iterations: number;
  /** True iff the tolerance test stopped the fit. */
  readonly converged: boolean;
  /** Why the fit stopped. */
  readonly stopReason: StopReason;
  /** hChange of every executed iteration. */
  readonly hChange: Float64Array;
  /** wChange of every executed iteration. */
  readonly wChange: Float64Array;
  /**
   * ‖V − W·H‖₂ (largest singular value of the residual; libfmp's V_approx_err), or NaN with
   * `spectralError: false`. With a mask, both errors are of M ⊙ (V − W·H): the residual where V was observed,
   * weighted by the mask.
   */
  readonly spectralError: number;
  /** ‖V − W·H‖_F (with a mask: ‖M ⊙ (V − W·H)‖_F). */
  readonly frobeniusError: number;
  /** The objective (loss plus penalties, docs/algorithms.md §1) of the returned W and H. */
  readonly objective: number;
  /**
   * The objective at iteration 0, after every `errorEvery`-th iteration, and — when the last iteration is not such
   * a checkpoint — after the last one (then equal to `objective`). `iterations[i]` is the iteration after which
   * `values[i]` was taken. Values inside the loop are of the factors before normalisation.
   */
  readonly objectiveHistory: { readonly iterations: Uint32Array; readonly values: Float64Array };
  /** With `restarts`: the objective of every run, in seed order (the returned fit is the lowest). Else [objective]. */
  readonly restartObjectives: Float64Array;
  /** The backend that computed the fit. */
  readonly backend: BackendName;
  /**
   * The seed of the initialisation (with restarts: of the returned run), or null when it used none (both W and H
   * given, or `init: 'nndsvd' | 'nndsvda'`).
   */
  readonly seed: number | null;
  /**
   * W·H as a fresh K×N float64 matrix (with a mask: the imputed values where the mask is 0); with `components` (a
   * component index, or distinct indices in [0, R)), the reconstruction from those components only, Σ W[:, r]·H[r, :].
   */
  reconstruct(components?: number | readonly number[]): Matrix;
}

/** A backend that did not load: why, and what to do about it. */
export interface BackendUnavailable {
  readonly loaded: false;
  readonly reason: string;
  readonly fix: string;
}

/** The WebAssembly backend, loaded. */
export interface WasmLoaded {
  readonly loaded: true;
  readonly simd: boolean;
  /** Bytes of linear memory the calling thread's instance holds (worker threads have their own instances). */
  readonly memoryBytes: number;
  /**
   * The cap on each instance's linear memory: `ready({ maxMemoryBytes })`, else `NMFKIT_WASM_MAX_MEMORY` where
   * there are environment variables, else the entry's `DEFAULT_MAX_MEMORY_BYTES` (Node: 4 GiB, the 32-bit limit;
   * WebAssembly-only: 32 MiB in edge isolates, else sized from the device, 256 MiB to 2 GiB, or 1 GiB).
   */
  readonly maxMemoryBytes: number;
}

/** What `backendInfo()` of the Node entry reports. */
export interface BackendInfo {
  /** Which entry point of the package is running: the Node entry (export condition `node-addons`). */
  readonly entry: 'node';
  /** The backend `backend: 'auto'` uses. */
  readonly backend: BackendName;
  /** Where the choice came from: the automatic rule or the `NMFKIT_BACKEND` environment variable. */
  readonly chosenBy: 'auto' | 'NMFKIT_BACKEND';
  readonly native:
    | {
        readonly loaded: true;
        readonly blas: { readonly vendor: string; readonly version: string; readonly config: string; readonly threads: number };
      }
    | { readonly loaded: false; readonly reason: string; readonly fix: string };
  readonly wasm: WasmLoaded | BackendUnavailable;
  /** The thread policy in force (`setThreads`, `NMFKIT_THREADS`). */
  readonly threads: {
    /**
     * Fits that run at once per backend (native: also at most libuvPool − 1), and the cores that running native
     * fits share as their teams (`threads`).
     */
    readonly fits: number;
    /** OpenBLAS threads inside one native fit. */
    readonly blasThreads: number;
    /** The libuv pool size that native async fits share with fs, dns and crypto. */
    readonly libuvPool: number;
  };
}

/** The thread settings of the Node entry (`setThreads`, `backendInfo().threads`). */
export interface ThreadSettings {
  /** Fits that run at once, per backend; also the cores that running native fits share as their teams. */
  readonly fits: number;
  /** OpenBLAS threads inside one native fit. */
  readonly blasThreads: number;
  /** Size of the libuv thread pool that native async fits share with fs, dns and crypto (UV_THREADPOOL_SIZE). */
  readonly libuvPool: number;
}

/** The thread setting of the WebAssembly-only entry. */
export interface WasmThreadSettings {
  /** Fits that run at once, each in its own Web Worker (inline fits run one at a time whatever this says). */
  readonly fits: number;
}

/**
 * A compiled `WebAssembly.Module`. Spelled out this way because the declarations of the Node entry must also
 * type-check in projects whose libraries declare no WebAssembly (Node types without the DOM library): there it is
 * any object.
 */
export type CompiledWasmModule = typeof globalThis extends { WebAssembly: { Module: abstract new (...args: never[]) => infer M } }
  ? M
  : object;

/**
 * What `ready()` accepts, in both entries. Every option applies from the first call on (and, on the Node entry,
 * only while the wasm backend has not loaded yet: a fit or `backendInfo()` loads it with the defaults); a later
 * call that gives different values rejects with a RangeError.
 */
export interface ReadyOptions {
  /**
   * A compiled `WebAssembly.Module` of wasm/nmfkit.wasm, for runtimes that forbid compiling bytes (Cloudflare
   * workerd: `import wasm from 'nmfkit/nmfkit.wasm'`) or bundlers that import .wasm files as modules. Nothing is
   * fetched then.
   */
  readonly module?: CompiledWasmModule;
  /**
   * Where to fetch wasm/nmfkit.wasm from, if not from next to the package's files
   * (`new URL('../wasm/nmfkit.wasm', import.meta.url)`, which bundlers that understand that form rewrite).
   */
  readonly url?: string | URL;
  /**
   * Cap on each wasm instance's linear memory, in bytes (1 MiB to 4 GiB). Default: `NMFKIT_WASM_MAX_MEMORY` where
   * the runtime has environment variables, else the entry's `DEFAULT_MAX_MEMORY_BYTES`: 4 GiB on the Node entry; on
   * the WebAssembly-only one 32 MiB in edge isolates, elsewhere a quarter of the device's memory (256 MiB to 2 GiB)
   * where the runtime tells it, else 1 GiB.
   */
  readonly maxMemoryBytes?: number;
  /**
   * Whether `nmf()` runs wasm fits off the calling thread — in worker threads (Node) or module Web Workers (default:
   * where they exist). `false`: on the calling thread, in slices of about 8 ms with yields to the event loop between
   * them, one at a time.
   */
  readonly workers?: boolean;
}

/** What `backendInfo()` of the WebAssembly-only entry reports. */
export interface WasmOnlyBackendInfo {
  /** Which entry point of the package is running: the WebAssembly-only one. */
  readonly entry: 'wasm-only';
  /** The backend `backend: 'auto'` uses: always wasm here, unless `NMFKIT_BACKEND=native` asks for the impossible. */
  readonly backend: BackendName;
  /** Where the choice came from: the automatic rule or the `NMFKIT_BACKEND` environment variable (where there is one). */
  readonly chosenBy: 'auto' | 'NMFKIT_BACKEND';
  /** Never loaded here: why, and what to do about it. */
  readonly native: BackendUnavailable;
  /** Before `ready()` has resolved: not loaded, with the reason (not initialised yet, or why loading failed). */
  readonly wasm:
    | (WasmLoaded & {
        /** Where the module came from: `ready({ module })`, or fetched from `url`. */
        readonly source: 'module' | 'url';
        readonly url?: string;
      })
    | BackendUnavailable;
  readonly threads: {
    /** Fits that run at once in Web Workers (`setThreads`; default `navigator.hardwareConcurrency`). */
    readonly fits: number;
    /** How `nmf()` runs: in Web Workers, or on the calling thread with yields ('inline': one fit at a time). */
    readonly mode: 'web-worker' | 'inline';
    /**
     * Whether a lone `nmf()` can run on a team of Web Workers over a shared memory (`threads`, as on the Node
     * entry): the page is cross-origin isolated and `ready()` fetched wasm/nmfkit-threads.wasm from beside the
     * module's URL. Otherwise every fit runs on one worker.
     */
    readonly teams: boolean;
  };
}
