/**
 * Initial factors for every `init` option (docs/algorithms.md §9). Runtime-neutral (no Node built-ins); inputs are
 * validated by the facade: V K×N row-major, finite, ≥ 0; R ≥ 1, and R ≤ min(K, N) for the NNDSVD variants.
 */
import { nndsvd, type Factors } from './nndsvd.js';
import { randomFactors, randomScale } from './random.js';

export type InitMethod = 'random' | 'random-scaled' | 'nndsvd' | 'nndsvda' | 'nndsvdar';

export { bestRun, restartSeeds } from './restarts.js';
export {
  columnSumsMean,
  meanOf,
  nndsvd,
  nndsvdFromSvd,
  nndsvdSteps,
  NNDSVD_TRUNCATION,
  standardNormal,
  type Factors,
  type NndsvdVariant,
} from './nndsvd.js';
export { randomFactors, randomScale } from './random.js';
export {
  plainProducts,
  runSteps,
  truncatedSvd,
  truncatedSvdSteps,
  type SvdOptions,
  type TruncatedSvd,
  type VProduct,
  type VProductSteps,
} from './svd.js';

/** Whether a method uses the seed (restarts need one that does). 'nndsvd' and 'nndsvda' depend on V alone. */
export function initUsesSeed(method: InitMethod): boolean {
  return method === 'random' || method === 'random-scaled' || method === 'nndsvdar';
}

/** The initial W (K×R) and H (R×N) of a method. */
export function initialize(method: InitMethod, V: Float64Array, K: number, N: number, R: number, seed: number): Factors {
  switch (method) {
    case 'random':
    case 'random-scaled': {
      const { W, H } = randomFactors(K, N, R, seed, method === 'random' ? 1 : randomScale(V, R));
      return { W: W!, H: H! };
    }
    default:
      return nndsvd(V, K, N, R, method, seed);
  }
}
