/**
 * α-Wiener masks (Liutkus & Badeau 2015, as libnmfd's `alpha_wiener_filter`): from R nonnegative estimates Â_r of
 * the sources' magnitudes (e.g. an NMFD result's per-component reconstructions), M_r = Â_r^α / (eps + Σ_s Â_s^α).
 * The masks sum to 1 wherever some estimate is positive; multiplied with the mixture's complex STFT they separate it.
 */
import { rangeError, typeError } from './errors.js';
import type { Matrix, MatrixInput } from './types.js';
import { checkNonNegative, describe, isArray, readList, toMatrix } from './validate.js';

/** libnmfd's EPS in the denominator. */
const MASK_EPS = 2 ** -52;

export function wienerMasks(estimates: readonly MatrixInput[], alpha = 1): Matrix[] {
  if (!isArray(estimates)) {
    throw typeError('NMFKIT_INVALID_TYPE', `estimates must be an array of matrices, got ${describe(estimates)}`);
  }
  const list = readList('estimates', estimates, 'an array of matrices', 2 ** 24, (n) => `estimates has ${n} entries, too many`);
  if (list.length === 0) throw rangeError('NMFKIT_INVALID_VALUE', 'estimates must hold at least one matrix');
  const a = checkNonNegative('alpha', alpha);
  if (a === 0) throw rangeError('NMFKIT_INVALID_VALUE', 'alpha must be > 0, got 0');
  const first = toMatrix('estimates[0]', list[0]);
  const shape = { rows: first.rows, cols: first.cols, why: 'the shape of estimates[0]' };
  const powered = [first, ...list.slice(1).map((m, i) => toMatrix(`estimates[${i + 1}]`, m, shape))].map((m) => {
    const data = m.data;
    for (let i = 0; i < data.length; i++) data[i] = data[i]! ** a;
    return m;
  });
  const total = new Float64Array(first.data.length).fill(MASK_EPS);
  for (const m of powered) for (let i = 0; i < total.length; i++) total[i]! += m.data[i]!;
  return powered.map((m) => {
    for (let i = 0; i < total.length; i++) m.data[i] = m.data[i]! / total[i]!;
    return { rows: m.rows, cols: m.cols, data: m.data };
  });
}
