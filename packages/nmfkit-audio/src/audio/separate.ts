/**
 * Source separation with NMF soft masks (Müller, FMP Sect. 8.3.3; the α-Wiener filter of the NMF Toolbox).
 *
 * The components are split into groups (one source each); the components in no group form the rest. With
 * Y_s = Σ_{r ∈ s} W_r·H_r the model of a group or of the rest, the mask of group g is
 *
 *     M_g = Y_g^α ⊘ (Σ_s Y_s^α + eps)        (s over the groups and the rest)
 *
 * which for α = 1 (the default) is W_g·H_g ⊘ (W·H + eps). Larger α sharpens the masks towards binary ones. The
 * residual's mask is 1 − Σ_g M_g: it holds the rest's components and whatever the model does not explain at all
 * (bins where W·H = 0, e.g. between the harmonic bands of score-informed templates), so the sources and the
 * residual always add up to the mixture. Each mask is applied to the complex STFT of the mixture and inverted with
 * the ISTFT.
 */
import type { Matrix, MatrixInput } from 'nmfkit';
import { checkedSize, checkNonNegative, describe, rangeError, readList, toMatrix, typeError } from 'nmfkit/validation';
import { checkBoolean, checkOptions, checkPositive } from './signal.js';
import { checkStft, inverse, type Stft } from './stft.js';

/** Options of {@link softMasks} and {@link separate}. */
export interface SeparationOptions {
  /** Wiener exponent α > 0. Default 1. */
  readonly alpha?: number;
  /** Added to the masks' denominator. Default 2^-23 (as nmf's eps). */
  readonly eps?: number;
}

/** Options of {@link separate}. */
export interface SeparateOptions extends SeparationOptions {
  /** Also return each source's mask. Default false. */
  readonly masks?: boolean;
}

/** One separated source. */
export interface SeparatedSource {
  /** The components (columns of W, rows of H) that make it. */
  readonly components: readonly number[];
  /** Its time signal, as long as the analysed one. */
  readonly signal: Float64Array;
  /** Its K×N soft mask (with `masks: true`). */
  readonly mask?: Matrix;
}

/** The outcome of {@link separate}. */
export interface Separation {
  /** One per group, in order. */
  readonly sources: readonly SeparatedSource[];
  /** Everything else: the components in no group (listed in `components`) and what the model leaves unexplained. */
  readonly residual: SeparatedSource;
}

interface CheckedModel {
  readonly W: Matrix;
  readonly H: Matrix;
  readonly groups: number[][];
  readonly rest: number[];
  readonly alpha: number;
  readonly eps: number;
}

function checkModel(W: unknown, H: unknown, groups: unknown, o: { alpha?: unknown; eps?: unknown }): CheckedModel {
  const w = toMatrix('W', W);
  const h = toMatrix('H', H);
  if (h.rows !== w.cols)
    throw rangeError('NMFKIT_INVALID_VALUE', `H must have one row per column of W (${w.cols}), got ${h.rows}×${h.cols}`);
  checkedSize('the masks (rows of W × columns of H)', w.rows, h.cols);
  const R = w.cols;
  // A component belongs to one group and every group has one, so there are at most R groups of at most R each.
  const groupsExpectation = 'a non-empty array of component-index arrays, e.g. [[0, 1], [2]]';
  const list = readList('groups', groups, groupsExpectation, R, (n) => `groups has ${n} groups, more than W's ${R} components`);
  if (list.length === 0) throw rangeError('NMFKIT_INVALID_VALUE', `groups must be ${groupsExpectation}, got an array of length 0`);
  const owner = new Map<number, number>();
  const checked = list.map((group, g) => {
    const expectation = 'a non-empty array of component indices';
    const members = readList(`groups[${g}]`, group, expectation, R, (n) => `groups[${g}] has ${n} entries, more than W's ${R} components`);
    if (members.length === 0) throw rangeError('NMFKIT_INVALID_VALUE', `groups[${g}] must be ${expectation}, got an array of length 0`);
    return members.map((r, i) => {
      if (typeof r !== 'number') throw typeError('NMFKIT_INVALID_TYPE', `groups[${g}][${i}] must be a component index, got ${describe(r)}`);
      if (!Number.isInteger(r) || r < 0 || r >= R)
        throw rangeError(
          'NMFKIT_INVALID_VALUE',
          `groups[${g}][${i}] must be an integer in [0, ${R - 1}] (W has ${R} columns), got ${describe(r)}`,
        );
      const previous = owner.get(r);
      if (previous !== undefined)
        throw rangeError(
          'NMFKIT_INVALID_VALUE',
          `groups[${g}][${i}]: component ${r} is already in groups[${previous}]; a component belongs to one source`,
        );
      owner.set(r, g);
      return r;
    });
  });
  const rest: number[] = [];
  for (let r = 0; r < R; r++) if (!owner.has(r)) rest.push(r);
  const alpha = o.alpha === undefined ? 1 : checkPositive('options.alpha', o.alpha);
  const eps = o.eps === undefined ? 2 ** -23 : checkNonNegative('options.eps', o.eps);
  return { W: w, H: h, groups: checked, rest, alpha, eps };
}

