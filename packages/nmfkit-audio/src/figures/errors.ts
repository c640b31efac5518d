/**
 * The error-history plot: per iteration, the spectral norms of the changes of H and W (the stopping criterion
 * of libfmp's `nmf`) on a logarithmic axis, with the tolerance as a dashed line; one panel per fit.
 */
import { schemeTableau10 } from 'd3-scale-chromatic';
import type { MatrixData } from 'nmfkit';
import { checkChoice, checkCount, checkNonNegative, describe, rangeError, readList, readOptions, toNumberArray } from 'nmfkit/validation';
import { axisFraction, drawTitle, drawXAxis, drawYAxis, LABEL_FONT, type Area, type ValueAxis } from './axes.js';
import { Canvas, checkColor, checkText, figureSize } from './canvas.js';
import { FIGURE_FORMATS, type FigureFormat } from './format.js';

/**
 * One curve: a value per iteration (iteration i + 1 at index i, or `iterations[i]`); values that are not finite and
 * > 0 are gaps.
 */
export interface LineSeries {
  readonly label: string;
  readonly values: MatrixData;
  /** The iteration of each value (e.g. an objective history's), increasing. Default 1, 2, 3, … */
  readonly iterations?: MatrixData;
  /** CSS colour. Default: the matplotlib/Tableau palette in order. */
  readonly color?: string;
}

/** One panel of {@link renderErrorPlot}. */
export interface ErrorPlotPanel {
  readonly title: string;
  readonly series: readonly LineSeries[];
  /** Draws a dashed horizontal line at the tolerance. */
  readonly tol?: number;
  /** Default 'Iteration'. */
  readonly xLabel?: string;
  /** Default 'Change (spectral norm)'. */
  readonly yLabel?: string;
}

export interface ErrorPlotOptions {
  /** Pixels. Default 640 per column × 400 per row. */
  readonly width?: number;
  readonly height?: number;
  /** Panels per row; the panels fill rows left to right. Default: all in one row. */
  readonly columns?: number;
  /** 'png' (default) or 'svg'. */
  readonly format?: FigureFormat;
}

const MARGIN = { left: 84, right: 24, top: 34, bottom: 56 };

/** Most panels, and most series in a panel: beyond them the panels and legends have no room left. */
const MAX_PANELS = 64;
const MAX_SERIES = 64;

/** Renders error histories (e.g. a result's `hChange` and `wChange`) as PNG bytes. Does not modify its arguments. */
export function renderErrorPlot(panels: readonly ErrorPlotPanel[], options: ErrorPlotOptions = {}): Buffer {
  const list = readList('panels', panels, 'a non-empty array of { title, series } panels', MAX_PANELS);
  if (list.length === 0)
    throw rangeError('NMFKIT_INVALID_VALUE', 'panels must be a non-empty array of { title, series } panels, got an array of length 0');
  const checked = list.map((panel, i) => checkPanel(`panels[${i}]`, panel));
  const o = readOptions('options', options, ['width', 'height', 'columns', 'format'] as const);
  const columns = o.columns === undefined ? checked.length : Math.min(checked.length, checkCount('options.columns', o.columns));
  const rows = Math.ceil(checked.length / columns);
  const { width, height } = figureSize(
    { width: 'options.width', height: 'options.height' },
    { width: o.width, height: o.height },
    { width: 640 * columns, height: 400 * rows, why: `${checked.length} panels` },
  );
  const format = o.format === undefined ? 'png' : checkChoice('options.format', o.format, FIGURE_FORMATS);
  const canvas = new Canvas(width, height, '#ffffff', format === 'svg');
  const slot = width / columns;
  const rowHeight = height / rows;
  checked.forEach((panel, i) => {
    const column = i % columns;
    const top = Math.round(Math.floor(i / columns) * rowHeight);
    const area: Area = {
      x: Math.round(column * slot) + MARGIN.left,
      y: top + MARGIN.top,
      w: Math.max(10, Math.round(slot) - MARGIN.left - MARGIN.right),
      h: Math.max(10, Math.round(rowHeight) - MARGIN.top - MARGIN.bottom),
    };
    drawPanel(canvas, area, panel);
  });
  return canvas.encode(format);
}

interface CheckedPanel extends ErrorPlotPanel {
  readonly series: readonly (LineSeries & { readonly values: Float64Array; readonly iterations: Float64Array | undefined })[];
}

function checkPanel(name: string, value: unknown): CheckedPanel {
  const p = readOptions(name, value, ['title', 'series', 'tol', 'xLabel', 'yLabel'] as const, 'a { title, series } object');
  const title = checkText(`${name}.title`, p.title);
  const series = readList(`${name}.series`, p.series, 'an array of { label, values } series', MAX_SERIES).map((s, j) => {
    const where = `${name}.series[${j}]`;
    const o = readOptions(where, s, ['label', 'values', 'color', 'iterations'] as const, 'a { label, values } object');
    const label = checkText(`${where}.label`, o.label);
    const values = toNumberArray(`${where}.values`, o.values);
    const iterations = o.iterations === undefined ? undefined : checkIterations(`${where}.iterations`, o.iterations, values.length);
    return o.color === undefined
      ? { label, values, iterations }
      : { label, values, iterations, color: checkColor(`${where}.color`, o.color) };
  });
  const tol = p.tol === undefined ? undefined : checkNonNegative(`${name}.tol`, p.tol);
  const xLabel = p.xLabel === undefined ? undefined : checkText(`${name}.xLabel`, p.xLabel);
  const yLabel = p.yLabel === undefined ? undefined : checkText(`${name}.yLabel`, p.yLabel);
  return {
    title,
    series,
    ...(tol === undefined ? {} : { tol }),
    ...(xLabel === undefined ? {} : { xLabel }),
    ...(yLabel === undefined ? {} : { yLabel }),
  };
}

