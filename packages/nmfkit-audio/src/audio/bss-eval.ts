/**
 * Separation quality against ground truth: BSS-Eval v3's source measures (SDR, SIR, SAR) and SI-SDR.
 *
 * BSS-Eval v3, `bss_eval_sources` (Vincent, Gribonval & Févotte, IEEE TASLP 14(4), 2006, Sect. III.B; the
 * BSS_EVAL 3.0 toolbox; mir_eval.separation.bss_eval_sources). An estimate ŝ is split, against reference j, into
 *
 *     s_target = the projection of ŝ onto the reference s_j delayed by 0 … L − 1 samples (a filter of L taps),
 *     e_interf = the projection of ŝ onto all the references so delayed, minus s_target,
 *     e_artif  = ŝ minus that projection,
 *
 * every signal zero-padded to N + L − 1 samples, and
 *
 *     SDR = 10 log10(‖s_target‖² / ‖e_interf + e_artif‖²)
 *     SIR = 10 log10(‖s_target‖² / ‖e_interf‖²)
 *     SAR = 10 log10(‖s_target + e_interf‖² / ‖e_artif‖²)
 *
 * L = 512 (v3's default; `filterLength`). The projections solve the normal equations G c = d of the delayed
 * references: G (block Toeplitz) from their cross-correlations, d from their correlations with ŝ, all through FFTs;
 * G is factorized once per call (Cholesky, or LU with partial pivoting where that breaks down), each reference's
 * own block once. Every estimate is
 * scored against every reference, and the estimates are matched to the references by the permutation with the
 * largest mean SIR (the first in lexicographic order on a tie), as the toolbox and mir_eval do.
 *
 * SI-SDR (Le Roux, Wisdom, Erdogan & Hershey, ICASSP 2019): α = ⟨ŝ, s⟩ / ‖s‖², SI-SDR = 10 log10(‖α·s‖² /
 * ‖α·s − ŝ‖²), the means not removed. Unlike SDR it allows no filter, only a gain.
 *
 * Both match an independent numpy implementation (scripts/bss_eval_reference.py, itself checked against
 * mir_eval's published regression values) to 0.01 dB on the fixtures of test/audio-bss-eval.test.ts.
 */
import FFT from 'fft.js';
import { checkBoolean, checkCount, checkedSize, rangeError, readList } from 'nmfkit/validation';
import { checkOptions, toSignal, type SignalData } from './signal.js';

/** Options of {@link bssEvalSources}. */
export interface BssEvalOptions {
  /** Taps of the allowed distortion filter, L. Default 512 (BSS-Eval v3). */
  readonly filterLength?: number;
  /** Match estimates to references by the permutation of largest mean SIR. Default true; false pairs them in order. */
  readonly permutation?: boolean;
}

/** Scores per reference: entry j is reference j against its matched estimate `permutation[j]`, in dB. */
export interface BssEvalSources {
  readonly sdr: number[];
  readonly sir: number[];
  readonly sar: number[];
  /** The estimate matched to each reference. */
  readonly permutation: number[];
}

/**
 * Largest system G: sources × filterLength unknowns (6 sources at 512 taps). G takes (that)² float64 (72 MiB) and
 * its factorization about (that)³ · 2/3 flops (some 20 s of JavaScript): more sources are refused up front.
 */
export const MAX_BSS_UNKNOWNS = 3072;

/**
 * BSS-Eval v3 source measures of `estimates` against `references` (equal counts, every signal of the same length;
 * see the module comment). A reference or estimate that is all zeros is a RangeError, as in mir_eval: it makes the
 * decomposition ambiguous. Does not modify its arguments.
 */
