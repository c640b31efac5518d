/**
 * The NMF factors figure, laid out like libfmp's `plot_nmf_factors`: W (frequency × component), H (component ×
 * time), W·H and V (frequency × time) side by side, each with its colorbar.
 */
import type { Matrix, MatrixInput } from '../types.js';
import { checkChoice, describe, toMatrix } from '../validate.js';
import { COLORMAPS, type ColormapName } from './colormap.js';
import { renderHeatmapRow, type CellAxis, type HeatmapPanel } from './heatmap.js';

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
  readonly frequencies?: ArrayLike<number>;
  /** Seconds of the N columns; without them the columns are indexed. */
  readonly times?: ArrayLike<number>;
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

/** W·H as a fresh matrix. */
export function product(W: Matrix, H: Matrix): Matrix {
  const K = W.rows;
  const R = W.cols;
  const N = H.cols;
  const data = new Float64Array(K * N);
  for (let k = 0; k < K; k++) {
    for (let r = 0; r < R; r++) {
      const w = W.data[k * R + r]!;
      if (w === 0) continue;
      for (let n = 0; n < N; n++) data[k * N + n] += w * H.data[r * N + n]!;
    }
  }
  return { rows: K, cols: N, data };
}

function axisValues(name: string, values: ArrayLike<number> | undefined, length: number): ArrayLike<number> | undefined {
  if (values === undefined) return undefined;
  if (typeof values !== 'object' || values === null || typeof values.length !== 'number') {
    throw new TypeError(`${name} must be an array of numbers, got ${describe(values)}`);
  }
  if (values.length !== length) throw new RangeError(`${name} must have ${length} entries, got ${values.length}`);
  return values;
}

/** Renders the factors figure as PNG bytes. Does not modify its input. */
export function renderFactorsFigure(input: FactorsFigureInput): Buffer {
  if (input === null || typeof input !== 'object') throw new TypeError(`input must be an object with W and H, got ${describe(input)}`);
  const W = toMatrix('input.W', input.W);
  const H = toMatrix('input.H', input.H);
  if (H.rows !== W.cols) throw new RangeError(`input.H must have one row per column of input.W (${W.cols}), got ${H.rows}×${H.cols}`);
  const V = input.V === undefined ? undefined : toMatrix('input.V', input.V, { rows: W.rows, cols: H.cols, why: 'rows of W × columns of H' });
  const colormap = input.colormap === undefined ? 'magma' : checkChoice('input.colormap', input.colormap, COLORMAPS);
  const frequencies = axisValues('input.frequencies', input.frequencies, W.rows);
  const times = axisValues('input.times', input.times, H.cols);
  const labels = input.componentLabels ?? Array.from({ length: W.cols }, (_, r) => String(r));
  if (labels.length !== W.cols) throw new RangeError(`input.componentLabels must have one label per component (${W.cols}), got ${labels.length}`);

  const limit: readonly [number, number] | undefined = input.maxFrequency === undefined ? undefined : [-Infinity, input.maxFrequency];
  const freqAxis: CellAxis = frequencies
    ? { label: 'Frequency (Hz)', centres: frequencies, ...(limit ? { limit } : {}) }
    : { label: 'Row (index)', centres: Float64Array.from({ length: W.rows }, (_, i) => i) };
  const timeAxis: CellAxis = times
    ? { label: 'Time (seconds)', centres: times }
    : { label: 'Column (index)', centres: Float64Array.from({ length: H.cols }, (_, i) => i) };
  const componentAxis: CellAxis = { label: input.componentAxis ?? 'Component', labels };
  const titles = input.titles ?? {};

  const panels: HeatmapPanel[] = [
    // W gets about 16 px per component (room for a rotated label each), within 0.8–1.4 of a panel's width.
    { matrix: W, x: componentAxis, y: freqAxis, title: titles.W ?? 'W (templates)', weight: Math.max(0.8, Math.min(1.4, (16 * W.cols + 170) / 440)) },
    { matrix: H, x: timeAxis, y: componentAxis, title: titles.H ?? 'H (activations)' },
  ];
  if (input.showProduct ?? true) panels.push({ matrix: product(W, H), x: timeAxis, y: freqAxis, title: titles.WH ?? 'W·H' });
  if (V) panels.push({ matrix: V, x: timeAxis, y: freqAxis, title: titles.V ?? 'V' });
  const width = input.width ?? Math.round(440 * (panels.length - 1 + panels[0]!.weight!));
  return renderHeatmapRow(panels, {
    width,
    height: input.height ?? 420,
    colormap,
    ...(input.title ? { suptitle: input.title } : {}),
  });
}
