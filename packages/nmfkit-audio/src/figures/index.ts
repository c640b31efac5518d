/**
 * nmfkit-audio/figures — figures of NMF results, laid out like the FMP notebooks' (pngjs, pureimage, DejaVu Sans,
 * the matplotlib colormaps from d3-scale-chromatic), returned as PNG bytes, or with `format: 'svg'` as the bytes of
 * an SVG document drawn by the same code. A separate entry point, so that `import 'nmfkit-audio'` does not load the
 * drawing code. For Node: the font is read from its package's file.
 */
// nmfkit's entry sets the memory limit the size checks of nmfkit/validation use (the machine's, or the wasm cap).
import 'nmfkit';

export { renderFactorsFigure, product, type FactorsFigureInput } from './factors.js';
export { renderErrorPlot, type ErrorPlotOptions, type ErrorPlotPanel, type LineSeries } from './errors.js';
export { renderActivationComparison, type ActivationComparisonInput } from './pianoroll.js';
export { renderHeatmapRow, type CellAxis, type HeatmapFigureOptions, type HeatmapPanel } from './heatmap.js';
export { COLORMAPS, colormapTable, type ColormapName } from './colormap.js';
export { FIGURE_FORMATS, type FigureFormat } from './format.js';
