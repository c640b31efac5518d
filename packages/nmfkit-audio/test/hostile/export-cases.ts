/**
 * The hostile-input contract of the audio and figures exports is nmfkit's table-driven one
 * (test/hostile/export-cases.ts, shared with the NMF estimator's suite); the matrices and figure size the audio
 * cases use.
 */
export { describeExportCases, type ExportCase } from '../../../../test/hostile/export-cases.js';

/** A matrix of the given shape, every entry 0.5. */
export const ones = (rows: number, cols: number): { rows: number; cols: number; data: number[] } => ({
  rows,
  cols,
  data: new Array<number>(rows * cols).fill(0.5),
});
/** A small figure size. */
export const SMALL = { width: 300, height: 200 };
