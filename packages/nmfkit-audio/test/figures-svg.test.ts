/**
 * The figures' options for publication: SVG output (parsed and rasterised by resvg, it shows what the PNG shows),
 * a log-frequency axis, decibels, one colour scale for W·H and V, the objective history in the error plot, and a
 * label for every component row at 40 components. SVG keeps text as text, so the tests read the labels from it.
 */
import { createRequire } from 'node:module';
import { Resvg } from '@resvg/resvg-js';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { colormapTable, renderActivationComparison, renderErrorPlot, renderFactorsFigure, renderHeatmapRow } from '../src/figures/index.js';

const FONT = createRequire(import.meta.url).resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf');

/** An SVG document rasterised by resvg (with the figures' font), as RGBA. */
function rasterise(svg: Buffer): { width: number; height: number; pixels: Uint8Array } {
  const image = new Resvg(svg, { font: { fontFiles: [FONT], loadSystemFonts: false, defaultFontFamily: 'DejaVu Sans' } }).render();
  return { width: image.width, height: image.height, pixels: image.pixels };
}

/** Mean absolute difference of two RGBA images' RGB values, in [0, 255]. */
function difference(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  let count = 0;
  for (let i = 0; i < a.length; i += 4) {
    for (let c = 0; c < 3; c++) sum += Math.abs(a[i + c]! - b[i + c]!);
    count += 3;
  }
  return sum / count;
}

