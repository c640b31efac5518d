/**
 * The figures of 'nmfkit-audio/figures' (src/figures/) held to the fit's hostile-input contract (./export-cases.ts):
 * every argument and option refused with an error naming it, what a getter or proxy trap throws turned into a
 * TypeError naming what could not be read, each property read once, nothing modified; then hostile values
 * particular to figures (nested panels, series, axes and colours, sizes, text, colormaps).
 */
import { describe, expect, it } from 'vitest';
import * as figures from '../../src/figures/index.js';
import { describeExportCases, ones, SMALL, type ExportCase } from './export-cases.js';
import { boom, throwingProxy } from '../../../../test/hostile/hostile-values.js';

const CASES: Record<string, ExportCase> = {
  renderFactorsFigure: {
    args: () => [{ W: ones(6, 2), H: ones(2, 5), ...SMALL }],
    params: ['input'],
    options: {
      index: 0,
      keys: [
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
      ],
    },
    valid: {
      'input.showProduct': ['true'],
      'input.sharedScale': ['true'],
      'input.componentAxis': ['a string'],
      'input.title': ['a string'],
    },
  },
  product: { args: () => [ones(3, 2), ones(2, 4)], params: ['W', 'H'] },
  renderErrorPlot: {
    args: () => [[{ title: 'fit', series: [{ label: 'ΔH', values: [1, 0.5, 0.25] }], tol: 0.1 }], { ...SMALL }],
    params: ['panels', 'options'],
    options: { index: 1, keys: ['width', 'height', 'columns', 'format'] },
  },
  renderActivationComparison: {
    args: () => [
      {
        pitches: [60, 64],
        estimated: new Uint8Array([1, 0, 1, 0, 1, 1]),
        reference: new Uint8Array([1, 1, 0, 0, 1, 0]),
        precision: 0.5,
        recall: 0.5,
        fMeasure: 0.5,
        threshold: 0.2,
        times: [0, 0.1, 0.2],
        ...SMALL,
      },
    ],
    params: ['input'],
    options: {
      index: 0,
      keys: [
        'pitches',
        'estimated',
        'reference',
        'precision',
        'recall',
        'fMeasure',
        'threshold',
        'times',
        'labels',
        'title',
        'width',
        'height',
        'truePositives',
        'falsePositives',
        'falseNegatives',
        'format',
      ],
    },
    valid: { 'input.title': ['a string'] },
  },
  renderHeatmapRow: {
    args: () => [
      [{ matrix: ones(2, 3), x: { label: 'time', centres: [0.5, 1.5, 2.5] }, y: { label: 'pitch', labels: ['a', 'b'] }, title: 't' }],
      { ...SMALL },
    ],
    params: ['panels', 'options'],
    options: { index: 1, keys: ['width', 'height', 'colormap', 'suptitle', 'format'] },
    valid: { 'options.suptitle': ['a string'] },
  },
  colormapTable: { args: () => ['viridis'], params: ['name'] },
};

describeExportCases('figures exports: every argument, every hostile value', figures, CASES, { OPTION_OBJECTS: new Set(['input.titles']) });

