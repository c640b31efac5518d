/**
 * The PNG figures: valid PNG files of the requested size, heatmap cells painted with the colormap colour of their
 * value (row 0 at the bottom), text actually drawn, and input validation.
 */
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { colormapTable, renderActivationComparison, renderErrorPlot, renderFactorsFigure, renderHeatmapRow } from '../src/figures/index.js';

function decode(png: Buffer): PNG {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  return PNG.sync.read(png);
}

function pixel(image: PNG, x: number, y: number): [number, number, number] {
  const i = (y * image.width + x) * 4;
  return [image.data[i]!, image.data[i + 1]!, image.data[i + 2]!];
}

function darkPixels(image: PNG, x0: number, y0: number, x1: number, y1: number): number {
  let dark = 0;
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) if (pixel(image, x, y)[0] < 128) dark++;
  return dark;
}

describe('colormaps', () => {
  it('are the published matplotlib tables', () => {
    const viridis = colormapTable('viridis');
    expect(Array.from(viridis.subarray(0, 3))).toEqual([68, 1, 84]);
    expect(Array.from(viridis.subarray(765, 768))).toEqual([253, 231, 37]);
    const magma = colormapTable('magma');
    expect(Array.from(magma.subarray(0, 3))).toEqual([0, 0, 4]);
    expect(Array.from(magma.subarray(765, 768))).toEqual([252, 253, 191]);
    const gray = colormapTable('gray_r');
    expect(Array.from(gray.subarray(0, 3))).toEqual([255, 255, 255]);
    expect(Array.from(gray.subarray(765, 768))).toEqual([0, 0, 0]);
  });
});

describe('renderHeatmapRow', () => {
  it('paints each cell with the colour of its value, row 0 at the bottom', () => {
    const matrix = { rows: 2, cols: 2, data: Float64Array.from([0, 1, 1, 0.5]) }; // bottom row: 0, 1; top row: 1, 0.5
    const png = renderHeatmapRow(
      [
        {
          matrix,
          x: { label: 'Time (seconds)', centres: [0.5, 1.5] },
          y: { label: 'Component', labels: ['a', 'b'] },
          title: 'test',
          range: [0, 1],
        },
      ],
      { width: 400, height: 300, colormap: 'viridis' },
    );
    const image = decode(png);
    expect([image.width, image.height]).toEqual([400, 300]);
    // Plot area: x from 88 to 400 − 74, y from 34 to 300 − bottom margin; sample the quadrant centres.
    const table = colormapTable('viridis');
    const colour = (t: number): number[] => Array.from(table.subarray(3 * Math.round(t * 255), 3 * Math.round(t * 255) + 3));
    const left = 88 + Math.round((400 - 88 - 74) / 4);
    const right = 88 + Math.round((3 * (400 - 88 - 74)) / 4);
    expect(pixel(image, left, 60)).toEqual(colour(1)); // top-left: row 1, col 0
    expect(pixel(image, right, 60)).toEqual(colour(0.5)); // top-right
    expect(pixel(image, left, 200)).toEqual(colour(0)); // bottom-left: row 0, col 0
    expect(pixel(image, right, 200)).toEqual(colour(1));
    expect(darkPixels(image, 150, 5, 260, 30)).toBeGreaterThan(10); // the title is drawn
  });
});

describe('renderFactorsFigure', () => {
  const W = { rows: 50, cols: 3, data: Float64Array.from({ length: 150 }, (_, i) => (i % 7) / 7) };
  const H = { rows: 3, cols: 40, data: Float64Array.from({ length: 120 }, (_, i) => (i % 5) / 5) };

  it('draws W, H, W·H and V with Hz and seconds axes', () => {
    const V = { rows: 50, cols: 40, data: new Float64Array(2000).fill(0.5) };
    const frequencies = Float64Array.from({ length: 50 }, (_, k) => k * 40);
    const times = Float64Array.from({ length: 40 }, (_, n) => n * 0.05);
    const image = decode(
      renderFactorsFigure({ W, H, V, frequencies, times, componentLabels: ['C4', 'E4', 'G4'], title: 'factors', maxFrequency: 1000 }),
    );
    expect(image.width).toBe(Math.round(440 * 3.8));
    expect(image.height).toBe(450);
    expect(darkPixels(image, 0, 0, image.width, 30)).toBeGreaterThan(50); // the title line
  });

  it('works without axes values (indices) and without V', () => {
    const image = decode(renderFactorsFigure({ W, H, showProduct: false, width: 900, height: 300 }));
    expect([image.width, image.height]).toEqual([900, 300]);
  });

  it('validates its input', () => {
    expect(() => renderFactorsFigure({ W, H: { rows: 2, cols: 40, data: new Float64Array(80) } })).toThrow(
      /input.H must have one row per column of input.W \(3\), got 2×40/,
    );
    expect(() => renderFactorsFigure({ W, H, V: [[1]] })).toThrow(/input.V must be 50×40/);
    expect(() => renderFactorsFigure({ W, H, colormap: 'jet' as never })).toThrow(/input.colormap must be one of 'viridis'/);
    expect(() => renderFactorsFigure({ W, H, frequencies: [1, 2] })).toThrow(/input.frequencies must have 50 entries, got 2/);
    expect(() => renderFactorsFigure({ W, H, componentLabels: ['a'] })).toThrow(
      /input.componentLabels must have one label per component \(3\), got 1/,
    );
    expect(() => renderFactorsFigure({ W: { rows: 1, cols: 1, data: [-1] }, H: [[1]] })).toThrow(/input.W must be finite and ≥ 0/);
  });
});

describe('renderErrorPlot and renderActivationComparison', () => {
  it('draw one panel per fit on a log axis', () => {
    const h = Float64Array.from({ length: 100 }, (_, i) => 10 * 0.9 ** i);
    const w = Float64Array.from({ length: 100 }, (_, i) => 5 * 0.95 ** i);
    const image = decode(
      renderErrorPlot([
        {
          title: 'fit 1',
          series: [
            { label: 'ΔH', values: h },
            { label: 'ΔW', values: w },
          ],
          tol: 1e-3,
        },
        { title: 'fit 2', series: [{ label: 'ΔH', values: h.subarray(0, 10) }] },
      ]),
    );
    expect([image.width, image.height]).toEqual([1280, 400]);
    expect(() => renderErrorPlot([])).toThrow(/panels must be a non-empty array/);
  });

  it('draw the piano-roll comparison', () => {
    const estimated = Uint8Array.from([1, 1, 0, 0, 0, 1]);
    const reference = Uint8Array.from([1, 0, 0, 0, 1, 1]);
    const image = decode(
      renderActivationComparison({
        pitches: [60, 64],
        estimated,
        reference,
        precision: 2 / 3,
        recall: 2 / 3,
        fMeasure: 2 / 3,
        threshold: 0.2,
        times: [0, 0.1, 0.2],
      }),
    );
    expect(image.width).toBe(1100);
    expect(() =>
      renderActivationComparison({ pitches: [60], estimated, reference, precision: 0, recall: 0, fMeasure: 0, threshold: 0.2, times: [0] }),
    ).toThrow(/pitches × frames = 1×1/);
  });
});