export function bssEvalSources(
  references: readonly SignalData[],
  estimates: readonly SignalData[],
  options?: BssEvalOptions,
): BssEvalSources {
  const refs = readSignals('references', references);
  const ests = readSignals('estimates', estimates);
  const o = checkOptions('options', options, ['filterLength', 'permutation']);
  const taps = o.filterLength === undefined ? 512 : checkCount('options.filterLength', o.filterLength);
  const permute = o.permutation === undefined ? true : checkBoolean('options.permutation', o.permutation);
  const k = refs.length;
  if (ests.length !== k)
    throw rangeError('NMFKIT_INVALID_VALUE', `estimates must have one signal per reference (${k}), got ${ests.length}`);
  const n = refs[0]!.length;
  refs.forEach((r, i) => sameLength(`references[${i}]`, r, n));
  ests.forEach((e, i) => sameLength(`estimates[${i}]`, e, n));
  if (k * taps > MAX_BSS_UNKNOWNS) {
    throw rangeError(
      'NMFKIT_TOO_LARGE',
      `options.filterLength × the number of sources = ${taps} × ${k} = ${k * taps} exceeds ${MAX_BSS_UNKNOWNS} ` +
        `(the normal equations would be ${k * taps}×${k * taps}): evaluate fewer sources at a time or with a shorter filter`,
    );
  }
  refs.forEach((r, i) => notSilent(`references[${i}]`, r));
  ests.forEach((e, i) => notSilent(`estimates[${i}]`, e));

  const nfft = Math.max(4, 2 ** Math.ceil(Math.log2(n + taps - 1)));
  checkedSize('the FFTs of the references (sources × FFT length)', k + 2, 2 * nfft);
  const fft = new Spectra(nfft);
  const spectra = refs.map((r) => fft.forward(r));
  const gram = gramMatrix(fft, spectra, taps);
  const all = factor(gram, k * taps);
  const own = spectra.map((_, j) => factor(block(gram, k * taps, j, taps), taps));

  const sdr = new Float64Array(k * k);
  const sir = new Float64Array(k * k);
  const sar = new Float64Array(k * k);
  const length = n + taps - 1;
  for (let e = 0; e < k; e++) {
    const estimate = ests[e]!;
    const spectrum = fft.forward(estimate);
    const rhs = new Float64Array(k * taps);
    for (let i = 0; i < k; i++) rhs.set(fft.correlation(spectrum, spectra[i]!).subarray(0, taps), i * taps);
    const projection = filtered(fft, spectra, solve(all, rhs), taps, length);
    const total = energy(projection);
    let artifacts = 0;
    for (let t = 0; t < length; t++) artifacts += ((t < n ? estimate[t]! : 0) - projection[t]!) ** 2;
    for (let j = 0; j < (permute ? k : 1); j++) {
      const ref = permute ? j : e;
      const target = filtered(fft, [spectra[ref]!], solve(own[ref]!, rhs.subarray(ref * taps, (ref + 1) * taps)), taps, length);
      let interference = 0;
      let distortion = 0;
      for (let t = 0; t < length; t++) {
        const est = t < n ? estimate[t]! : 0;
        interference += (projection[t]! - target[t]!) ** 2;
        distortion += (est - target[t]!) ** 2;
      }
      const signal = energy(target);
      sdr[e * k + ref] = ratio(signal, distortion);
      sir[e * k + ref] = ratio(signal, interference);
      sar[e * k + ref] = ratio(total, artifacts);
    }
  }
  const permutation = permute ? bestPermutation(sir, k) : Array.from({ length: k }, (_, j) => j);
  const pick = (m: Float64Array): number[] => permutation.map((e, j) => m[e * k + j]!);
  return { sdr: pick(sdr), sir: pick(sir), sar: pick(sar), permutation };
}

/**
 * Scale-invariant SDR of `estimate` against `reference` (equal lengths; see the module comment), in dB. An
 * all-zero reference is a RangeError; an all-zero estimate scores −Infinity. Does not modify its arguments.
 */