/** A series' iterations: one finite number per value, increasing. */
function checkIterations(name: string, value: unknown, count: number): Float64Array {
  const x = toNumberArray(name, value);
  if (x.length !== count) throw rangeError('NMFKIT_INVALID_VALUE', `${name} must have one entry per value (${count}), got ${x.length}`);
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]!)) throw rangeError('NMFKIT_INVALID_VALUE', `${name} must be finite, but ${name}[${i}] is ${describe(x[i])}`);
    if (i > 0 && !(x[i]! > x[i - 1]!)) {
      throw rangeError(
        'NMFKIT_INVALID_VALUE',
        `${name} must increase, but ${name}[${i}] = ${x[i]} follows ${name}[${i - 1}] = ${x[i - 1]}`,
      );
    }
  }
  return x;
}

/**
 * The log axis's ends: the decades around [min, max] (0 < min ≤ max, finite). At the ends of the float64 range the
 * next decade does not exist (10^309 is Infinity, 10^-324 is 0): there the axis ends at the value itself, so it
 * stays finite and > 0 and every loop over it is bounded.
 */
function decadeRange(min: number, max: number): { min: number; max: number } {
  const low = 10 ** Math.floor(Math.log10(min));
  const high = 10 ** Math.ceil(Math.log10(max) + 1e-12);
  return { min: low > 0 && low <= min ? low : min, max: Number.isFinite(high) && high >= max ? high : max };
}

function drawPanel(canvas: Canvas, area: Area, panel: CheckedPanel): void {
  let length = 1;
  let first = 1;
  let min = Infinity;
  let max = 0;
  for (const s of panel.series) {
    length = Math.max(length, s.iterations ? (s.iterations[s.iterations.length - 1] ?? 1) : s.values.length);
    if (s.iterations && s.iterations.length > 0) first = Math.min(first, s.iterations[0]!);
    for (let i = 0; i < s.values.length; i++) {
      const v = s.values[i]!;
      if (v > 0 && Number.isFinite(v)) {
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
    }
  }
  if (panel.tol !== undefined && panel.tol > 0) {
    min = Math.min(min, panel.tol);
    max = Math.max(max, panel.tol);
  }
  if (!(max > 0)) {
    min = 1e-3;
    max = 1;
  }
  const y: ValueAxis = { kind: 'log', label: panel.yLabel ?? 'Change (spectral norm)', ...decadeRange(min, max) };
  const x: ValueAxis = { kind: 'linear', label: panel.xLabel ?? 'Iteration', min: first, max: Math.max(first + 1, length) };
  const px = (i: number): number => area.x + ((i - x.min) / (x.max - x.min)) * area.w;
  const py = (v: number): number => area.y + area.h - axisFraction(y, v) * area.h;

  // Light grid at the decades inside the range (at most about 630 of them, 1e-323 to 1e308).
  for (let e = Math.ceil(Math.log10(y.min) - 1e-9); e <= Math.floor(Math.log10(y.max) + 1e-9); e++) {
    const gy = Math.round(py(10 ** e)) - 1;
    canvas.line(area.x, gy, area.x + area.w, gy, '#e6e6e6');
  }
  if (panel.tol !== undefined && panel.tol > 0) canvas.dashedLine(area.x, area.x + area.w, Math.round(py(panel.tol)) - 1, '#555555');

  panel.series.forEach((s, k) => {
    const color = s.color ?? schemeTableau10[k % schemeTableau10.length]!;
    const xs = new Float64Array(s.values.length);
    const ys = new Float64Array(s.values.length);
    for (let i = 0; i < s.values.length; i++) {
      xs[i] = px(s.iterations ? s.iterations[i]! : i + 1);
      const v = s.values[i]!;
      ys[i] = v > 0 && Number.isFinite(v) ? py(v) : NaN;
    }
    canvas.polyline(xs, ys, color, 1.6);
  });

  canvas.frame(area.x, area.y, area.w, area.h);
  drawXAxis(canvas, area, x);
  drawYAxis(canvas, area, y);
  drawTitle(canvas, area, panel.title);

  // Legend, top right.
  const entries = panel.series.map((s, k) => ({
    label: s.label,
    color: s.color ?? schemeTableau10[k % schemeTableau10.length]!,
    dashed: false,
  }));
  if (panel.tol !== undefined && panel.tol > 0) entries.push({ label: `tol = ${panel.tol}`, color: '#555555', dashed: true });
  if (entries.length === 0) return;
  const size = LABEL_FONT - 1;
  const boxW = Math.max(...entries.map((e) => canvas.textWidth(e.label, size))) + 48;
  const boxH = entries.length * 20 + 8;
  const bx = area.x + area.w - boxW - 8;
  const by = area.y + 8;
  canvas.fillRect(bx, by, boxW, boxH, '#ffffff');
  canvas.frame(bx, by, boxW, boxH, '#cccccc');
  entries.forEach((e, k) => {
    const ly = by + 14 + k * 20;
    if (e.dashed) canvas.dashedLine(bx + 8, bx + 34, ly, e.color, 5, 3);
    else canvas.line(bx + 8, ly, bx + 34, ly, e.color, 2);
    canvas.text(bx + 40, ly, e.label, { size, baseline: 'middle' });
  });
}
