/**
 * The NMF factors figure, laid out like libfmp's `plot_nmf_factors`: W (frequency × component), H (component ×
 * time), W·H and V (frequency × time) side by side, each with its colorbar.
 */
import { toSignal } from '../audio/signal.js';
import type { Matrix, MatrixData, MatrixInput } from 'nmfkit';
import { checkBoolean, checkChoice, checkedSize, checkFinite, rangeError, readList, readOptions, toMatrix } from 'nmfkit/validation';
import { checkText, figureSize } from './canvas.js';
import { COLORMAPS, type ColormapName } from './colormap.js';
import { drawHeatmapRow, type CellAxis, type HeatmapPanel } from './heatmap.js';

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
  /** Panel titles. */
  readonly titles?: { readonly W?: string; readonly H?: string; readonly WH?: string; readonly V?: string };
  /** A line above the panels. */
  readonly title?: string;
  readonly colormap?: ColormapName;
  /** Pixels. Default 1760 × 420 (four panels). */
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
  const t = o.titles === undefined ? {} : readOptions('input.titles', o.titles, ['W', 'H', 'WH', 'V'] as const);
  const titleOf = (key: 'W' | 'H' | 'WH' | 'V', fallback: string): string =>
    t[key] === undefined ? fallback : checkText(`input.titles.${key}`, t[key]);
  const titles = { W: titleOf('W', 'W (templates)'), H: titleOf('H', 'H (activations)'), WH: titleOf('WH', 'W·H'), V: titleOf('V', 'V') };
  const title = o.title === undefined ? undefined : checkText('input.title', o.title);

  const limit: readonly [number, number] | undefined = maxFrequency === undefined ? undefined : [-Infinity, maxFrequency];
  const freqAxis: CellAxis = frequencies
    ? { label: 'Frequency (Hz)', centres: frequencies, ...(limit ? { limit } : {}) }
    : { label: 'Row (index)', centres: Float64Array.from({ length: W.rows }, (_, i) => i) };
  const timeAxis: CellAxis = times
    ? { label: 'Time (seconds)', centres: times }
    : { label: 'Column (index)', centres: Float64Array.from({ length: H.cols }, (_, i) => i) };
  const componentAxis: CellAxis = { label: componentAxisLabel, labels };

  const panels: HeatmapPanel[] = [
    // W gets about 16 px per component (room for a rotated label each), within 0.8–1.4 of a panel's width.
    { matrix: W, x: componentAxis, y: freqAxis, title: titles.W, weight: Math.max(0.8, Math.min(1.4, (16 * W.cols + 170) / 440)) },
    { matrix: H, x: timeAxis, y: componentAxis, title: titles.H },
  ];
  if (showProduct) panels.push({ matrix: multiply(W, H, 'input.W·input.H'), x: timeAxis, y: freqAxis, title: titles.WH });
  if (V) panels.push({ matrix: V, x: timeAxis, y: freqAxis, title: titles.V });
  const size = figureSize(
    { width: 'input.width', height: 'input.height' },
    { width: o.width, height: o.height },
    { width: Math.round(440 * (panels.length - 1 + panels[0]!.weight!)), height: 420, why: `${panels.length} panels` },
  );
  return drawHeatmapRow(panels, { ...size, colormap, ...(title ? { suptitle: title } : {}) });
}