export function siSdr(reference: SignalData, estimate: SignalData): number {
  const s = toSignal('reference', reference);
  const e = toSignal('estimate', estimate);
  sameLength('estimate', e, s.length);
  notSilent('reference', s);
  let dot = 0;
  let norm = 0;
  for (let t = 0; t < s.length; t++) {
    dot += e[t]! * s[t]!;
    norm += s[t]! * s[t]!;
  }
  const alpha = dot / norm;
  let target = 0;
  let noise = 0;
  for (let t = 0; t < s.length; t++) {
    target += (alpha * s[t]!) ** 2;
    noise += (alpha * s[t]! - e[t]!) ** 2;
  }
  if (target === 0) return -Infinity;
  return ratio(target, noise);
}

/** Most sources of one evaluation: the permutation search tries all 8! = 40 320 matchings. */
export const MAX_BSS_SOURCES = 8;
const MAX_SOURCES = MAX_BSS_SOURCES;

function readSignals(name: string, value: unknown): Float64Array[] {
  const expectation = 'a non-empty array of signals (Float64Array, Float32Array or number[])';
  const list = readList(
    name,
    value,
    expectation,
    MAX_SOURCES,
    (length) => `${name} has ${length} signals, more than the ${MAX_SOURCES} sources one evaluation takes`,
  );
  if (list.length === 0) throw rangeError('NMFKIT_INVALID_VALUE', `${name} must be ${expectation}, got an array of length 0`);
  return list.map((signal, i) => toSignal(`${name}[${i}]`, signal));
}

function sameLength(name: string, signal: Float64Array, length: number): void {
  if (signal.length !== length) {
    throw rangeError(
      'NMFKIT_INVALID_VALUE',
      `${name} has ${signal.length} samples, but the references have ${length}: the signals must have equal lengths`,
    );
  }
}

function notSilent(name: string, signal: Float64Array): void {
  for (let t = 0; t < signal.length; t++) if (signal[t] !== 0) return;
  throw rangeError(
    'NMFKIT_INVALID_VALUE',
    `${name} is silent (all ${signal.length} samples are 0), which leaves its decomposition undefined`,
  );
}

function energy(x: Float64Array): number {
  let s = 0;
  for (let t = 0; t < x.length; t++) s += x[t]! * x[t]!;
  return s;
}

/** 10 log10(num / den), +Infinity for den = 0. */
function ratio(num: number, den: number): number {
  return den === 0 ? Infinity : 10 * Math.log10(num / den);
}

/** Spectra of zero-padded real signals, and the correlations and convolutions they give. */
class Spectra {
  private readonly fft: FFT;
  private readonly input: Float64Array;
  private readonly work: number[];

  constructor(readonly size: number) {
    this.fft = new FFT(size);
    this.input = new Float64Array(size);
    this.work = this.fft.createComplexArray() as number[];
  }

  /** The full complex spectrum (interleaved re, im) of x zero-padded to the FFT length. */
  forward(x: ArrayLike<number>): Float64Array {
    this.input.fill(0);
    for (let t = 0; t < Math.min(x.length, this.size); t++) this.input[t] = x[t]!;
    const out = this.fft.createComplexArray() as number[];
    this.fft.realTransform(out, this.input as unknown as number[]);
    this.fft.completeSpectrum(out);
    return Float64Array.from(out);
  }

  /** The real inverse transform of a spectrum given as interleaved (re, im). */
  inverse(spectrum: Float64Array): Float64Array {
    this.fft.inverseTransform(this.work, spectrum as unknown as number[]);
    const out = new Float64Array(this.size);
    for (let t = 0; t < this.size; t++) out[t] = this.work[2 * t]!;
    return out;
  }

  /** c(k) = Σ_u x(u + k)·y(u) at index k mod size (circular; linear for |k| < size − length of the signals). */
  correlation(x: Float64Array, y: Float64Array): Float64Array {
    const product = new Float64Array(2 * this.size);
    for (let f = 0; f < this.size; f++) {
      const xr = x[2 * f]!;
      const xi = x[2 * f + 1]!;
      const yr = y[2 * f]!;
      const yi = y[2 * f + 1]!;
      product[2 * f] = xr * yr + xi * yi;
      product[2 * f + 1] = xi * yr - xr * yi;
    }
    return this.inverse(product);
  }
}

