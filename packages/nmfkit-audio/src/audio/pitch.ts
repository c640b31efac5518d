/**
 * Fundamental-frequency estimation of spectral templates (the columns of W).
 *
 * Method: harmonic-comb matching. For every candidate fundamental f0 on a grid of `resolution` cents between
 * `minPitch` and `maxPitch`, a comb c(f) = Σ_m (1/m)·exp(−(f − m·f0)² / 2σ_m²) over the harmonics m = 1 …
 * `harmonics` that lie on the frequency axis (the 1/m weights of the score templates) is compared with the
 * template t by cosine similarity ⟨t, c⟩ / (‖t‖·‖c‖). The lobe width σ_m = √((lobe·Δf)² + (spread·m·f0)²)
 * combines the spectral resolution (Δf, the bin spacing; a Hann window's main lobe is about one bin wide at half
 * height) with a relative spread that absorbs the stretched partials of real strings.
 *
 * Refinement: the stretched upper partials of a piano (inharmonicity: partial m lies at m·f0·√(1 + B·m²), some
 * cents sharp from m = 4 on) would pull the many-harmonic comb's optimum sharp. So the best candidate is refined
 * on a 1-cent grid within ±50 cents with a comb of the first `refineHarmonics` (default 3) harmonics
 * and no spread, then by a parabola through the best point and its neighbours: the estimate follows the lowest
 * partials, i.e. the fundamental.
 *
 * Why cosine similarity and not a plain harmonic sum: the comb of f0/2 has lobes at the odd multiples of f0/2
 * where a template of f0 has nothing, and the comb of 2·f0 misses the template's odd partials, so both octave
 * errors lose similarity instead of tying with the true f0.
 */
import type { MatrixInput } from 'nmfkit';
import { checkCount, checkNonNegative, rangeError, toMatrix, type ErrorCode } from 'nmfkit/validation';
import { checkTuning, hzToMidi, midiToHz, pitchName } from './notes.js';
import { checkInRange, checkOptions, toAxis, type SignalData } from './signal.js';

/**
 * Options of {@link estimateTemplatePitches}. Their product is bounded: options that would take more than
 * {@link MAX_PITCH_WORK} comb evaluations per template (about 2 s) are a RangeError with code 'NMFKIT_PITCH_WORK'.
 */
export interface PitchEstimateOptions {
  /** Lowest candidate MIDI pitch. Default 21 (A0). */
  readonly minPitch?: number;
  /** Highest candidate MIDI pitch (also capped by the frequency axis). Default 108 (C8). */
  readonly maxPitch?: number;
  /** Candidate grid step in cents. Default 10. */
  readonly resolution?: number;
  /** Most harmonics in the comb, at most 1000. Default 20. */
  readonly harmonics?: number;
  /** Lobe width from the spectral resolution, in bins (σ = lobe·Δf). Default 1. */
  readonly lobe?: number;
  /** Relative lobe spread per harmonic (σ grows by spread·m·f0). Default 0.01 (≈ 17 cents). */
  readonly spread?: number;
  /** Harmonics of the refinement comb, at most 1000. Default 3. */
  readonly refineHarmonics?: number;
  /** Hz of A4 (MIDI 69). Default 440. */
  readonly tuning?: number;
  /** Salience from which a template counts as harmonic (`harmonic`). Default {@link MIN_PITCH_SALIENCE}. */
  readonly minSalience?: number;
}

/**
 * The salience (cosine similarity with the best harmonic comb) from which a template is called harmonic, i.e. has
 * a pitch to name: 0.65. On the demo's piano the nine pitched templates score 0.74–0.87 and the template of the
 * hammer thumps (broadband, no partials) 0.56; templates of uniform noise over 1025 bins score 0.36–0.39 (tested).
 */
export const MIN_PITCH_SALIENCE = 0.65;

/** The estimated fundamental of one template. */
export interface TemplatePitch {
  /** Column of W. */
  readonly component: number;
  /** Estimated fundamental in Hz (NaN for an all-zero template). */
  readonly frequency: number;
  /** Fractional MIDI pitch of `frequency`. */
  readonly pitch: number;
  /** Nearest MIDI pitch. */
  readonly midi: number;
  /** Pitch name of `midi`, e.g. 'C4' ('–' for an all-zero template). */
  readonly name: string;
  /** Deviation of `frequency` from `midi` in cents, in [−50, 50]. */
  readonly cents: number;
  /** Cosine similarity of template and best comb in [0, 1]: how harmonic the template is. */
  readonly salience: number;
  /** salience ≥ `minSalience`: the template has a pitch. Where false, `name` and `midi` are the best comb's, not a pitch. */
  readonly harmonic: boolean;
}

