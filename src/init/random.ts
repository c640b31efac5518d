/**
 * Random initialisations: the reference U[0,1) factors ('random') and the same draws scaled by √(mean(V)/R)
 * ('random-scaled', scikit-learn's scale for its random init, so that W0·H0 has the magnitude of V).
 *
 * Draws come from `Random(seed)` (src/random.ts): W0 (K×R, row-major) first, then H0 (R×N). A factor the caller gave
 * takes no draws, so `W` given + random H draws H from the start of the stream — as the facade does today.
 */
import { Random } from '../random.js';
import { meanOf } from './nndsvd.js';

function sumOf(V: ArrayLike<number>): number {
  let sum = 0;
  for (let k = 0; k < V.length; k++) sum += V[k]!;
  return sum;
}

export interface RandomFactors {
  readonly W: Float64Array | undefined;
  readonly H: Float64Array | undefined;
}

/** U[0,1)·scale factors; `need` says which of W and H to draw (W first). */
export function randomFactors(
  K: number,
  N: number,
  R: number,
  seed: number,
  scale = 1,
  need: { W: boolean; H: boolean } = { W: true, H: true },
): RandomFactors {
  const random = new Random(seed);
  const draw = (length: number): Float64Array => {
    const X = random.fill(new Float64Array(length));
    if (scale !== 1) for (let k = 0; k < length; k++) X[k] = X[k]! * scale;
    return X;
  };
  const W = need.W ? draw(K * R) : undefined;
  const H = need.H ? draw(R * N) : undefined;
  return { W, H };
}

/**
 * √(mean(V)/R): the scale of 'random-scaled'. Where the mean of a nonzero V underflows to 0 (a few subnormal
 * entries among many zeros), √(max(V)/R): an all-zero start would stay all zero under MU. `entries`: V's entries
 * when `V` holds only the stored values of a sparse V (the others are zeros, which add nothing to the sum: the
 * same sum, in row-major order, as the dense V's).
 */
export function randomScale(V: ArrayLike<number>, R: number, entries = V.length): number {
  const mean = entries === V.length ? meanOf(V) : sumOf(V) / entries;
  const scale = Math.sqrt(mean / R);
  if (scale > 0) return scale;
  let max = 0;
  for (let k = 0; k < V.length; k++) if (V[k]! > max) max = V[k]!;
  return Math.sqrt(max / R);
}
