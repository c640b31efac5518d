/**
 * Axes of the figures: value ↔ pixel mapping, tick positions (from `d3-scale`) and the drawing of ticks, tick
 * labels and axis labels around a plot area.
 */
import { scaleLinear, scaleLog } from 'd3-scale';
import type { Canvas } from './canvas.js';

/** A rectangle of pixels: [x, x + w) × [y, y + h). */
export interface Area {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

/** A continuous axis showing values from `min` to `max`, linearly or logarithmically. */
export interface ValueAxis {
  readonly kind: 'linear' | 'log';
  readonly label: string;
  readonly min: number;
  readonly max: number;
  /** Log axes: label the decades as powers of ten (default), or 1-2-5 steps as plain numbers (50, 100, 200, 1k, 2k). */
  readonly tickLabels?: 'powers' | 'plain';
}

/** One slot per category (e.g. one per NMF component), labelled at its centre. */
export interface CategoryAxis {
  readonly kind: 'category';
  readonly label: string;
  readonly labels: readonly string[];
}

export type Axis = ValueAxis | CategoryAxis;

export interface Tick {
  /** Position in axis units (category axes: slot index + 0.5). */
  readonly value: number;
  readonly label: string;
  readonly major: boolean;
}

const TICK = 5;
export const TICK_FONT = 12;
export const LABEL_FONT = 14;
export const TITLE_FONT = 15;

/** The lower and upper ends of an axis in its own units. */
export function axisRange(axis: Axis): [number, number] {
  return axis.kind === 'category' ? [0, axis.labels.length] : [axis.min, axis.max];
}

/** Maps an axis value to a fraction in [0, 1] of the axis length. */
export function axisFraction(axis: Axis, value: number): number {
  // Differences of logarithms: the ratios overflow when the axis spans most of the float64 range (1e-323 to 1e308).
  if (axis.kind === 'log') return (Math.log(value) - Math.log(axis.min)) / (Math.log(axis.max) - Math.log(axis.min));
  const [lo, hi] = axisRange(axis);
  return (value - lo) / (hi - lo);
}

const SUPERSCRIPT: Record<string, string> = {
  '-': '⁻',
  '0': '⁰',
  '1': '¹',
  '2': '²',
  '3': '³',
  '4': '⁴',
  '5': '⁵',
  '6': '⁶',
  '7': '⁷',
  '8': '⁸',
  '9': '⁹',
};

/** 10 to the power e, written 10⁻³. */
export function powerOfTen(e: number): string {
  return `10${String(e).replace(/./g, (c) => SUPERSCRIPT[c] ?? c)}`;
}

/** Ticks of an axis: about `count` nice values, or one per category (thinned to fit `pixels`). */
export function axisTicks(axis: Axis, count: number, pixels: number, canvas: Canvas, orientation: 'x' | 'y' = 'x'): Tick[] {
  if (axis.kind === 'category') {
    const n = axis.labels.length;
    const spacing = pixels / Math.max(1, n);
    const layout = categoryLayout(axis, spacing, canvas, orientation);
    const ticks: Tick[] = [];
    for (let i = 0; i < n; i += layout.step) ticks.push({ value: i + 0.5, label: axis.labels[i]!, major: true });
    return ticks;
  }
  if (axis.kind === 'log' && axis.tickLabels === 'plain') return plainLogTicks(axis, pixels);
  if (axis.kind === 'log') {
    const ticks: Tick[] = [];
    const scale = scaleLog().domain([axis.min, axis.max]);
    for (const value of scale.ticks(count)) {
      const e = Math.round(Math.log10(value));
      const major = Math.abs(Math.log10(value) - e) < 1e-9;
      ticks.push({ value, label: major ? powerOfTen(e) : '', major });
    }
    return ticks;
  }
  const scale = scaleLinear().domain([axis.min, axis.max]);
  const format = scale.tickFormat(count, '~f');
  return scale.ticks(count).map((value) => ({ value, label: format(value), major: true }));
}

/** Ticks of a log axis at 1, 2 and 5 times the powers of ten, labelled plainly (1k for 1000); fewer when crowded. */
function plainLogTicks(axis: ValueAxis, pixels: number): Tick[] {
  const span = Math.log10(axis.max / axis.min);
  // About 40 pixels per label: every 1-2-5 step, or only 1 and 5 (or the decades) when the decades are narrow.
  const perDecade = pixels / Math.max(span, 1e-9);
  const steps = perDecade >= 120 ? [1, 2, 5] : perDecade >= 80 ? [1, 5] : [1];
  const ticks: Tick[] = [];
  for (let e = Math.floor(Math.log10(axis.min)); e <= Math.ceil(Math.log10(axis.max)) && ticks.length < 200; e++) {
    for (const m of [1, 2, 3, 4, 5, 6, 7, 8, 9]) {
      const value = m * 10 ** e;
      if (value < axis.min * (1 - 1e-9) || value > axis.max * (1 + 1e-9)) continue;
      const major = steps.includes(m);
      ticks.push({ value, label: major ? plainNumber(value) : '', major });
    }
  }
  return ticks;
}

/** 50, 100, 1.5k, 20k: a tick value without trailing zeros, thousands as k. */
function plainNumber(v: number): string {
  const text = (x: number): string => String(Number(x.toPrecision(6)));
  return v >= 1000 ? `${text(v / 1000)}k` : text(v);
}

/** How category labels fit: every `step`-th label, rotated (reading upwards) when they are too wide to lie flat. */
function categoryLayout(axis: CategoryAxis, spacing: number, canvas: Canvas, orientation: 'x' | 'y'): { step: number; rotated: boolean } {
  const height = TICK_FONT + 3;
  if (orientation === 'y') return { step: Math.max(1, Math.ceil(height / spacing)), rotated: false };
  const widest = Math.max(...axis.labels.map((l) => canvas.textWidth(l, TICK_FONT)), 1);
  if (widest + 6 <= spacing) return { step: 1, rotated: false };
  return { step: Math.max(1, Math.ceil(height / spacing)), rotated: true };
}

/** Pixels the x axis needs below the plot area (ticks, tick labels and axis label). */
export function xAxisExtent(canvas: Canvas, axis: Axis, pixels: number): number {
  let labels = TICK_FONT;
  if (axis.kind === 'category') {
    const layout = categoryLayout(axis, pixels / Math.max(1, axis.labels.length), canvas, 'x');
    if (layout.rotated) labels = Math.max(...axis.labels.map((l) => canvas.textWidth(l, TICK_FONT)), 1);
  }
  return TICK + 3 + labels + 8 + LABEL_FONT + 6;
}

/** Draws the x axis below an area: ticks, tick labels, and the axis label. */
export function drawXAxis(canvas: Canvas, area: Area, axis: Axis, count = 6): void {
  const bottom = area.y + area.h;
  const rotated = axis.kind === 'category' && categoryLayout(axis, area.w / Math.max(1, axis.labels.length), canvas, 'x').rotated;
  for (const tick of axisTicks(axis, count, area.w, canvas, 'x')) {
    const f = axisFraction(axis, tick.value);
    if (f < -1e-9 || f > 1 + 1e-9) continue;
    const x = Math.min(area.x + area.w - 1, Math.round(area.x + f * area.w));
    canvas.line(x, bottom, x, bottom + (tick.major ? TICK : TICK - 2));
    if (!tick.label) continue;
    if (rotated)
      canvas.text(x, bottom + TICK + 3, tick.label, { size: TICK_FONT, align: 'right', baseline: 'middle', rotate: -Math.PI / 2 });
    else canvas.text(x, bottom + TICK + 3, tick.label, { size: TICK_FONT, align: 'center', baseline: 'top' });
  }
  const extent = xAxisExtent(canvas, axis, area.w);
  canvas.text(area.x + area.w / 2, bottom + extent - 6, axis.label, { size: LABEL_FONT, align: 'center', baseline: 'bottom' });
}

/** Draws the y axis left of an area (values grow upwards): ticks, tick labels, and the rotated axis label. */
export function drawYAxis(canvas: Canvas, area: Area, axis: Axis, count = 6): void {
  let widest = 0;
  for (const tick of axisTicks(axis, count, area.h, canvas, 'y')) {
    const f = axisFraction(axis, tick.value);
    if (f < -1e-9 || f > 1 + 1e-9) continue;
    const y = Math.max(area.y, Math.round(area.y + area.h - f * area.h) - 1);
    canvas.line(area.x - 1, y, area.x - 1 - (tick.major ? TICK : TICK - 2), y);
    if (tick.label) {
      canvas.text(area.x - TICK - 4, y, tick.label, { size: TICK_FONT, align: 'right', baseline: 'middle' });
      widest = Math.max(widest, canvas.textWidth(tick.label, TICK_FONT));
    }
  }
  const labelX = area.x - TICK - 10 - widest - 4;
  canvas.text(labelX, area.y + area.h / 2, axis.label, { size: LABEL_FONT, align: 'center', baseline: 'bottom', rotate: -Math.PI / 2 });
}

/** Draws a title centred above an area. */
export function drawTitle(canvas: Canvas, area: Area, title: string): void {
  canvas.text(area.x + area.w / 2, area.y - 10, title, { size: TITLE_FONT, align: 'center', baseline: 'alphabetic' });
}