/**
 * Estimates the fundamental of every column of W (K×R) whose rows have the given frequencies (Hz). Does not
 * modify its arguments.
 */
export function estimateTemplatePitches(W: MatrixInput, frequencies: SignalData, options?: PitchEstimateOptions): TemplatePitch[] {
  const w = toMatrix('W', W);
  const f = toAxis('frequencies', frequencies, w.rows);
  const o = checkOptions('options', options, [
    'minPitch',
    'maxPitch',
    'resolution',
    'harmonics',
    'lobe',
    'spread',
    'refineHarmonics',
    'tuning',
    'minSalience',
  ]);
  const minPitch = o.minPitch === undefined ? 21 : checkInRange('options.minPitch', o.minPitch, 0, 127);
  const maxPitch = o.maxPitch === undefined ? 108 : checkInRange('options.maxPitch', o.maxPitch, 0, 127);
  if (maxPitch < minPitch)
    throw rangeError('NMFKIT_INVALID_VALUE', `options.maxPitch (${maxPitch}) must be ≥ options.minPitch (${minPitch})`);
  const resolution = o.resolution === undefined ? 10 : checkInRange('options.resolution', o.resolution, 0.1, 100);
  const harmonics = o.harmonics === undefined ? 20 : checkHarmonics('options.harmonics', o.harmonics);
  const lobe = o.lobe === undefined ? 1 : checkNonNegative('options.lobe', o.lobe);
  const spread = o.spread === undefined ? 0.01 : checkInRange('options.spread', o.spread, 0, 0.5);
  const refineHarmonics = o.refineHarmonics === undefined ? 3 : checkHarmonics('options.refineHarmonics', o.refineHarmonics);
  const tuning = checkTuning('options.tuning', o.tuning);
  const minSalience = o.minSalience === undefined ? MIN_PITCH_SALIENCE : checkInRange('options.minSalience', o.minSalience, 0, 1);
  const K = w.rows;
  const R = w.cols;
  const top = f[K - 1]!;
  const binWidth = K > 1 ? (top - f[0]!) / (K - 1) : top;
  if (!(lobe > 0 || spread > 0)) throw rangeError('NMFKIT_INVALID_VALUE', 'options.lobe and options.spread must not both be 0');

  // Candidate grid, capped where the fundamental leaves the axis.
  const candidates: number[] = [];
  for (let p = minPitch; p <= maxPitch + 1e-9; p += resolution / 100) {
    if (midiToHz(p, tuning) <= top) candidates.push(p);
  }
  checkWork(
    f,
    candidates.map((p) => midiToHz(p, tuning)),
    { harmonics, refineHarmonics, lobe, spread, binWidth },
  );
  const templateNorm = new Float64Array(R);
  for (let r = 0; r < R; r++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += w.data[k * R + r]! ** 2;
    templateNorm[r] = Math.sqrt(s);
  }
  const comb = new Float64Array(K);
  /** Cosine similarity of template r with the comb of `count` harmonics of f0 (lobe width from `spreadOf`). */
  const similarity = (f0: number, count: number, withSpread: boolean, r: number): number => {
    comb.fill(0);
    let lo = K;
    let hi = -1;
    for (let m = 1; m <= count && m * f0 <= top; m++) {
      const centre = m * f0;
      const sigma = withSpread ? Math.hypot(lobe * binWidth, spread * centre) : Math.max(lobe * binWidth, 1e-9);
      const from = firstAtOrAbove(f, centre - 4 * sigma);
      for (let k = from; k < K && f[k]! <= centre + 4 * sigma; k++) {
        const d = (f[k]! - centre) / sigma;
        comb[k] = comb[k]! + Math.exp(-0.5 * d * d) / m;
        if (k < lo) lo = k;
        if (k > hi) hi = k;
      }
    }
    let combNorm = 0;
    let dot = 0;
    for (let k = lo; k <= hi; k++) {
      combNorm += comb[k]! * comb[k]!;
      dot += comb[k]! * w.data[k * R + r]!;
    }
    return combNorm === 0 || templateNorm[r] === 0 ? 0 : dot / (Math.sqrt(combNorm) * templateNorm[r]!);
  };

  const result: TemplatePitch[] = [];
  for (let r = 0; r < R; r++) {
    let best = -1;
    let bestScore = 0;
    if (templateNorm[r]! > 0) {
      for (let c = 0; c < candidates.length; c++) {
        const score = similarity(midiToHz(candidates[c]!, tuning), harmonics, true, r);
        if (score > bestScore) {
          bestScore = score;
          best = c;
        }
      }
    }
    if (best < 0) {
      result.push({ component: r, frequency: NaN, pitch: NaN, midi: NaN, name: '–', cents: NaN, salience: 0, harmonic: false });
      continue;
    }
    // Refinement on a 1-cent grid with the first few harmonics only.
    const centre = candidates[best]!;
    const steps = 50;
    const fine: number[] = [];
    for (let i = -steps; i <= steps; i++) fine.push(similarity(midiToHz(centre + i / 100, tuning), refineHarmonics, false, r));
    let j = 0;
    for (let i = 1; i < fine.length; i++) if (fine[i]! > fine[j]!) j = i;
    let pitch = centre + (j - steps) / 100;
    if (j > 0 && j < fine.length - 1) {
      const a = fine[j - 1]!;
      const b = fine[j]!;
      const c = fine[j + 1]!;
      const denominator = a - 2 * b + c;
      if (denominator < 0) pitch += (0.5 * (a - c)) / denominator / 100;
    }
    const frequency = midiToHz(pitch, tuning);
    const exact = hzToMidi(frequency, tuning);
    const midi = Math.round(exact);
    const harmonic = bestScore >= minSalience;
    result.push({
      component: r,
      frequency,
      pitch: exact,
      midi,
      name: pitchName(midi),
      cents: 100 * (exact - midi),
      salience: bestScore,
      harmonic,
    });
  }
  return result;
}