/** The model Σ_{r ∈ components} W_r·H_r raised to α, K×N row-major. */
function sourceModel(W: Matrix, H: Matrix, components: readonly number[], alpha: number): Float64Array {
  const K = W.rows;
  const R = W.cols;
  const N = H.cols;
  const out = new Float64Array(K * N);
  for (let k = 0; k < K; k++) {
    const row = k * N;
    for (const r of components) {
      const wkr = W.data[k * R + r]!;
      if (wkr === 0) continue;
      const hRow = r * N;
      for (let n = 0; n < N; n++) out[row + n] = out[row + n]! + wkr * H.data[hRow + n]!;
    }
  }
  if (alpha !== 1) for (let i = 0; i < out.length; i++) out[i] = out[i]! ** alpha;
  return out;
}

function computeMasks(model: CheckedModel): { masks: Float64Array[]; residual: Float64Array } {
  const { W, H, groups, rest, alpha, eps } = model;
  const parts = groups.map((g) => sourceModel(W, H, g, alpha));
  const size = W.rows * H.cols;
  const denominator = new Float64Array(size).fill(eps);
  for (const part of parts) for (let i = 0; i < size; i++) denominator[i] = denominator[i]! + part[i]!;
  if (rest.length > 0) {
    const restPart = sourceModel(W, H, rest, alpha);
    for (let i = 0; i < size; i++) denominator[i] = denominator[i]! + restPart[i]!;
  }
  const residual = new Float64Array(size).fill(1);
  for (const part of parts) {
    for (let i = 0; i < size; i++) {
      part[i] = denominator[i]! > 0 ? part[i]! / denominator[i]! : 0;
      residual[i] = residual[i]! - part[i]!;
    }
  }
  for (let i = 0; i < size; i++) if (residual[i]! < 0) residual[i] = 0; // rounding only
  return { masks: parts, residual };
}

/**
 * The soft masks (K×N, entries in [0, 1]) of the groups of components and of the residual (1 − their sum). See
 * the module comment.
 */
export function softMasks(
  W: MatrixInput,
  H: MatrixInput,
  groups: readonly (readonly number[])[],
  options?: SeparationOptions,
): { masks: Matrix[]; residual: Matrix } {
  const o = checkOptions('options', options, ['alpha', 'eps']);
  const model = checkModel(W, H, groups, o);
  const { masks, residual } = computeMasks(model);
  const shape = (data: Float64Array): Matrix => ({ rows: model.W.rows, cols: model.H.cols, data });
  return { masks: masks.map(shape), residual: shape(residual) };
}

/**
 * Separates the mixture whose STFT is `spec` into one signal per group of NMF components (and the residual),
 * with soft masks from W (K×R) and H (R×N) of a spectrogram of that STFT. W must cover every STFT bin
 * (K = spec.bins: a spectrogram computed without a frequency range) and H every frame. Does not modify its
 * arguments.
 */
export function separate(
  spec: Stft,
  W: MatrixInput,
  H: MatrixInput,
  groups: readonly (readonly number[])[],
  options?: SeparateOptions,
): Separation {
  const s = checkStft('spec', spec);
  const o = checkOptions('options', options, ['alpha', 'eps', 'masks']);
  const withMasks = o.masks === undefined ? false : checkBoolean('options.masks', o.masks);
  const model = checkModel(W, H, groups, o);
  if (model.W.rows !== s.bins) {
    throw rangeError(
      'NMFKIT_INVALID_VALUE',
      `W has ${model.W.rows} rows but spec has ${s.bins} bins: separation needs templates over the whole spectrum (a spectrogram without minFrequency/maxFrequency)`,
    );
  }
  if (model.H.cols !== s.frames) throw rangeError('NMFKIT_INVALID_VALUE', `H has ${model.H.cols} columns but spec has ${s.frames} frames`);
  const { masks, residual } = computeMasks(model);
  const apply = (mask: Float64Array, components: readonly number[]): SeparatedSource => {
    const re = new Float64Array(mask.length);
    const im = new Float64Array(mask.length);
    for (let i = 0; i < mask.length; i++) {
      re[i] = mask[i]! * s.re[i]!;
      im[i] = mask[i]! * s.im[i]!;
    }
    const signal = inverse(s, re, im, s.length);
    return withMasks ? { components, signal, mask: { rows: s.bins, cols: s.frames, data: mask } } : { components, signal };
  };
  return {
    sources: masks.map((mask, g) => apply(mask, model.groups[g]!)),
    residual: apply(residual, model.rest),
  };
}