/**
 * G (row-major, (k·L)²): block (a, b) entry (p, q) is ⟨s_a(· − p), s_b(· − q)⟩ = c_ba(p − q), with
 * c_ba(m) = Σ_u s_b(u + m)·s_a(u).
 */
function gramMatrix(fft: Spectra, spectra: readonly Float64Array[], taps: number): Float64Array {
  const k = spectra.length;
  const m = k * taps;
  const size = fft.size;
  const g = new Float64Array(checkedSize('the normal equations (sources × filterLength)²', m, m));
  for (let a = 0; a < k; a++) {
    for (let b = a; b < k; b++) {
      const c = fft.correlation(spectra[b]!, spectra[a]!);
      for (let p = 0; p < taps; p++) {
        for (let q = 0; q < taps; q++) {
          const lag = p - q;
          const v = c[lag >= 0 ? lag : size + lag]!;
          g[(a * taps + p) * m + b * taps + q] = v;
          g[(b * taps + q) * m + a * taps + p] = v;
        }
      }
    }
  }
  return g;
}

/** Diagonal block j (L×L) of G, as a fresh array. */
function block(g: Float64Array, m: number, j: number, taps: number): Float64Array {
  const out = new Float64Array(taps * taps);
  for (let p = 0; p < taps; p++) out.set(g.subarray((j * taps + p) * m + j * taps, (j * taps + p) * m + (j + 1) * taps), p * taps);
  return out;
}

/** Σ_i c_i ∗ s_i (full convolutions, first `length` samples), c_i the i-th run of `taps` coefficients. */
function filtered(fft: Spectra, spectra: readonly Float64Array[], coefficients: Float64Array, taps: number, length: number): Float64Array {
  const sum = new Float64Array(2 * fft.size);
  spectra.forEach((s, i) => {
    const c = fft.forward(coefficients.subarray(i * taps, (i + 1) * taps));
    for (let f = 0; f < fft.size; f++) {
      const cr = c[2 * f]!;
      const ci = c[2 * f + 1]!;
      const sr = s[2 * f]!;
      const si = s[2 * f + 1]!;
      sum[2 * f] = sum[2 * f]! + cr * sr - ci * si;
      sum[2 * f + 1] = sum[2 * f + 1]! + cr * si + ci * sr;
    }
  });
  return fft.inverse(sum).subarray(0, length);
}

/** A factorization of the symmetric matrix G: Cholesky's, or LU's where Cholesky's breaks down. */
type Factor =
  | { readonly kind: 'cholesky'; readonly m: number; readonly l: Float64Array }
  | { readonly kind: 'lu'; readonly m: number; readonly a: Float64Array; readonly pivots: Int32Array };

/**
 * Factorizes an m×m symmetric positive semi-definite matrix (row-major; not modified): Cholesky (G = L·Lᵀ, m³/3
 * flops) when every pivot is positive, else LU with partial pivoting. An exactly singular matrix (references that
 * are delayed copies of each other) gets a ridge of 1e-12 times its mean diagonal, growing tenfold up to six
 * times, so the projection stays defined.
 */
function factor(matrix: Float64Array, m: number): Factor {
  const l = cholesky(matrix, m);
  if (l) return { kind: 'cholesky', m, l };
  let trace = 0;
  for (let i = 0; i < m; i++) trace += matrix[i * m + i]!;
  for (let attempt = 0; ; attempt++) {
    const a = matrix.slice();
    if (attempt > 0) for (let i = 0; i < m; i++) a[i * m + i] = a[i * m + i]! + (1e-12 * trace * 10 ** (attempt - 1)) / m;
    const pivots = luInPlace(a, m);
    if (pivots || attempt >= 6) return { kind: 'lu', m, a, pivots: pivots ?? new Int32Array(m).map((_, i) => i) };
  }
}

