/**
 * Heatmaps of matrices, laid out like matplotlib's `imshow(origin='lower', aspect='auto')` in the FMP
 * notebooks: row 0 at the bottom, cells spanning their axis values, a colorbar to the right of every panel.
 * Matrices are resampled to the plot area by area averaging (each pixel shows the mean of the cells it covers,
 * weighted by overlap), so a long spectrogram shrinks without aliasing and a narrow W widens into even blocks.
 */
import { toSignal } from '../audio/signal.js';
import type { Matrix, MatrixData } from 'nmfkit';
import {
  checkChoice,
  checkCount,
  checkedSize,
  checkPositive,
  describe,
  rangeError,
  readList,
  readOptions,
  readProperty,
  toNumberArray,
  typeError,
} from 'nmfkit/validation';
import { axisFraction, drawTitle, drawXAxis, drawYAxis, TICK_FONT, xAxisExtent, type Area, type Axis } from './axes.js';
import { Canvas, checkText, figureSize } from './canvas.js';
import { FIGURE_FORMATS, type FigureFormat } from './format.js';
import { COLORMAPS, lookupTable, type ColormapName } from './colormap.js';
import { scaleLinear } from 'd3-scale';

/**
 * How the cells of one matrix dimension map to an axis: a value axis whose cells are centred on `centres`
 * (uniformly spaced, e.g. bin frequencies or frame times) or a category axis with one cell per label.
 */
export type CellAxis =
  | {
      readonly label: string;
      readonly centres: MatrixData;
      readonly limit?: readonly [number, number];
      /**
       * 'log': a logarithmic axis (e.g. frequency, as a constant-Q display), from the lower limit or the first
       * positive centre; each pixel still shows the mean of the cells it covers, so the low end is blocky where a
       * pixel is narrower than a cell. Default 'linear'.
       */
      readonly scale?: 'linear' | 'log';
    }
  | { readonly label: string; readonly labels: readonly string[] };

/** One heatmap panel. */
export interface HeatmapPanel {
  /** rows × cols; row i is drawn at y-cell i (row 0 at the bottom), column j at x-cell j. */
  readonly matrix: Matrix;
  readonly x: CellAxis;
  readonly y: CellAxis;
  readonly title: string;
  /** Colour range [lo, hi] (in dB with `decibels`). Default [0, max of the matrix], or the top `decibels` dB. */
  readonly range?: readonly [number, number];
  /**
   * Show 20·log10 of the values (magnitudes in dB; each pixel the dB of the mean of the cells it covers) over a
   * range of this many dB below the largest. Default: linear values.
   */
  readonly decibels?: number;
  /** Relative width of the panel in its row. Default 1. */
  readonly weight?: number;
}

export interface HeatmapFigureOptions {
  readonly width?: number;
  readonly height?: number;
  readonly colormap?: ColormapName;
  /** A line of text above the panels. */
  readonly suptitle?: string;
  /** 'png' (default) or 'svg' (the same drawing as vector graphics, heatmap cells as embedded images). */
  readonly format?: FigureFormat;
}

/** Where the cells of one dimension lie in axis units: cell i spans [start + i·step, start + (i + 1)·step). */
interface CellMap {
  readonly axis: Axis;
  readonly start: number;
  readonly step: number;
  readonly count: number;
}

function cellMap(spec: CellAxis, count: number): CellMap {
  if ('labels' in spec) {
    return { axis: { kind: 'category', label: spec.label, labels: spec.labels }, start: 0, step: 1, count };
  }
  const c = spec.centres;
  const step = count > 1 ? (c[count - 1]! - c[0]!) / (count - 1) : 1;
  const start = c[0]! - step / 2;
  let min = start;
  let max = start + count * step;
  if (spec.limit) {
    min = Math.max(min, spec.limit[0]);
    max = Math.min(max, spec.limit[1]);
  }
  if (spec.scale === 'log') {
    // From the first positive centre unless the limit says otherwise; an axis with nothing positive shows its top decade.
    if (!(min > 0)) min = Array.prototype.find.call(c, (v: number) => v > 0) ?? (max > 0 ? max / 10 : 1);
    if (!(max > min)) max = min * 10;
    return { axis: { kind: 'log', label: spec.label, min, max, tickLabels: 'plain' }, start, step, count };
  }
  return { axis: { kind: 'linear', label: spec.label, min, max }, start, step, count };
}

