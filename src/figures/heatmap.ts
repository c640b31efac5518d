/**
 * Heatmaps of matrices, laid out like matplotlib's `imshow(origin='lower', aspect='auto')` in the FMP
 * notebooks: row 0 at the bottom, cells spanning their axis values, a colorbar to the right of every panel.
 * Matrices are resampled to the plot area by area averaging (each pixel shows the mean of the cells it covers,
 * weighted by overlap), so a long spectrogram shrinks without aliasing and a narrow W widens into even blocks.
 */
import type { Matrix } from '../types.js';
import { axisFraction, drawTitle, drawXAxis, drawYAxis, TICK_FONT, xAxisExtent, type Area, type Axis } from './axes.js';
import { Canvas } from './canvas.js';
import { colormapTable, type ColormapName } from './colormap.js';
import { scaleLinear } from 'd3-scale';

/**
 * How the cells of one matrix dimension map to an axis: a value axis whose cells are centred on `centres`
 * (uniformly spaced, e.g. bin frequencies or frame times) or a category axis with one cell per label.
 */
export type CellAxis =
  | { readonly label: string; readonly centres: ArrayLike<number>; readonly limit?: readonly [number, number] }
  | { readonly label: string; readonly labels: readonly string[] };

/** One heatmap panel. */
export interface HeatmapPanel {
  /** rows × cols; row i is drawn at y-cell i (row 0 at the bottom), column j at x-cell j. */
  readonly matrix: Matrix;
  readonly x: CellAxis;
  readonly y: CellAxis;
  readonly title: string;
  /** Colour range [lo, hi]. Default [0, max of the matrix]. */
  readonly range?: readonly [number, number];
  /** Relative width of the panel in its row. Default 1. */
  readonly weight?: number;
}

export interface HeatmapFigureOptions {
  readonly width?: number;
  readonly height?: number;
  readonly colormap?: ColormapName;
  /** A line of text above the panels. */
  readonly suptitle?: string;
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
  return { axis: { kind: 'linear', label: spec.label, min, max }, start, step, count };
}

/** For each of `pixels` pixels along an axis: the cells it covers and their overlap weights (summing to 1). */
function resampling(map: CellMap, pixels: number, reverse: boolean): { first: Int32Array; weights: Float64Array[] } {
  const [lo, hi] = map.axis.kind === 'category' ? [0, map.count] : [map.axis.min, map.axis.max];
  const first = new Int32Array(pixels);
  const weights: Float64Array[] = [];
  for (let p = 0; p < pixels; p++) {
    const q = reverse ? pixels - 1 - p : p;
    const u0 = lo + ((hi - lo) * q) / pixels;
    const u1 = lo + ((hi - lo) * (q + 1)) / pixels;
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
function drawCells(canvas: Canvas, area: Area, panel: HeatmapPanel, xMap: CellMap, yMap: CellMap, colormap: ColormapName): [number, number] {
  const { matrix } = panel;
  let lo = 0;
  let hi = 0;
  if (panel.range) [lo, hi] = panel.range;
  else for (const v of matrix.data) hi = Math.max(hi, v);
  if (!(hi > lo)) hi = lo + 1;
  const table = colormapTable(colormap);
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
      for (let j = 0; j < cols; j++) rowMix[j] += weight * matrix.data[base + j]!;
    }
    for (let px = 0; px < area.w; px++) {
      const wx = xs.weights[px]!;
      const ix = xs.first[px]!;
      let v = 0;
      for (let b = 0; b < wx.length; b++) v += wx[b]! * rowMix[ix + b]!;
      const t = Math.min(1, Math.max(0, (v - lo) / (hi - lo)));
      const c = Math.round(t * 255) * 3;
      canvas.setPixel(area.x + px, area.y + py, table[c]!, table[c + 1]!, table[c + 2]!);
    }
  }
  return [lo, hi];
}

/** A vertical colorbar with ticks on its right. */
function drawColorbar(canvas: Canvas, area: Area, range: [number, number], colormap: ColormapName): void {
  const table = colormapTable(colormap);
  for (let py = 0; py < area.h; py++) {
    const t = 1 - py / Math.max(1, area.h - 1);
    const c = Math.round(t * 255) * 3;
    for (let px = 0; px < area.w; px++) canvas.setPixel(area.x + px, area.y + py, table[c]!, table[c + 1]!, table[c + 2]!);
  }
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
export function drawHeatmapPanel(canvas: Canvas, slot: Area, panel: HeatmapPanel, colormap: ColormapName, bottom: number): Area {
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

/** Renders panels side by side as a PNG (see {@link HeatmapFigureOptions}). */
export function renderHeatmapRow(panels: readonly HeatmapPanel[], options: HeatmapFigureOptions = {}): Buffer {
  const width = options.width ?? 440 * panels.length;
  const top = options.suptitle ? 30 : 0;
  const height = (options.height ?? 400) + top;
  const colormap = options.colormap ?? 'magma';
  const canvas = new Canvas(width, height);
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
  return canvas.toPng();
}
