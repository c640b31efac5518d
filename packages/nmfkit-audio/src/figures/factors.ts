/**
 * The NMF factors figure, laid out like libfmp's `plot_nmf_factors`: W (frequency × component), H (component ×
 * time), W·H and V (frequency × time) side by side, each with its colorbar.
 */
import { toSignal } from '../audio/signal.js';
import type { Matrix, MatrixData, MatrixInput } from 'nmfkit';
import {
  checkBoolean,
  checkChoice,
  checkedSize,
  checkFinite,
  rangeError,
  readList,
  readOptions,
  toMatrix,
  typeError,
} from 'nmfkit/validation';
import { checkText, figureSize } from './canvas.js';
import { FIGURE_FORMATS, type FigureFormat } from './format.js';
import { COLORMAPS, type ColormapName } from './colormap.js';
import { checkDecibels, decibelRange, drawHeatmapRow, type CellAxis, type HeatmapPanel } from './heatmap.js';

/** What {@link renderFactorsFigure} draws. */
export interface FactorsFigureInput {
  /** Templates, K×R. */
  readonly W: MatrixInput;
  /** Activations, R×N. */
  readonly H: MatrixInput;
  /** The factorized matrix, K×N; its panel is left out when not given. */
  readonly V?: MatrixInput;
  /** Draw W·H. Default true. */
  readonly showProduct?: boolean;
  /** Hz of the K rows; without them the rows are indexed. */
  readonly frequencies?: MatrixData;
  /** Seconds of the N columns; without them the columns are indexed. */
  readonly times?: MatrixData;
  /** One label per component (e.g. pitch names). Default: 0 … R−1. */
  readonly componentLabels?: readonly string[];
  /** Axis label of the components. Default 'Component'. */
  readonly componentAxis?: string;
  /** Upper end of the frequency axis shown, in Hz (libfmp's `freq_max`). Default: all rows. */
  readonly maxFrequency?: number;
  /** Lower end of the frequency axis shown, in Hz. Default: all rows (with `frequencyScale: 'log'`, the first above 0 Hz). */
  readonly minFrequency?: number;
  /** 'log': a logarithmic frequency axis (a constant-Q-like display; needs `frequencies`). Default 'linear'. */
  readonly frequencyScale?: 'linear' | 'log';
  /** Show W·H and V in dB (20·log10, for magnitudes) over this many dB below their largest value. Default: linear. */
  readonly decibels?: number;
  /** One colour scale for W·H and V (the range of both), so that their colours compare. Default false. */
  readonly sharedScale?: boolean;
  /** 'png' (default) or 'svg'. */
  readonly format?: FigureFormat;
  /** Panel titles. */
  readonly titles?: { readonly W?: string; readonly H?: string; readonly WH?: string; readonly V?: string };
  /** A line above the panels. */
  readonly title?: string;
  readonly colormap?: ColormapName;
  /** Pixels. Default about 1760 × 420 for four panels; wider and taller with many components (16 px per label). */
  readonly width?: number;
  readonly height?: number;
}

const INPUT_KEYS = [
  'W',
  'H',
  'V',
  'showProduct',
  'frequencies',
  'times',
  'componentLabels',
  'componentAxis',
  'maxFrequency',
  'minFrequency',
  'frequencyScale',
  'decibels',
  'sharedScale',
  'format',
  'titles',
  'title',
  'colormap',
  'width',
  'height',
] as const;

/** W·H as a fresh matrix (W is K×R, H is R×N). */
export function product(W: MatrixInput, H: MatrixInput): Matrix {
  const w = toMatrix('W', W);
  const h = toMatrix('H', H);
  if (h.rows !== w.cols)
    throw rangeError('NMFKIT_INVALID_VALUE', `H must have one row per column of W (${w.cols}), got ${h.rows}×${h.cols}`);
  return multiply(w, h, 'W·H');
}

/** {@link product} of checked matrices; `name` is what a refusal of its size calls it. */
function multiply(W: Matrix, H: Matrix, name: string): Matrix {
  const K = W.rows;
  const R = W.cols;
  const N = H.cols;
  const data = new Float64Array(checkedSize(name, K, N));
  for (let k = 0; k < K; k++) {
    for (let r = 0; r < R; r++) {
      const w = W.data[k * R + r]!;
      if (w === 0) continue;
      for (let n = 0; n < N; n++) data[k * N + n] = data[k * N + n]! + w * H.data[r * N + n]!;
    }
  }
  return { rows: K, cols: N, data };
}

function axisValues(name: string, values: unknown, length: number): Float64Array | undefined {
  if (values === undefined) return undefined;
  const axis = toSignal(name, values);
  if (axis.length !== length) throw rangeError('NMFKIT_INVALID_VALUE', `${name} must have ${length} entries, got ${axis.length}`);
  return axis;
}

