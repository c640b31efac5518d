/**
 * nmfkit/figures — PNG figures of NMF results, laid out like the FMP notebooks' (pngjs, pureimage, DejaVu Sans,
 * the matplotlib colormaps from d3-scale-chromatic). A separate entry point, so that `import 'nmfkit'` does not
 * load the drawing code.
 */
export { renderFactorsFigure, product, type FactorsFigureInput } from './factors.js';
export { renderErrorPlot, type ErrorPlotOptions, type ErrorPlotPanel, type LineSeries } from './errors.js';
export { renderActivationComparison, type ActivationComparisonInput } from './pianoroll.js';
export { renderHeatmapRow, type CellAxis, type HeatmapFigureOptions, type HeatmapPanel } from './heatmap.js';
export { COLORMAPS, colormapTable, type ColormapName } from './colormap.js';
