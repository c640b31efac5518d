/**
 * A small drawing surface for the figures: pureimage's 2D context (anti-aliased text and lines) over an RGBA
 * bitmap, direct pixel access for heatmaps, and PNG output. A vector canvas also records every drawing command as
 * SVG (text as text, lines as lines and rectangles, the pixel areas of heatmaps as embedded PNG images) for
 * {@link Canvas.toSvg}: the same figure, drawn by the same code.
 */
import * as PImage from 'pureimage';
import type { Bitmap, Context } from 'pureimage';
import { checkCount, checkString, describe, plainError, rangeError } from 'nmfkit/validation';
import { FONT_FAMILY, ensureFont } from './font.js';
import type { FigureFormat } from './format.js';
import { encodePng } from './png.js';

export type Align = 'left' | 'center' | 'right';
export type Baseline = 'top' | 'middle' | 'alphabetic' | 'bottom';

export interface TextStyle {
  readonly size?: number;
  readonly align?: Align;
  readonly baseline?: Baseline;
  readonly color?: string;
  /** Rotation in radians about the anchor (−π/2: reading upwards, for y-axis labels). */
  readonly rotate?: number;
}

/** Offscreen renderings of text as coverage masks, keyed by size and text (text drawing costs grow with the canvas, so it is rendered small once). */
const masks = new Map<string, { width: number; height: number; baseline: number; alpha: Uint8Array }>();

function textMask(text: string, size: number): { width: number; height: number; baseline: number; alpha: Uint8Array } {
  const key = `${size}\u0000${text}`;
  let mask = masks.get(key);
  if (mask) return mask;
  ensureFont();
  const probe = PImage.make(8, 8).getContext('2d');
  probe.font = `${size}px "${FONT_FAMILY}"`;
  const width = Math.ceil(probe.measureText(text).width) + 4;
  const height = Math.ceil(size * 1.4) + 4;
  const baseline = Math.ceil(size * 1.05) + 2;
  const bitmap = PImage.make(width, height);
  const ctx = bitmap.getContext('2d');
  bitmap.data.fill(255);
  ctx.font = `${size}px "${FONT_FAMILY}"`;
  ctx.fillStyle = '#000000';
  ctx.textAlign = 'left';
  ctx.textBaseline = 'alphabetic';
  ctx.fillText(text, 2, baseline);
  const alpha = new Uint8Array(width * height);
  for (let i = 0; i < alpha.length; i++) alpha[i] = 255 - bitmap.data[4 * i]!;
  mask = { width, height, baseline, alpha };
  if (masks.size > 2000) masks.clear();
  masks.set(key, mask);
  return mask;
}