/** Renders the factors figure as PNG bytes. Does not modify its input. */
export function renderFactorsFigure(input: FactorsFigureInput): Buffer {
  const o = readOptions('input', input, INPUT_KEYS, 'an object with W and H');
  const W = toMatrix('input.W', o.W);
  const H = toMatrix('input.H', o.H);
  if (H.rows !== W.cols)
    throw rangeError('NMFKIT_INVALID_VALUE', `input.H must have one row per column of input.W (${W.cols}), got ${H.rows}×${H.cols}`);
  const V = o.V === undefined ? undefined : toMatrix('input.V', o.V, { rows: W.rows, cols: H.cols, why: 'rows of W × columns of H' });
  const showProduct = o.showProduct === undefined ? true : checkBoolean('input.showProduct', o.showProduct);
  const colormap = o.colormap === undefined ? 'magma' : checkChoice('input.colormap', o.colormap, COLORMAPS);
  const frequencies = axisValues('input.frequencies', o.frequencies, W.rows);
  const times = axisValues('input.times', o.times, H.cols);
  const labelCount = (length: number): string => `input.componentLabels must have one label per component (${W.cols}), got ${length}`;
  const labels =
    o.componentLabels === undefined
      ? Array.from({ length: W.cols }, (_, r) => String(r))
      : readList('input.componentLabels', o.componentLabels, 'an array of strings', W.cols, labelCount).map((label, r) =>
          checkText(`input.componentLabels[${r}]`, label),
        );
  if (labels.length !== W.cols) throw rangeError('NMFKIT_INVALID_VALUE', labelCount(labels.length));
  const componentAxisLabel = o.componentAxis === undefined ? 'Component' : checkText('input.componentAxis', o.componentAxis);
  const maxFrequency = o.maxFrequency === undefined ? undefined : checkFinite('input.maxFrequency', o.maxFrequency);
  const minFrequency = o.minFrequency === undefined ? undefined : checkFinite('input.minFrequency', o.minFrequency);
  if (minFrequency !== undefined && maxFrequency !== undefined && !(maxFrequency > minFrequency)) {
    throw rangeError('NMFKIT_INVALID_VALUE', `input.maxFrequency (${maxFrequency}) must be above input.minFrequency (${minFrequency})`);
  }
  const scale =
    o.frequencyScale === undefined ? 'linear' : checkChoice('input.frequencyScale', o.frequencyScale, ['linear', 'log'] as const);
  if (scale === 'log' && !frequencies)
    throw typeError('NMFKIT_INVALID_TYPE', "input.frequencyScale 'log' needs input.frequencies (Hz of the rows)");
  const decibels = o.decibels === undefined ? undefined : checkDecibels('input.decibels', o.decibels);
  const sharedScale = o.sharedScale === undefined ? false : checkBoolean('input.sharedScale', o.sharedScale);
  const format = o.format === undefined ? 'png' : checkChoice('input.format', o.format, FIGURE_FORMATS);
  const t = o.titles === undefined ? {} : readOptions('input.titles', o.titles, ['W', 'H', 'WH', 'V'] as const);
  const titleOf = (key: 'W' | 'H' | 'WH' | 'V', fallback: string): string =>
    t[key] === undefined ? fallback : checkText(`input.titles.${key}`, t[key]);
  const titles = { W: titleOf('W', 'W (templates)'), H: titleOf('H', 'H (activations)'), WH: titleOf('WH', 'W·H'), V: titleOf('V', 'V') };
  const title = o.title === undefined ? undefined : checkText('input.title', o.title);

  const limit: readonly [number, number] | undefined =
    maxFrequency === undefined && minFrequency === undefined ? undefined : [minFrequency ?? -Infinity, maxFrequency ?? Infinity];
  const freqAxis: CellAxis = frequencies
    ? { label: 'Frequency (Hz)', centres: frequencies, ...(limit ? { limit } : {}), ...(scale === 'log' ? { scale } : {}) }
    : { label: 'Row (index)', centres: Float64Array.from({ length: W.rows }, (_, i) => i) };
  const timeAxis: CellAxis = times
    ? { label: 'Time (seconds)', centres: times }
    : { label: 'Column (index)', centres: Float64Array.from({ length: H.cols }, (_, i) => i) };
  const componentAxis: CellAxis = { label: componentAxisLabel, labels };

  const panels: HeatmapPanel[] = [
    // W gets about 16 px per component (room for a rotated label each), within 0.8–4 of a panel's width.
    { matrix: W, x: componentAxis, y: freqAxis, title: titles.W, weight: Math.max(0.8, Math.min(4, (16 * W.cols + 170) / 440)) },
    { matrix: H, x: timeAxis, y: componentAxis, title: titles.H },
  ];
  // The spectrogram-like panels: in dB if asked, on one colour scale if asked.
  const wh = showProduct ? multiply(W, H, 'input.W·input.H') : undefined;
  const spectral = [wh, V].filter((m): m is Matrix => m !== undefined);
  const dB = decibels === undefined ? {} : { decibels };
  let range: [number, number] | undefined;
  if (sharedScale && spectral.length > 0) {
    if (decibels !== undefined)
      range = decibelRange(
        spectral.map((m) => m.data),
        decibels,
      );
    else range = [0, Math.max(...spectral.map((m) => m.data.reduce((a, b) => Math.max(a, b), 0)))];
  }
  const shared = range ? { range } : {};
  const unit = decibels === undefined ? '' : ' (dB)';
  if (wh) panels.push({ matrix: wh, x: timeAxis, y: freqAxis, title: titles.WH + unit, ...dB, ...shared });
  if (V) panels.push({ matrix: V, x: timeAxis, y: freqAxis, title: titles.V + unit, ...dB, ...shared });
  // The H panel's rows get about 16 px each (a label each), beyond the 420 px default.
  const height = Math.max(420, 16 * W.cols + 130);
  const size = figureSize(
    { width: 'input.width', height: 'input.height' },
    { width: o.width, height: o.height },
    { width: Math.round(440 * (panels.length - 1 + panels[0]!.weight!)), height, why: `${panels.length} panels of ${W.cols} components` },
  );
  return drawHeatmapRow(panels, { ...size, colormap, format, ...(title ? { suptitle: title } : {}) });
}
