/**
 * The activation-evaluation figure: the piano roll of thresholded activations against the note list's,
 * every (pitch, frame) cell coloured as true positive, false positive or false negative.
 */
import { describe } from '../validate.js';
import { drawTitle, drawXAxis, drawYAxis, LABEL_FONT, type Area } from './axes.js';
import { Canvas } from './canvas.js';

/** What {@link renderActivationComparison} needs: the output of `evaluateActivations` and the frame times. */
export interface ActivationComparisonInput {
  readonly pitches: readonly number[];
  readonly estimated: Uint8Array;
  readonly reference: Uint8Array;
  readonly precision: number;
  readonly recall: number;
  readonly fMeasure: number;
  readonly threshold: number;
  /** Seconds of each frame. */
  readonly times: ArrayLike<number>;
  /** A label per pitch row. Default: the MIDI numbers. */
  readonly labels?: readonly string[];
  readonly title?: string;
  readonly width?: number;
  readonly height?: number;
}

const COLORS = {
  tp: [40, 40, 40],
  fp: [255, 127, 14], // tab:orange
  fn: [31, 119, 180], // tab:blue
} as const;

const MARGIN = { left: 84, right: 210, top: 34, bottom: 56 };

/** Renders the comparison as PNG bytes. */
export function renderActivationComparison(input: ActivationComparisonInput): Buffer {
  if (input === null || typeof input !== 'object') throw new TypeError(`input must be an evaluation object, got ${describe(input)}`);
  const P = input.pitches.length;
  const N = input.times.length;
  if (input.estimated.length !== P * N || input.reference.length !== P * N) {
    throw new RangeError(`input.estimated and input.reference must have pitches × frames = ${P}×${N} entries`);
  }
  const width = input.width ?? 1100;
  const height = input.height ?? Math.max(260, 120 + 22 * P);
  const canvas = new Canvas(width, height);
  const area: Area = { x: MARGIN.left, y: MARGIN.top, w: width - MARGIN.left - MARGIN.right, h: height - MARGIN.top - MARGIN.bottom };
  const t = input.times;
  const step = N > 1 ? (t[N - 1]! - t[0]!) / (N - 1) : 1;
  const t0 = t[0]! - step / 2;
  const t1 = t0 + N * step;
  for (let py = 0; py < area.h; py++) {
    const row = Math.min(P - 1, Math.floor(((area.h - 1 - py) / area.h) * P));
    for (let px = 0; px < area.w; px++) {
      const n = Math.min(N - 1, Math.floor((px / area.w) * N));
      const i = row * N + n;
      const e = input.estimated[i]!;
      const r = input.reference[i]!;
      const c = e && r ? COLORS.tp : e ? COLORS.fp : r ? COLORS.fn : null;
      if (c) canvas.setPixel(area.x + px, area.y + py, c[0], c[1], c[2]);
    }
  }
  // Row separators.
  for (let r = 1; r < P; r++) {
    const y = Math.round(area.y + area.h - (r / P) * area.h) - 1;
    canvas.line(area.x, y, area.x + area.w, y, '#e0e0e0');
  }
  canvas.frame(area.x, area.y, area.w, area.h);
  drawXAxis(canvas, area, { kind: 'linear', label: 'Time (seconds)', min: t0, max: t1 }, 10);
  drawYAxis(canvas, area, { kind: 'category', label: 'Pitch', labels: input.labels ?? input.pitches.map(String) });
  drawTitle(
    canvas,
    area,
    input.title ??
      `Frame-level evaluation (threshold ${input.threshold} × pitch maximum): P = ${input.precision.toFixed(3)}, R = ${input.recall.toFixed(3)}, F = ${input.fMeasure.toFixed(3)}`,
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
  return canvas.toPng();
}
