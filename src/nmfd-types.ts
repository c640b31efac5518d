/** The public types of `nmfd` (convolutive NMF, docs/algorithms.md §13). */
import type { BackendName, IterationInfo, Matrix, MatrixInput, StopReason } from './types.js';

export interface NmfdOptions {
  /** R, the number of components. Required unless `W` is given (then its length). */
  readonly rank?: number;
  /** T, the frames of each template, 1 ≤ T ≤ N. Default 8 (libnmfd's), at most N; or the frames of the given `W`. */
  readonly templateFrames?: number;
  /** Iterations (all of them run with the default stop rule 'none', as in libnmfd). Default 30. */
  readonly maxIter?: number;
  /** Initial templates: R matrices, each K×T (libnmfd's `init_W`). */
  readonly W?: readonly MatrixInput[];
  /** Initial activations, R×N, in V's units (libnmfd's `init_H` times eps + ΣV). Default: all eps + ΣV. */
  readonly H?: MatrixInput;
  /** How the templates start when `W` is not given: 'random' (U[0, 1), seeded) or 'uniform', each scaled to unit sum. */
  readonly init?: 'random' | 'uniform';
  readonly seed?: number;
  /** false keeps the templates fixed (libnmfd's `fix_W`); they are still scaled to unit sum each iteration. */
  readonly updateW?: boolean;
  /** false keeps the activations fixed (libnmfd's `fix_H`). */
  readonly updateH?: boolean;
  /** Added to every denominator and to the model. Default 2^-52 (libnmfd's EPS). */
  readonly eps?: number;
  /**
   * 'none' (default: run maxIter iterations), 'change' (both Frobenius change norms < tol), 'objective', or
   * 'relativeChange' (every updated factor's ‖ΔX‖_F / ‖X‖_F ≤ tol).
   */
  readonly stop?: 'change' | 'objective' | 'none' | 'relativeChange';
  readonly tol?: number;
  /** The objective is evaluated after every errorEvery-th iteration (each evaluation costs a model). Default 10. */
  readonly errorEvery?: number;
  readonly threads?: number;
  readonly backend?: 'auto' | 'native' | 'wasm';
  readonly onIteration?: (info: IterationInfo) => boolean | void;
  readonly maxTime?: number;
  readonly signal?: AbortSignal;
}

export interface NmfdResult {
  /** The templates: R matrices, each K×T, unit sum each (libnmfd's W list). */
  readonly W: readonly Matrix[];
  /** The activations, R×N, in V's units. */
  readonly H: Matrix;
  readonly templateFrames: number;
  readonly iterations: number;
  readonly converged: boolean;
  readonly stopReason: StopReason;
  /** ‖ΔH‖_F of every iteration. */
  readonly hChange: Float64Array;
  /** ‖ΔW‖_F of every iteration (the templates' change, unit-sum scaling included). */
  readonly wChange: Float64Array;
  /** ‖V − Λ‖_F, Λ = Σ_t W_t·shift(H, t). */
  readonly frobeniusError: number;
  /** D_KL(V ‖ Λ + eps) = Σ V·log(V/(Λ + eps)) − V + Λ + eps, in V's units. */
  readonly objective: number;
  readonly objectiveHistory: { readonly iterations: Uint32Array; readonly values: Float64Array };
  readonly backend: BackendName;
  /** The seed of the template initialisation, or null when `W` was given. */
  readonly seed: number | null;
  /** Λ restricted to `components` (an index or distinct indices; all when absent): each component's convolutive V̂_r. */
  reconstruct(components?: number | readonly number[]): Matrix;
}