/**
 * Most work per template, in comb evaluations (one bin of one harmonic's lobe, one harmonic, or one bin of the
 * comb cleared): 2^28, enough for the finest `resolution` (0.1 cents) with the other defaults on a 1025-bin axis
 * (about 1.6·10^8, measured 1.1 s a template). The knobs multiply: `resolution` 0.1 with 1000 harmonics and
 * `spread` 0.5 (every lobe as wide as the axis) would be about 10^11 — it once took 90 s per template on the
 * calling thread.
 */
export const MAX_PITCH_WORK = 2 ** 28;

/** The stable code of the refusal of {@link checkWork}. */
export const PITCH_WORK_CODE = 'NMFKIT_PITCH_WORK' satisfies ErrorCode;

/**
 * Refuses, before the search, options whose search would take more than {@link MAX_PITCH_WORK} per template. The
 * count is the search's own (every candidate's comb, then the 101-point refinement), stopping as soon as it is
 * over the limit, so the check itself costs at most a fraction of what it allows.
 */
function checkWork(
  f: Float64Array,
  candidates: readonly number[],
  o: {
    readonly harmonics: number;
    readonly refineHarmonics: number;
    readonly lobe: number;
    readonly spread: number;
    readonly binWidth: number;
  },
): void {
  const K = f.length;
  const top = f[K - 1]!;
  let work = 0;
  const comb = (f0: number, count: number, withSpread: boolean): void => {
    work += K;
    for (let m = 1; m <= count && m * f0 <= top && work <= MAX_PITCH_WORK; m++) {
      const centre = m * f0;
      const sigma = withSpread ? Math.hypot(o.lobe * o.binWidth, o.spread * centre) : Math.max(o.lobe * o.binWidth, 1e-9);
      work += 1 + firstAbove(f, centre + 4 * sigma) - firstAtOrAbove(f, centre - 4 * sigma);
    }
  };
  for (let c = 0; c < candidates.length && work <= MAX_PITCH_WORK; c++) comb(candidates[c]!, o.harmonics, true);
  // The refinement's 101 combs, counted at the lowest candidate (the most harmonics fit below the top).
  const lowest = candidates[0];
  if (lowest !== undefined) for (let i = 0; i <= 100 && work <= MAX_PITCH_WORK; i++) comb(lowest, o.refineHarmonics, false);
  if (work > MAX_PITCH_WORK) {
    throw rangeError(
      PITCH_WORK_CODE,
      `options.resolution, options.harmonics, options.spread and options.lobe ask for more than ${MAX_PITCH_WORK} comb ` +
        `evaluations per template (${candidates.length} candidates of up to ${o.harmonics} harmonics on ${K} bins): ` +
        'use a coarser resolution, fewer harmonics or a smaller spread',
    );
  }
}

/** Index of the first entry > x in an increasing array (length if none). */
function firstAbove(axis: Float64Array, x: number): number {
  let lo = 0;
  let hi = axis.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (axis[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A comb's harmonic count: the comb is built for every candidate, so a count in the millions would be a practically
 * endless call; real templates have a few dozen partials.
 */
function checkHarmonics(name: string, value: unknown): number {
  const count = checkCount(name, value);
  if (count > 1000) throw rangeError('NMFKIT_INVALID_VALUE', `${name} must be at most 1000, got ${count}`);
  return count;
}

/** Index of the first entry ≥ x in an increasing array (length if none). */
function firstAtOrAbove(axis: Float64Array, x: number): number {
  let lo = 0;
  let hi = axis.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (axis[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