/** For each of `pixels` pixels along an axis: the cells it covers and their overlap weights (summing to 1). */
function resampling(map: CellMap, pixels: number, reverse: boolean): { first: Int32Array; weights: Float64Array[] } {
  const [lo, hi] = map.axis.kind === 'category' ? [0, map.count] : [map.axis.min, map.axis.max];
  const log = map.axis.kind === 'log';
  const at = (f: number): number => (log ? Math.exp(Math.log(lo) + (Math.log(hi) - Math.log(lo)) * f) : lo + (hi - lo) * f);
  const first = new Int32Array(pixels);
  const weights: Float64Array[] = [];
  for (let p = 0; p < pixels; p++) {
    const q = reverse ? pixels - 1 - p : p;
    const u0 = at(q / pixels);
    const u1 = at((q + 1) / pixels);
    const a = (u0 - map.start) / map.step;
    const b = (u1 - map.start) / map.step;
    const i0 = Math.max(0, Math.floor(a));
    const i1 = Math.min(map.count - 1, Math.ceil(b) - 1);
    const w = new Float64Array(Math.max(0, i1 - i0 + 1));
    let total = 0;
    for (let i = i0; i <= i1; i++) {
      const overlap = Math.min(b, i + 1) - Math.max(a, i);
      w[i - i0] = Math.max(0, overlap);
      total += w[i - i0]!;
    }
    if (total > 0) for (let i = 0; i < w.length; i++) w[i]! /= total;
    first[p] = i0;
    weights.push(w);
  }
  return { first, weights };
}

/** Draws a matrix into an area with a colormap; returns the colour range used. */
function drawCells(
  canvas: Canvas,
  area: Area,
  panel: HeatmapPanel,
  xMap: CellMap,
  yMap: CellMap,
  colormap: ColormapName,
): [number, number] {
  const { matrix, decibels } = panel;
  let lo = 0;
  let hi = 0;
  if (panel.range) [lo, hi] = panel.range;
  else if (decibels !== undefined) [lo, hi] = decibelRange([matrix.data], decibels);
  else for (const v of matrix.data) hi = Math.max(hi, v);
  if (!(hi > lo)) hi = lo + 1;
  const shown = decibels === undefined ? (v: number): number => v : toDecibels;
  const table = lookupTable(colormap);
  const xs = resampling(xMap, area.w, false);
  const ys = resampling(yMap, area.h, true);
  const cols = matrix.cols;
  const rowMix = new Float64Array(cols);
  for (let py = 0; py < area.h; py++) {
    rowMix.fill(0);
    const wy = ys.weights[py]!;
    const iy = ys.first[py]!;
    for (let a = 0; a < wy.length; a++) {
      const base = (iy + a) * cols;
      const weight = wy[a]!;
      for (let j = 0; j < cols; j++) rowMix[j] = rowMix[j]! + weight * matrix.data[base + j]!;
    }
    for (let px = 0; px < area.w; px++) {
      const wx = xs.weights[px]!;
      const ix = xs.first[px]!;
      let v = 0;
      for (let b = 0; b < wx.length; b++) v += wx[b]! * rowMix[ix + b]!;
      const t = Math.min(1, Math.max(0, (shown(v) - lo) / (hi - lo)));
      const c = Math.round(t * 255) * 3;
      canvas.setPixel(area.x + px, area.y + py, table[c]!, table[c + 1]!, table[c + 2]!);
    }
  }
  canvas.pixels(area);
  return [lo, hi];
}

/** The smallest value shown in dB: 20·log10 of it is −400 dB (0 and negative values are shown as it). */
const DB_FLOOR = 1e-20;

/** 20·log10 of a magnitude, with 0 (and anything below 1e-20) at −400 dB. */
export function toDecibels(v: number): number {
  return 20 * Math.log10(Math.max(v, DB_FLOOR));
}

/** The top `decibels` dB of some matrices' values: [20·log10(max) − decibels, 20·log10(max)]. */
export function decibelRange(data: readonly ArrayLike<number>[], decibels: number): [number, number] {
  let max = 0;
  for (const d of data) for (let i = 0; i < d.length; i++) max = Math.max(max, d[i]!);
  const top = toDecibels(max);
  return [top - decibels, top];
}