describe('figures exports: specific hostile values', () => {
  const fails = async (f: () => unknown, message: RegExp, kind: typeof TypeError | typeof RangeError = TypeError): Promise<void> => {
    let error: unknown;
    try {
      await f();
    } catch (e) {
      error = e;
    }
    expect(error, String(message)).toBeInstanceOf(kind);
    expect((error as Error).message).toMatch(message);
  };

  it('figures: nested panels, series, axes and colours; sizes; text', async () => {
    const panel = (extra: object = {}): object => ({ title: 'fit', series: [{ label: 'ΔH', values: [1, 0.5] }], ...extra });
    await fails(
      () => figures.renderErrorPlot([Object.defineProperty(panel(), 'series', { get: boom('series'), enumerable: true })] as never),
      /^panels\[0\]\.series could not be read: Error: hostile series/,
    );
    await fails(() => figures.renderErrorPlot([panel({ titel: 'x' })] as never), /^unknown option panels\[0\]\.titel/);
    await fails(
      () => figures.renderErrorPlot([panel({ series: [{ label: 'a', values: [1], color: 'red' }] })] as never),
      /^panels\[0\]\.series\[0\]\.color must be a colour/,
      RangeError,
    );
    await fails(
      () => figures.renderErrorPlot([panel({ series: [{ label: 'a', values: throwingProxy([1]) }] })] as never),
      /^panels\[0\]\.series\[0\]\.values\.length could not be read/,
    );
    await fails(
      () => figures.renderErrorPlot([panel()] as never, { width: 1e6 }),
      /^options\.width must be at most 16384 pixels/,
      RangeError,
    );
    await fails(
      () => figures.renderErrorPlot(new Array(40).fill(panel()) as never),
      /^options\.width defaults to 25600 pixels for 40 panels/,
      RangeError,
    );
    await fails(
      () => figures.renderErrorPlot([panel({ title: 'x'.repeat(1001) })] as never),
      /^panels\[0\]\.title must have at most 1000 characters/,
      RangeError,
    );
    await fails(
      () => figures.renderErrorPlot([panel({ series: [{ label: 'a', values: [1, 2], iterations: [0, 0] }] })] as never),
      /^panels\[0\]\.series\[0\]\.iterations must increase, but panels\[0\]\.series\[0\]\.iterations\[1\] = 0 follows/,
      RangeError,
    );
    await fails(
      () => figures.renderErrorPlot([panel({ series: [{ label: 'a', values: [1, 2], iterations: [0] }] })] as never),
      /^panels\[0\]\.series\[0\]\.iterations must have one entry per value \(2\), got 1/,
      RangeError,
    );
    await fails(
      () => figures.renderErrorPlot([panel({ series: [{ label: 'a', values: [1, 2], iterations: [0, Infinity] }] })] as never),
      /^panels\[0\]\.series\[0\]\.iterations must be finite/,
      RangeError,
    );
    await fails(() => figures.renderErrorPlot([panel()] as never, { columns: 0 }), /^options\.columns must be an integer/, RangeError);
    await fails(
      () => figures.renderErrorPlot([panel()] as never, { format: 'pdf' } as never),
      /^options\.format must be one of/,
      RangeError,
    );
    // A panel without series and without tol draws an empty plot (its legend once looped forever).
    expect(figures.renderErrorPlot([{ title: 'empty', series: [] }], SMALL).length).toBeGreaterThan(0);

    const heat = (x: object): unknown[] => [
      [{ matrix: { rows: 1, cols: 2, data: [-1, 2] }, x, y: { label: 'y', labels: ['a'] }, title: 't' }],
      SMALL,
    ];
    expect((figures.renderHeatmapRow as (...a: unknown[]) => Buffer)(...heat({ label: 'x', centres: [0, 1] })).length).toBeGreaterThan(0);
    await fails(
      () => (figures.renderHeatmapRow as (...a: unknown[]) => Buffer)(...heat({ label: 'x', centres: [0, 1], labels: ['a', 'b'] })),
      /^panels\[0\]\.x must have centres .* not both/,
    );
    await fails(
      () => (figures.renderHeatmapRow as (...a: unknown[]) => Buffer)(...heat({ label: 'x', labels: ['a'] })),
      /^panels\[0\]\.x\.labels must have one label per matrix column \(2\), got 1/,
      RangeError,
    );
    await fails(
      () => (figures.renderHeatmapRow as (...a: unknown[]) => Buffer)(...heat({ label: 'x', centres: [0, NaN] })),
      /^panels\[0\]\.x\.centres must be finite, but panels\[0\]\.x\.centres\[1\] is NaN/,
      RangeError,
    );
    // Equal centres once made every pixel weigh every cell (memory of pixels × cells).
    await fails(
      () => (figures.renderHeatmapRow as (...a: unknown[]) => Buffer)(...heat({ label: 'x', centres: [1, 1] })),
      /^panels\[0\]\.x\.centres must increase strictly, but panels\[0\]\.x\.centres\[1\] = 1 is not above/,
      RangeError,
    );
    await fails(
      () => (figures.renderHeatmapRow as (...a: unknown[]) => Buffer)(...heat({ label: 'x', centres: [0, 1], limit: [1, 0] })),
      /^panels\[0\]\.x\.limit must have low < high/,
      RangeError,
    );
    expect(
      (figures.renderHeatmapRow as (...a: unknown[]) => Buffer)(...heat({ label: 'x', centres: [-1e308, 1e308] })).length,
    ).toBeGreaterThan(0);
    // Log axes: a value axis only; an axis with nothing positive, or limits beyond the float range, still draws.
    await fails(
      () => (figures.renderHeatmapRow as (...a: unknown[]) => Buffer)(...heat({ label: 'x', labels: ['a', 'b'], scale: 'log' })),
      /^panels\[0\]\.x\.scale is for a value axis/,
    );
    await fails(
      () => (figures.renderHeatmapRow as (...a: unknown[]) => Buffer)(...heat({ label: 'x', centres: [0, 1], scale: 'ln' })),
      /^panels\[0\]\.x\.scale must be one of/,
      RangeError,
    );
    for (const axis of [
      { label: 'x', centres: [-2, -1], scale: 'log' },
      { label: 'x', centres: [1e-300, 1e308], scale: 'log' },
      { label: 'x', centres: [0, 1], scale: 'log', limit: [5e-324, Infinity] },
    ]) {
      expect((figures.renderHeatmapRow as (...a: unknown[]) => Buffer)(...heat(axis)).length, JSON.stringify(axis)).toBeGreaterThan(0);
    }
    const decibels = (value: unknown): unknown[] => [
      [
        {
          matrix: { rows: 1, cols: 2, data: [0, 2] },
          x: { label: 'x', centres: [0, 1] },
          y: { label: 'y', labels: ['a'] },
          title: 't',
          decibels: value,
        },
      ],
      SMALL,
    ];
    for (const bad of [0, -3, 401, NaN]) {
      await fails(
        () => (figures.renderHeatmapRow as (...a: unknown[]) => Buffer)(...decibels(bad)),
        /^panels\[0\]\.decibels must/,
        RangeError,
      );
    }
    await fails(
      () => (figures.renderHeatmapRow as (...a: unknown[]) => Buffer)(...decibels('60')),
      /^panels\[0\]\.decibels must be a number/,
    );
    await fails(
      () => figures.renderFactorsFigure({ W: ones(6, 2), H: ones(2, 5), frequencyScale: 'log' } as never),
      /^input\.frequencyScale 'log' needs input\.frequencies/,
    );
    await fails(
      () => figures.renderFactorsFigure({ W: ones(6, 2), H: ones(2, 5), minFrequency: 100, maxFrequency: 50 } as never),
      /^input\.maxFrequency \(50\) must be above input\.minFrequency \(100\)/,
      RangeError,
    );

    const evaluation = CASES.renderActivationComparison!.args()[0] as Record<string, unknown>;
    await fails(
      () => figures.renderActivationComparison({ ...evaluation, estimated: new Proxy(new Uint8Array(6), {}) } as never),
      /^input\.estimated must be a Uint8Array/,
    );
    await fails(
      () => figures.renderActivationComparison({ ...evaluation, labels: ['C4'] } as never),
      /^input\.labels must have one label per pitch \(2\), got 1/,
      RangeError,
    );
    // The counts of evaluateActivations' result may come along.
    expect(
      figures.renderActivationComparison({ ...evaluation, truePositives: 1, falsePositives: 0, falseNegatives: 2 } as never).length,
    ).toBeGreaterThan(0);
    await fails(
      () => figures.renderFactorsFigure({ W: ones(6, 2), H: ones(2, 5), titles: { W: 'w', Wh: 'x' } } as never),
      /^unknown option input\.titles\.Wh/,
    );
    await fails(
      () => figures.renderFactorsFigure({ W: ones(6, 2), H: ones(2, 5), componentLabels: ['a', 2] } as never),
      /^input\.componentLabels\[1\] must be a string/,
    );
    await fails(
      () =>
        figures.product(
          { rows: 100000, cols: 1, data: new Float64Array(100000) },
          { rows: 1, cols: 100000, data: new Float64Array(100000) },
        ),
      /^W·H is too large/,
      RangeError,
    );
  });

  it('colormaps: a fresh table for each call, a frozen list of names', () => {
    const table = figures.colormapTable('viridis');
    table.fill(0);
    expect(Array.from(figures.colormapTable('viridis').subarray(0, 3))).toEqual([68, 1, 84]);
    expect(Object.isFrozen(figures.COLORMAPS)).toBe(true);
    expect(() => figures.colormapTable('constructor' as never)).toThrow(/^name must be one of 'viridis'/);
  });
});