function parseColor(color: string): [number, number, number] {
  const hex = /^#([0-9a-f]{6})$/i.exec(color);
  if (hex) {
    const v = parseInt(hex[1]!, 16);
    return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
  }
  const rgb = /^rgb\((\d+),\s*(\d+),\s*(\d+)\)$/.exec(color);
  if (rgb) return [Number(rgb[1]), Number(rgb[2]), Number(rgb[3])];
  throw rangeError('NMFKIT_INVALID_VALUE', `unsupported colour ${color}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Checks of the figures' arguments that are about drawing: sizes, colours and text.

/** Largest side of a figure, and most pixels: a bitmap is 4 bytes a pixel, so 2^25 pixels are 128 MiB. */
const MAX_SIDE = 16384;
const MAX_PIXELS = 2 ** 25;

/** A side of a figure in pixels: an integer in [1, 16384]. */
export function checkPixels(name: string, value: unknown): number {
  const n = checkCount(name, value);
  if (n > MAX_SIDE) throw rangeError('NMFKIT_INVALID_VALUE', `${name} must be at most ${MAX_SIDE} pixels, got ${describe(value)}`);
  return n;
}

/**
 * The size of a figure: `width` and `height` as given (checked by {@link checkPixels}) or their defaults, which
 * grow with the figure's content; `why` says what a default that is too large came from.
 */
export function figureSize(
  names: { readonly width: string; readonly height: string },
  given: { readonly width?: unknown; readonly height?: unknown },
  defaults: { readonly width: number; readonly height: number; readonly why: string },
): { width: number; height: number } {
  const side = (name: string, value: unknown, fallback: number): number => {
    if (value !== undefined) return checkPixels(name, value);
    if (fallback > MAX_SIDE)
      throw rangeError(
        'NMFKIT_TOO_LARGE',
        `${name} defaults to ${fallback} pixels for ${defaults.why}, more than ${MAX_SIDE}: give a smaller ${name}`,
      );
    return fallback;
  };
  const width = side(names.width, given.width, defaults.width);
  const height = side(names.height, given.height, defaults.height);
  if (width * height > MAX_PIXELS) {
    throw rangeError(
      'NMFKIT_TOO_LARGE',
      `${names.width} × ${names.height} = ${width}×${height} pixels, more than the 2^25 (e.g. 8192×4096) of one figure`,
    );
  }
  return { width, height };
}

/** Longest text a figure draws in one piece: a title or label beyond it would not fit any figure. */
const MAX_TEXT = 1000;

/** A title or label: a string of at most 1000 characters. */
export function checkText(name: string, value: unknown): string {
  const text = checkString(name, value);
  if (text.length > MAX_TEXT)
    throw rangeError('NMFKIT_INVALID_VALUE', `${name} must have at most ${MAX_TEXT} characters, got ${text.length}`);
  return text;
}

/** A colour the canvas can draw: '#rrggbb' or 'rgb(r, g, b)' with components in [0, 255]. */
export function checkColor(name: string, value: unknown): string {
  const color = checkString(name, value);
  let rgb: [number, number, number] | undefined;
  try {
    rgb = parseColor(color);
  } catch {
    rgb = undefined;
  }
  if (!rgb || rgb.some((c) => c > 255))
    throw rangeError('NMFKIT_INVALID_VALUE', `${name} must be a colour '#rrggbb' or 'rgb(r, g, b)', got ${describe(color)}`);
  return color;
}

/** Text for SVG character data and attribute values. */
function xml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A coordinate for SVG: at most 2 decimals. */
function num(v: number): string {
  return String(Math.round(v * 100) / 100);
}

const ANCHOR = { left: 'start', center: 'middle', right: 'end' } as const;

export class Canvas {
  readonly bitmap: Bitmap;
  readonly ctx: Context;
  /** The SVG elements drawn so far, in order; null for a raster-only canvas. */
  private readonly svg: string[] | null;

  constructor(
    readonly width: number,
    readonly height: number,
    background = '#ffffff',
    vector = false,
  ) {
    ensureFont();
    this.svg = vector ? [`<rect width="${width}" height="${height}" fill="${background}"/>`] : null;
    this.bitmap = PImage.make(width, height);
    this.ctx = this.bitmap.getContext('2d');
    const [r, g, b] = parseColor(background);
    const data = this.bitmap.data;
    for (let i = 0; i < width * height; i++) {
      data[4 * i] = r;
      data[4 * i + 1] = g;
      data[4 * i + 2] = b;
      data[4 * i + 3] = 255;
    }
  }

  /**
   * Draws text anchored at (x, y): `align` places the anchor at its left, centre or right, `baseline` at the top
   * of the capitals, their middle, the baseline or the bottom of the descenders. `rotate` may be 0 or −π/2
   * (reading upwards; align and baseline then refer to the rotated text).
   */
  text(x: number, y: number, text: string, style: TextStyle = {}): void {
    if (text === '') return;
    const size = style.size ?? 13;
    const mask = textMask(text, size);
    const [r, g, b] = parseColor(style.color ?? '#000000');
    const textWidth = mask.width - 4;
    const along = style.align === 'center' ? -textWidth / 2 : style.align === 'right' ? -textWidth : 0;
    const baseline = style.baseline ?? 'alphabetic';
    const across = baseline === 'top' ? 0.76 * size : baseline === 'middle' ? 0.37 * size : baseline === 'bottom' ? -0.24 * size : 0;
    const upright = !style.rotate;
    if (this.svg) {
      const color = style.color ?? '#000000';
      const anchor = ANCHOR[style.align ?? 'left'];
      const place = upright
        ? `x="${num(Math.round(x))}" y="${num(Math.round(y) + across)}"`
        : `x="0" y="${num(across)}" transform="translate(${num(Math.round(x))} ${num(Math.round(y))}) rotate(-90)"`;
      this.svg.push(`<text ${place} font-size="${size}" text-anchor="${anchor}" fill="${color}">${xml(text)}</text>`);
    }
    // Mask pixel (i, j) (column i, row j) lands at the target position below.
    const u0 = Math.round(along - 2);
    const v0 = Math.round(across - mask.baseline);
    const data = this.bitmap.data;
    for (let j = 0; j < mask.height; j++) {
      for (let i = 0; i < mask.width; i++) {
        const a = mask.alpha[j * mask.width + i]!;
        if (a === 0) continue;
        const tx = upright ? Math.round(x) + u0 + i : Math.round(x) + v0 + j;
        const ty = upright ? Math.round(y) + v0 + j : Math.round(y) - u0 - i;
        if (tx < 0 || ty < 0 || tx >= this.width || ty >= this.height) continue;
        const k = (ty * this.width + tx) * 4;
        const f = a / 255;
        data[k] = Math.round(data[k]! * (1 - f) + r * f);
        data[k + 1] = Math.round(data[k + 1]! * (1 - f) + g * f);
        data[k + 2] = Math.round(data[k + 2]! * (1 - f) + b * f);
      }
    }
  }

  textWidth(text: string, size = 13): number {
    return text === '' ? 0 : textMask(text, size).width - 4;
  }

  /**
   * A line. Horizontal and vertical lines are drawn as crisp pixel runs (at floor(x), floor(y); `width` pixels
   * thick); others go through pureimage's anti-aliased stroke.
   */
  line(x0: number, y0: number, x1: number, y1: number, color = '#000000', width = 1): void {
    // A pixel run to an infinite end would never finish; such a line is off the canvas anyway.
    if (!(Number.isFinite(x0) && Number.isFinite(y0) && Number.isFinite(x1) && Number.isFinite(y1))) return;
    if (x0 === x1 || y0 === y1) {
      const [r, g, b] = parseColor(color);
      const w = Math.max(1, Math.round(width));
      // The runs are clipped to the canvas first: a finite but huge end (1e300) must not mean 1e300 steps.
      if (y0 === y1) {
        const y = Math.floor(y0 - (w - 1) / 2);
        const [from, to] = this.clip(x0, x1, this.width);
        for (let t = 0; t < w; t++) for (let x = from; x <= to; x++) this.put(x, y + t, r, g, b);
        if (from <= to) this.svg?.push(`<rect x="${from}" y="${y}" width="${to - from + 1}" height="${w}" fill="${color}"/>`);
      } else {
        const x = Math.floor(x0 - (w - 1) / 2);
        const [from, to] = this.clip(y0, y1, this.height);
        for (let t = 0; t < w; t++) for (let y = from; y <= to; y++) this.put(x + t, y, r, g, b);
        if (from <= to) this.svg?.push(`<rect x="${x}" y="${from}" width="${w}" height="${to - from + 1}" fill="${color}"/>`);
      }
      return;
    }
    this.svg?.push(
      `<line x1="${num(x0)}" y1="${num(y0)}" x2="${num(x1)}" y2="${num(y1)}" stroke="${color}" stroke-width="${num(width)}"/>`,
    );
    const { ctx } = this;
    ctx.strokeStyle = color;
    ctx.lineWidth = width;
    ctx.beginPath();
    ctx.moveTo(x0, y0);
    ctx.lineTo(x1, y1);
    ctx.stroke();
  }

  /** The pixels floor(min(a, b)) … floor(max(a, b)) that lie in [0, size), as a first and last (empty when first > last). */
  private clip(a: number, b: number, size: number): [number, number] {
    return [Math.max(0, Math.floor(Math.min(a, b))), Math.min(size - 1, Math.floor(Math.max(a, b)))];
  }

  private put(x: number, y: number, r: number, g: number, b: number): void {
    if (x >= 0 && y >= 0 && x < this.width && y < this.height) this.setPixel(x, y, r, g, b);
  }

  /** A polyline through the points (x[i], y[i]); non-finite points break it. */
  polyline(x: ArrayLike<number>, y: ArrayLike<number>, color: string, width = 1.5): void {
    const { ctx } = this;
    ctx.strokeStyle = color;
    ctx.lineWidth = width;
    let open = false;
    let points: string[] = [];
    const flush = (): void => {
      if (this.svg && points.length > 1) {
        this.svg.push(
          `<polyline points="${points.join(' ')}" fill="none" stroke="${color}" stroke-width="${num(width)}" stroke-linejoin="round"/>`,
        );
      }
      points = [];
    };
    for (let i = 0; i < x.length; i++) {
      if (!Number.isFinite(x[i]!) || !Number.isFinite(y[i]!)) {
        if (open) ctx.stroke();
        open = false;
        flush();
        continue;
      }
      if (!open) {
        ctx.beginPath();
        ctx.moveTo(x[i]!, y[i]!);
        open = true;
      } else ctx.lineTo(x[i]!, y[i]!);
      if (this.svg) points.push(`${num(x[i]!)},${num(y[i]!)}`);
    }
    if (open) ctx.stroke();
    flush();
  }

  /** A horizontal dashed line. */
  dashedLine(x0: number, x1: number, y: number, color: string, dash = 6, gap = 4, width = 1): void {
    if (!(Number.isFinite(x0) && Number.isFinite(x1) && Number.isFinite(y))) return;
    // Dashes start on the dash grid from x0 but only where the canvas is: the loop is bounded by its width.
    const period = dash + gap;
    // (The remainder is exact in floating point, so a far-off x0 keeps the dash phase without rounding away.)
    const first = x0 >= -period ? x0 : -period - ((-period - x0) % period);
    const last = Math.min(x1, this.width + period);
    for (let x = first; x < last; x += period) this.line(x, y, Math.min(x + dash, x1), y, color, width);
  }

  fillRect(x: number, y: number, w: number, h: number, color: string): void {
    const [r, g, b] = parseColor(color);
    if (!(Number.isFinite(x) && Number.isFinite(y) && Number.isFinite(w) && Number.isFinite(h))) return;
    // Clipped to the canvas, so the loops are bounded by its size whatever the rectangle.
    const y1 = Math.min(this.height, Math.round(y + h));
    const x1 = Math.min(this.width, Math.round(x + w));
    const ya = Math.max(0, Math.round(y));
    const xa = Math.max(0, Math.round(x));
    for (let py = ya; py < y1; py++) for (let px = xa; px < x1; px++) this.put(px, py, r, g, b);
    if (xa < x1 && ya < y1) this.svg?.push(`<rect x="${xa}" y="${ya}" width="${x1 - xa}" height="${y1 - ya}" fill="${color}"/>`);
  }

  /**
   * Records the pixels of an area drawn so far with {@link setPixel} (a heatmap, a colorbar) as an image of the SVG
   * output, in their place among the other drawing commands; nothing for a raster-only canvas.
   */
  pixels(area: { readonly x: number; readonly y: number; readonly w: number; readonly h: number }): void {
    if (!this.svg) return;
    const x0 = Math.max(0, Math.floor(area.x));
    const y0 = Math.max(0, Math.floor(area.y));
    const w = Math.min(this.width, Math.floor(area.x + area.w)) - x0;
    const h = Math.min(this.height, Math.floor(area.y + area.h)) - y0;
    if (w <= 0 || h <= 0) return;
    const rgba = new Uint8Array(w * h * 4);
    for (let row = 0; row < h; row++) {
      const from = ((y0 + row) * this.width + x0) * 4;
      rgba.set(this.bitmap.data.subarray(from, from + w * 4), row * w * 4);
    }
    const png = encodePng(w, h, rgba).toString('base64');
    this.svg.push(
      `<image x="${x0}" y="${y0}" width="${w}" height="${h}" preserveAspectRatio="none" style="image-rendering:pixelated" href="data:image/png;base64,${png}"/>`,
    );
  }

  /** A 1-pixel frame just outside [x, x + w) × [y, y + h). */
  frame(x: number, y: number, w: number, h: number, color = '#000000'): void {
    this.line(x - 1, y - 1, x + w, y - 1, color);
    this.line(x - 1, y + h, x + w, y + h, color);
    this.line(x - 1, y - 1, x - 1, y + h, color);
    this.line(x + w, y - 1, x + w, y + h, color);
  }

  /** Writes an opaque pixel. */
  setPixel(x: number, y: number, r: number, g: number, b: number): void {
    const i = (y * this.width + x) * 4;
    const data = this.bitmap.data;
    data[i] = r;
    data[i + 1] = g;
    data[i + 2] = b;
    data[i + 3] = 255;
  }

  toPng(): Buffer {
    return encodePng(this.width, this.height, this.bitmap.data);
  }

  /** The recorded drawing as an SVG document (a vector canvas only). */
  toSvg(): string {
    if (!this.svg) throw plainError('NMFKIT_INTERNAL', 'toSvg needs a canvas made with vector = true');
    return [
      `<?xml version="1.0" encoding="UTF-8"?>`,
      `<svg xmlns="http://www.w3.org/2000/svg" width="${this.width}" height="${this.height}" viewBox="0 0 ${this.width} ${this.height}" font-family="'${FONT_FAMILY}', 'DejaVu Sans', Verdana, sans-serif">`,
      ...this.svg,
      '</svg>',
      '',
    ].join('\n');
  }

  /** The figure in a format: PNG bytes, or the SVG document as UTF-8 bytes. */
  encode(format: FigureFormat): Buffer {
    return format === 'svg' ? Buffer.from(this.toSvg(), 'utf8') : this.toPng();
  }
}
