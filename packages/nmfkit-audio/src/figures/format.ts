/** The output formats of the figures (a module of its own: the figures' declarations must not reach pureimage's). */
export type FigureFormat = 'png' | 'svg';
export const FIGURE_FORMATS: readonly FigureFormat[] = Object.freeze(['png', 'svg'] as const);
