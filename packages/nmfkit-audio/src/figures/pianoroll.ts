/**
 * The activation-evaluation figure: the piano roll of thresholded activations against the note list's,
 * every (pitch, frame) cell coloured as true positive, false positive or false negative.
 */
import { checkPitchList } from '../audio/notes.js';
import { toSignal } from '../audio/signal.js';
import type { MatrixData } from 'nmfkit';
import { checkChoice, checkCount, checkInRange, checkTypedArray, rangeError, readList, readOptions } from 'nmfkit/validation';
import { drawTitle, drawXAxis, drawYAxis, LABEL_FONT, type Area } from './axes.js';
import { Canvas, checkText, figureSize } from './canvas.js';
import { FIGURE_FORMATS, type FigureFormat } from './format.js';

/**
 * What {@link renderActivationComparison} needs: the output of `evaluateActivations` (its counts may come along
 * and are not drawn) and the frame times.
 */
export interface ActivationComparisonInput {
  /** Distinct MIDI pitches, one per row of the piano rolls. */
  readonly pitches: readonly number[];
  readonly estimated: Uint8Array;
  readonly reference: Uint8Array;
  readonly precision: number;
  readonly recall: number;
  readonly fMeasure: number;
  readonly threshold: number;
  /** Seconds of each frame (at least one). */
  readonly times: MatrixData;
  readonly truePositives?: number;
  readonly falsePositives?: number;
  readonly falseNegatives?: number;
  /** A label per pitch row. Default: the MIDI numbers. */
  readonly labels?: readonly string[];
  readonly title?: string;
  readonly width?: number;
  readonly height?: number;
  /** 'png' (default) or 'svg'. */
  readonly format?: FigureFormat;
}

const COLORS = {
  tp: [40, 40, 40],
  fp: [255, 127, 14], // tab:orange
  fn: [31, 119, 180], // tab:blue
} as const;

const MARGIN = { left: 84, right: 210, top: 34, bottom: 56 };

const INPUT_KEYS = [
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
] as const;

/** Renders the comparison as PNG bytes. Does not modify its input. */
export function renderActivationComparison(input: ActivationComparisonInput): Buffer {
  const o = readOptions('input', input, INPUT_KEYS, 'an evaluation object (from evaluateActivations) with times');
  const pitches = checkPitchList('input.pitches', o.pitches);
  const times = toSignal('input.times', o.times);
  const P = pitches.length;
  const N = times.length;
  if (P === 0) throw rangeError('NMFKIT_INVALID_VALUE', 'input.pitches must have at least one pitch, got an array of length 0');
  const roll = (key: 'estimated' | 'reference'): Uint8Array => {
    // A private copy (one native step), so its length is the real one whatever the caller's array claims.
    const copy = new Uint8Array(
      checkTypedArray<Uint8Array>(`input.${key}`, o[key], ['Uint8Array'], 'a Uint8Array (a piano roll from evaluateActivations)'),
    );
    if (copy.length !== P * N)
      throw rangeError(
        'NMFKIT_INVALID_VALUE',
        `input.${key} must have pitches × frames = ${P}×${N} entries (input.pitches × input.times), got ${copy.length}`,
      );
    return copy;
  };
  const estimated = roll('estimated');
  const reference = roll('reference');
  const precision = checkInRange('input.precision', o.precision, 0, 1);
  const recall = checkInRange('input.recall', o.recall, 0, 1);
  const fMeasure = checkInRange('input.fMeasure', o.fMeasure, 0, 1);
  const threshold = checkInRange('input.threshold', o.threshold, 0, 1);
  for (const key of ['truePositives', 'falsePositives', 'falseNegatives'] as const)
    if (o[key] !== undefined) checkCount(`input.${key}`, o[key], true);
  const labelCount = (length: number): string => `input.labels must have one label per pitch (${P}), got ${length}`;
  const labels =
    o.labels === undefined
      ? pitches.map(String)
      : readList('input.labels', o.labels, 'an array of strings', P, labelCount).map((label, i) => checkText(`input.labels[${i}]`, label));
  if (labels.length !== P) throw rangeError('NMFKIT_INVALID_VALUE', labelCount(labels.length));
  const title = o.title === undefined ? undefined : checkText('input.title', o.title);
  const { width, height } = figureSize(
    { width: 'input.width', height: 'input.height' },
    { width: o.width, height: o.height },
    { width: 1100, height: Math.max(260, 120 + 22 * P), why: `${P} pitches` },
  );
  const format = o.format === undefined ? 'png' : checkChoice('input.format', o.format, FIGURE_FORMATS);
  const canvas = new Canvas(width, height, '#ffffff', format === 'svg');
  const area: Area = { x: MARGIN.left, y: MARGIN.top, w: width - MARGIN.left - MARGIN.right, h: height - MARGIN.top - MARGIN.bottom };
  const t = times;
  const step = N > 1 ? (t[N - 1]! - t[0]!) / (N - 1) : 1;
  const t0 = t[0]! - step / 2;
  const t1 = t0 + N * step;
  for (let py = 0; py < area.h; py++) {
    const row = Math.min(P - 1, Math.floor(((area.h - 1 - py) / area.h) * P));
    for (let px = 0; px < area.w; px++) {
      const n = Math.min(N - 1, Math.floor((px / area.w) * N));
      const i = row * N + n;
      const e = estimated[i]!;
      const r = reference[i]!;
      const c = e && r ? COLORS.tp : e ? COLORS.fp : r ? COLORS.fn : null;
      if (c) canvas.setPixel(area.x + px, area.y + py, c[0], c[1], c[2]);
    }
  }
  canvas.pixels(area);
  // Row separators.
  for (let r = 1; r < P; r++) {
    const y = Math.round(area.y + area.h - (r / P) * area.h) - 1;
    canvas.line(area.x, y, area.x + area.w, y, '#e0e0e0');
  }
  canvas.frame(area.x, area.y, area.w, area.h);
  drawXAxis(canvas, area, { kind: 'linear', label: 'Time (seconds)', min: t0, max: t1 }, 10);
  drawYAxis(canvas, area, { kind: 'category', label: 'Pitch', labels });
  drawTitle(
    canvas,
    area,
    title ??
      `Frame-level evaluation (threshold ${threshold} × pitch maximum): P = ${precision.toFixed(3)}, R = ${recall.toFixed(3)}, F = ${fMeasure.toFixed(3)}`,
  );
  const entries: [string, readonly number[]][] = [
    ['true positive', COLORS.tp],
    ['false positive', COLORS.fp],
    ['false negative', COLORS.fn],
  ];
  entries.forEach(([label, c], k) => {
    const x = area.x + area.w + 18;
    const y = area.y + 8 + k * 24;
    canvas.fillRect(x, y, 16, 14, `rgb(${c[0]}, ${c[1]}, ${c[2]})`);
    canvas.text(x + 24, y + 7, label, { size: LABEL_FONT - 1, baseline: 'middle' });
  });
  return canvas.encode(format);
}