/** The lower Cholesky factor (row-major, upper part 0), or undefined when a pivot is not positive. */
function cholesky(g: Float64Array, m: number): Float64Array | undefined {
  const l = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    const ri = i * m;
    for (let j = 0; j <= i; j++) {
      const rj = j * m;
      let s = g[ri + j]!;
      for (let k = 0; k < j; k++) s -= l[ri + k]! * l[rj + k]!;
      if (i === j) {
        if (!(s > 0)) return undefined;
        l[ri + i] = Math.sqrt(s);
      } else l[ri + j] = s / l[rj + j]!;
    }
  }
  return l;
}

/** LU with partial pivoting in place; the pivot rows, or undefined for an exactly singular matrix. */
function luInPlace(a: Float64Array, m: number): Int32Array | undefined {
  const pivots = new Int32Array(m);
  for (let col = 0; col < m; col++) {
    let best = col;
    let max = Math.abs(a[col * m + col]!);
    for (let r = col + 1; r < m; r++) {
      const v = Math.abs(a[r * m + col]!);
      if (v > max) {
        max = v;
        best = r;
      }
    }
    if (max === 0) return undefined;
    pivots[col] = best;
    if (best !== col) {
      for (let c = 0; c < m; c++) {
        const t = a[col * m + c]!;
        a[col * m + c] = a[best * m + c]!;
        a[best * m + c] = t;
      }
    }
    const pivot = a[col * m + col]!;
    const top = col * m;
    for (let r = col + 1; r < m; r++) {
      const row = r * m;
      const f = a[row + col]! / pivot;
      a[row + col] = f;
      if (f === 0) continue;
      for (let c = col + 1; c < m; c++) a[row + c] = a[row + c]! - f * a[top + c]!;
    }
  }
  return pivots;
}

/** Solves G x = b for a factorization of {@link factor}. */
function solve(f: Factor, b: Float64Array): Float64Array {
  const { m } = f;
  const x = Float64Array.from(b);
  if (f.kind === 'cholesky') {
    const { l } = f;
    for (let i = 0; i < m; i++) {
      let s = x[i]!;
      const row = i * m;
      for (let k = 0; k < i; k++) s -= l[row + k]! * x[k]!;
      x[i] = s / l[row + i]!;
    }
    // Lᵀ x = y, by rows of L (contiguous): once x[i] is known, its terms leave the rows above.
    for (let i = m - 1; i >= 0; i--) {
      const row = i * m;
      const xi = (x[i] = x[i]! / l[row + i]!);
      for (let k = 0; k < i; k++) x[k] = x[k]! - l[row + k]! * xi;
    }
    return x;
  }
  const { a, pivots } = f;
  for (let i = 0; i < m; i++) {
    const p = pivots[i]!;
    if (p !== i) {
      const t = x[i]!;
      x[i] = x[p]!;
      x[p] = t;
    }
  }
  for (let i = 0; i < m; i++) {
    let s = x[i]!;
    const row = i * m;
    for (let c = 0; c < i; c++) s -= a[row + c]! * x[c]!;
    x[i] = s;
  }
  for (let i = m - 1; i >= 0; i--) {
    let s = x[i]!;
    const row = i * m;
    for (let c = i + 1; c < m; c++) s -= a[row + c]! * x[c]!;
    x[i] = s / a[row + i]!;
  }
  return x;
}

/** The permutation (estimate per reference) of largest mean SIR, the first in lexicographic order on a tie. */
function bestPermutation(sir: Float64Array, k: number): number[] {
  let best: number[] = [];
  let bestScore = -Infinity;
  const current: number[] = [];
  const used = new Uint8Array(k);
  const visit = (j: number, sum: number): void => {
    if (j === k) {
      if (best.length === 0 || sum > bestScore) {
        bestScore = sum;
        best = current.slice();
      }
      return;
    }
    for (let e = 0; e < k; e++) {
      if (used[e]) continue;
      used[e] = 1;
      current.push(e);
      visit(j + 1, sum + sir[e * k + j]!);
      current.pop();
      used[e] = 0;
    }
  };
  visit(0, 0);
  return best;
}