/** A vertical colorbar with ticks on its right. */
function drawColorbar(canvas: Canvas, area: Area, range: [number, number], colormap: ColormapName): void {
  const table = lookupTable(colormap);
  for (let py = 0; py < area.h; py++) {
    const t = 1 - py / Math.max(1, area.h - 1);
    const c = Math.round(t * 255) * 3;
    for (let px = 0; px < area.w; px++) canvas.setPixel(area.x + px, area.y + py, table[c]!, table[c + 1]!, table[c + 2]!);
  }
  canvas.pixels(area);
  canvas.frame(area.x, area.y, area.w, area.h);
  const scale = scaleLinear().domain(range);
  const format = scale.tickFormat(5, '~f');
  for (const value of scale.ticks(5)) {
    const f = axisFraction({ kind: 'linear', label: '', min: range[0], max: range[1] }, value);
    const y = Math.max(area.y, Math.round(area.y + area.h - f * area.h) - 1);
    canvas.line(area.x + area.w, y, area.x + area.w + 4, y);
    canvas.text(area.x + area.w + 7, y, format(value), { size: TICK_FONT - 1, align: 'left', baseline: 'middle' });
  }
}

/** Margins around each panel's plot area, in pixels (the bottom one follows the x axes). */
const MARGIN = { left: 88, right: 74, top: 34 };
const COLORBAR = { gap: 8, width: 13 };

/** Draws one panel into the slot `slot` of a canvas, leaving `bottom` pixels below the plot for the x axis. */
function drawHeatmapPanel(canvas: Canvas, slot: Area, panel: HeatmapPanel, colormap: ColormapName, bottom: number): Area {
  const area = plotArea(slot, bottom);
  const xMap = cellMap(panel.x, panel.matrix.cols);
  const yMap = cellMap(panel.y, panel.matrix.rows);
  const range = drawCells(canvas, area, panel, xMap, yMap, colormap);
  canvas.frame(area.x, area.y, area.w, area.h);
  drawXAxis(canvas, area, xMap.axis, Math.max(2, Math.round(area.w / 70)));
  drawYAxis(canvas, area, yMap.axis, Math.max(2, Math.round(area.h / 45)));
  drawTitle(canvas, area, panel.title);
  drawColorbar(canvas, { x: area.x + area.w + COLORBAR.gap, y: area.y, w: COLORBAR.width, h: area.h }, range, colormap);
  return area;
}

function plotArea(slot: Area, bottom: number): Area {
  return {
    x: slot.x + MARGIN.left,
    y: slot.y + MARGIN.top,
    w: Math.max(10, slot.w - MARGIN.left - MARGIN.right),
    h: Math.max(10, slot.h - MARGIN.top - bottom),
  };
}

/** Most panels in one row: each needs a few hundred pixels to show anything. */
const MAX_PANELS = 64;

/**
 * Renders panels side by side as a PNG (see {@link HeatmapFigureOptions}). Each panel's matrix may hold any finite
 * numbers; the colours span `range`, by default [0, the largest entry]. Does not modify its arguments.
 */
export function renderHeatmapRow(panels: readonly HeatmapPanel[], options: HeatmapFigureOptions = {}): Buffer {
  const list = readList('panels', panels, 'a non-empty array of { matrix, x, y, title } panels', MAX_PANELS);
  if (list.length === 0)
    throw rangeError(
      'NMFKIT_INVALID_VALUE',
      'panels must be a non-empty array of { matrix, x, y, title } panels, got an array of length 0',
    );
  const checked = list.map((panel, i) => checkPanel(`panels[${i}]`, panel));
  const o = readOptions('options', options, ['width', 'height', 'colormap', 'suptitle', 'format'] as const);
  const size = figureSize(
    { width: 'options.width', height: 'options.height' },
    { width: o.width, height: o.height },
    { width: 440 * checked.length, height: 400, why: `${checked.length} panels` },
  );
  const colormap = o.colormap === undefined ? 'magma' : checkChoice('options.colormap', o.colormap, COLORMAPS);
  const suptitle = o.suptitle === undefined ? undefined : checkText('options.suptitle', o.suptitle);
  const format = o.format === undefined ? 'png' : checkChoice('options.format', o.format, FIGURE_FORMATS);
  return drawHeatmapRow(checked, { ...size, colormap, format, ...(suptitle ? { suptitle } : {}) });
}