/** The text elements of an SVG document. */
const texts = (svg: Buffer): string[] => [...svg.toString('utf8').matchAll(/<text [^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);

const K = 200;
const N = 120;
const frequencies = Float64Array.from({ length: K }, (_, k) => k * 25);
const times = Float64Array.from({ length: N }, (_, n) => n * 0.05);
const W = { rows: K, cols: 3, data: Float64Array.from({ length: 3 * K }, (_, i) => (Math.floor(i / 3) % (5 + (i % 3)) === 0 ? 1 : 0.05)) };
const H = { rows: 3, cols: N, data: Float64Array.from({ length: 3 * N }, (_, i) => (Math.sin(i / 9) + 1) / 2) };
const V = { rows: K, cols: N, data: Float64Array.from({ length: K * N }, (_, i) => (2 * ((i * 7919) % 101)) / 100) }; // up to 2

describe('SVG output', () => {
  it.each([
    ['renderFactorsFigure', (format: 'png' | 'svg') => renderFactorsFigure({ W, H, V, frequencies, times, title: 'factors', format })],
    [
      'renderErrorPlot',
      (format: 'png' | 'svg') =>
        renderErrorPlot([{ title: 'fit', series: [{ label: 'ΔH', values: [1, 0.3, 0.1, 0.05] }], tol: 0.1 }], { format }),
    ],
    [
      'renderActivationComparison',
      (format: 'png' | 'svg') =>
        renderActivationComparison({
          ...{ pitches: [60, 67, 72], times: [0, 0.5, 1, 1.5] },
          ...{ estimated: new Uint8Array(12).map((_, i) => i % 2), reference: new Uint8Array(12).map((_, i) => +(i % 3 === 0)) },
          ...{ precision: 1 / 3, recall: 0.5, fMeasure: 0.4, threshold: 0.3, format },
        }),
    ],
  ] as const)('%s: a valid SVG document that rasterises to what the PNG shows', (_, render) => {
    const svg = render('svg');
    expect(svg.toString('utf8')).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    const png = PNG.sync.read(render('png'));
    const raster = rasterise(svg);
    expect([raster.width, raster.height]).toEqual([png.width, png.height]);
    // The same drawing: only the text's anti-aliasing and the lines' rasterisation differ.
    expect(difference(raster.pixels, png.data)).toBeLessThan(3);
    expect(texts(svg).length).toBeGreaterThan(5);
  });

  it('escapes text', () => {
    const svg = renderFactorsFigure({ W, H, title: 'a <b> & "c"', format: 'svg' });
    expect(texts(svg)).toContain('a &#60;b&#62; &#38; &#34;c&#34;');
    rasterise(svg);
  });
});

describe('figure options', () => {
  it("frequencyScale 'log': 1-2-5 tick labels in Hz over the decades shown", () => {
    const svg = renderFactorsFigure({
      W,
      H,
      V,
      frequencies,
      times,
      frequencyScale: 'log',
      minFrequency: 50,
      maxFrequency: 4000,
      format: 'svg',
    });
    const labels = texts(svg);
    for (const label of ['100', '1k', '2k']) expect(labels).toContain(label);
    expect(labels).not.toContain('1000');
    const linear = renderFactorsFigure({ W, H, frequencies, times, showProduct: false, maxFrequency: 4000, format: 'svg' });
    expect(texts(linear)).toContain('1000');
    expect(texts(linear)).not.toContain('1k');
  });

  it('decibels: 20·log10 over the range below the largest value; one scale for W·H and V with sharedScale', () => {
    const matrix = { rows: 1, cols: 3, data: Float64Array.from([1, 0.1, 0.001]) }; // 0, −20, −60 dB
    const png = PNG.sync.read(
      renderHeatmapRow([{ matrix, x: { label: 'x', centres: [0, 1, 2] }, y: { label: 'y', labels: ['a'] }, title: 'dB', decibels: 40 }], {
        width: 400,
        height: 300,
        colormap: 'gray_r',
      }),
    );
    const table = colormapTable('gray_r');
    const at = (x: number): number => png.data[(150 * png.width + x) * 4]!;
    const plot = { x: 88, w: 400 - 88 - 74 };
    // 0 dB is the top of the map (black), −20 dB half way, −60 dB below the 40 dB range: the bottom (white).
    expect(at(plot.x + Math.round(plot.w / 6))).toBe(table[3 * 255]);
    expect(Math.abs(at(plot.x + Math.round(plot.w / 2)) - table[3 * 128]!)).toBeLessThanOrEqual(2);
    expect(at(plot.x + Math.round((5 * plot.w) / 6))).toBe(table[0]);

    // sharedScale: V reaches 10, W·H about 2; with one scale both colorbars run to 10, otherwise only V's.
    const big = { ...V, data: V.data.map((v) => 5 * v) };
    const tens = (svg: Buffer): number => texts(svg).filter((t) => t === '10').length;
    expect(tens(renderFactorsFigure({ W, H, V: big, sharedScale: true, format: 'svg' }))).toBe(2);
    expect(tens(renderFactorsFigure({ W, H, V: big, format: 'svg' }))).toBe(1);
    expect(texts(renderFactorsFigure({ W, H, V, decibels: 60, format: 'svg' }))).toContain('V (dB)');
  });

  it('a label for every component row at 18 and at 40 components', () => {
    for (const R of [18, 40]) {
      const labels = Array.from({ length: R }, (_, r) => `comp${r}`);
      const w = { rows: 20, cols: R, data: new Float64Array(20 * R).fill(0.5) };
      const h = { rows: R, cols: 30, data: new Float64Array(30 * R).fill(0.5) };
      const svg = renderFactorsFigure({ W: w, H: h, componentLabels: labels, format: 'svg' });
      const drawn = texts(svg);
      // Each label twice: under W's columns and beside H's rows.
      for (const label of labels)
        expect(
          drawn.filter((t) => t === label),
          `${R}: ${label}`,
        ).toHaveLength(2);
    }
  });

  it('error plot: iterations of an objective history, panels in columns', () => {
    const png = PNG.sync.read(
      renderErrorPlot(
        [
          { title: 'changes', series: [{ label: 'ΔH', values: [1, 0.5, 0.25] }] },
          { title: 'objective', series: [{ label: 'F', values: [100, 10, 9, 8.9], iterations: [0, 1, 10, 20] }], yLabel: 'Objective' },
          { title: 'third', series: [] },
        ],
        { columns: 2 },
      ),
    );
    expect([png.width, png.height]).toEqual([1280, 800]);
    const svg = renderErrorPlot([{ title: 'objective', series: [{ label: 'F', values: [100, 10, 9], iterations: [0, 5, 20] }] }], {
      format: 'svg',
    });
    // The x axis runs from iteration 0 to 20.
    expect(texts(svg)).toEqual(expect.arrayContaining(['0', '20']));
  });
});