function checkPanel(name: string, value: unknown): HeatmapPanel {
  const p = readOptions(
    name,
    value,
    ['matrix', 'x', 'y', 'title', 'range', 'weight', 'decibels'] as const,
    'a { matrix, x, y, title } object',
  );
  const matrix = readCells(`${name}.matrix`, p.matrix);
  const x = checkCellAxis(`${name}.x`, p.x, matrix.cols, 'columns');
  const y = checkCellAxis(`${name}.y`, p.y, matrix.rows, 'rows');
  const title = checkText(`${name}.title`, p.title);
  const range = p.range === undefined ? undefined : checkPair(`${name}.range`, p.range, true);
  const weight = p.weight === undefined ? undefined : checkPositive(`${name}.weight`, p.weight);
  const decibels = p.decibels === undefined ? undefined : checkDecibels(`${name}.decibels`, p.decibels);
  return {
    matrix,
    x,
    y,
    title,
    ...(range ? { range } : {}),
    ...(weight === undefined ? {} : { weight }),
    ...(decibels === undefined ? {} : { decibels }),
  };
}

/** A dynamic range in dB: a number in (0, 400]. */
export function checkDecibels(name: string, value: unknown): number {
  const v = checkPositive(name, value);
  if (v > 400) throw rangeError('NMFKIT_INVALID_VALUE', `${name} must be a range in dB in (0, 400], got ${describe(v)}`);
  return v;
}

/**
 * A panel's matrix: { rows, cols, data } with any finite entries (a heatmap may show negative values, unlike the
 * factors), read once into a fresh copy.
 */
function readCells(name: string, value: unknown): Matrix {
  if (value === null || typeof value !== 'object')
    throw typeError('NMFKIT_INVALID_TYPE', `${name} must be a { rows, cols, data } matrix, got ${describe(value)}`);
  const rowsValue = readProperty(`${name}.rows`, value, 'rows');
  const colsValue = readProperty(`${name}.cols`, value, 'cols');
  const source = readProperty(`${name}.data`, value, 'data');
  const rows = checkCount(`${name}.rows`, rowsValue);
  const cols = checkCount(`${name}.cols`, colsValue);
  const size = checkedSize(name, rows, cols);
  const data = toNumberArray(`${name}.data`, source);
  if (data.length !== size)
    throw rangeError(
      'NMFKIT_INVALID_VALUE',
      `${name}.data has ${data.length} entries, but ${name}.rows × ${name}.cols = ${rows}×${cols} = ${size}`,
    );
  for (let k = 0; k < size; k++) {
    if (!Number.isFinite(data[k]!)) {
      throw rangeError(
        'NMFKIT_INVALID_VALUE',
        `${name} must be finite, but ${name}.data[${k}] (row ${Math.floor(k / cols)}, column ${k % cols}) is ${describe(data[k])}`,
      );
    }
  }
  return { rows, cols, data };
}

function checkCellAxis(name: string, value: unknown, count: number, cells: string): CellAxis {
  const a = readOptions(
    name,
    value,
    ['label', 'centres', 'limit', 'labels', 'scale'] as const,
    'a { label, centres } or { label, labels } axis',
  );
  const label = checkText(`${name}.label`, a.label);
  if (a.centres === undefined && a.labels === undefined)
    throw typeError('NMFKIT_INVALID_TYPE', `${name} must have centres (a value axis) or labels (a category axis)`);
  if (a.centres !== undefined && a.labels !== undefined)
    throw typeError('NMFKIT_INVALID_TYPE', `${name} must have centres (a value axis) or labels (a category axis), not both`);
  if (a.labels !== undefined) {
    if (a.limit !== undefined) throw typeError('NMFKIT_INVALID_TYPE', `${name}.limit is for a value axis (centres), not one of labels`);
    if (a.scale !== undefined) throw typeError('NMFKIT_INVALID_TYPE', `${name}.scale is for a value axis (centres), not one of labels`);
    const tooMany = (length: number): string =>
      `${name}.labels must have one label per matrix ${cells.slice(0, -1)} (${count}), got ${length}`;
    const labels = readList(`${name}.labels`, a.labels, 'an array of strings', count, tooMany).map((l, i) =>
      checkText(`${name}.labels[${i}]`, l),
    );
    if (labels.length !== count) throw rangeError('NMFKIT_INVALID_VALUE', tooMany(labels.length));
    return { label, labels };
  }
  const centres = toSignal(`${name}.centres`, a.centres);
  if (centres.length !== count)
    throw rangeError(
      'NMFKIT_INVALID_VALUE',
      `${name}.centres must have one entry per matrix ${cells.slice(0, -1)} (${count}), got ${centres.length}`,
    );
  // The cells are laid out evenly from the first centre to the last: equal or decreasing centres would give cells
  // of zero or negative width (every pixel weighing every cell: memory of pixels × cells).
  for (let i = 1; i < centres.length; i++) {
    if (!(centres[i]! > centres[i - 1]!)) {
      throw rangeError(
        'NMFKIT_INVALID_VALUE',
        `${name}.centres must increase strictly, but ${name}.centres[${i}] = ${centres[i]} is not above ${name}.centres[${i - 1}] = ${centres[i - 1]}`,
      );
    }
  }
  const limit = a.limit === undefined ? undefined : checkPair(`${name}.limit`, a.limit, false);
  const scale = a.scale === undefined ? undefined : checkChoice(`${name}.scale`, a.scale, ['linear', 'log'] as const);
  return { label, centres, ...(limit ? { limit } : {}), ...(scale ? { scale } : {}) };
}

/** A [low, high] pair with low < high: finite numbers, or (`finite` false, for a limit) ±Infinity too. */
function checkPair(name: string, value: unknown, finite: boolean): readonly [number, number] {
  const expectation = 'a [low, high] pair of numbers';
  const pair = readList(name, value, expectation, 2, (length) => `${name} must be ${expectation}, got an array of length ${length}`);
  if (pair.length !== 2) throw rangeError('NMFKIT_INVALID_VALUE', `${name} must be ${expectation}, got an array of length ${pair.length}`);
  const [lo, hi] = pair.map((x, i) => {
    if (typeof x !== 'number') throw typeError('NMFKIT_INVALID_TYPE', `${name}[${i}] must be a number, got ${describe(x)}`);
    if (Number.isNaN(x) || (finite && !Number.isFinite(x)))
      throw rangeError('NMFKIT_INVALID_VALUE', `${name}[${i}] must be a ${finite ? 'finite ' : ''}number, got ${describe(x)}`);
    return x;
  }) as [number, number];
  if (!(lo < hi)) throw rangeError('NMFKIT_INVALID_VALUE', `${name} must have low < high, got [${describe(lo)}, ${describe(hi)}]`);
  return [lo, hi];
}

/** {@link renderHeatmapRow} of checked panels and options. */
export function drawHeatmapRow(
  panels: readonly HeatmapPanel[],
  options: {
    readonly width: number;
    readonly height: number;
    readonly colormap: ColormapName;
    readonly suptitle?: string;
    readonly format: FigureFormat;
  },
): Buffer {
  const { width, colormap } = options;
  const top = options.suptitle ? 30 : 0;
  const height = options.height + top;
  const canvas = new Canvas(width, height, '#ffffff', options.format === 'svg');
  if (options.suptitle) canvas.text(width / 2, 22, options.suptitle, { size: 16, align: 'center' });
  const total = panels.reduce((s, p) => s + (p.weight ?? 1), 0);
  const slots: Area[] = [];
  let x = 0;
  for (const panel of panels) {
    const w = Math.round((width * (panel.weight ?? 1)) / total);
    slots.push({ x, y: top, w, h: height - top });
    x += w;
  }
  // One bottom margin for the whole row, so that the plot areas line up.
  const bottom = Math.max(
    ...panels.map((panel, i) => xAxisExtent(canvas, cellMap(panel.x, panel.matrix.cols).axis, plotArea(slots[i]!, 0).w)),
  );
  panels.forEach((panel, i) => drawHeatmapPanel(canvas, slots[i]!, panel, colormap, bottom));
  return canvas.encode(options.format);
}
