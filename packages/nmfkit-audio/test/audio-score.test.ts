/**
 * Score-informed initialisation and frame-level evaluation on small synthetic axes, checked against libfmp's
 * index formulas (`template_pitch`, `init_nmf_activation_score`) written out independently here.
 */
import { describe, expect, it } from 'vitest';
import { evaluateActivations, midiToHz, pianoRoll, pitchName, scoreInformedInit, type NoteEvent } from '../src/index.js';

const K = 300;
const N = 60;
const df = 10; // Hz per bin
const frequencies = Float64Array.from({ length: K }, (_, k) => k * df);
const times = Float64Array.from({ length: N }, (_, n) => n / 10);
const axes = { frequencies, times };

/** libfmp's `template_pitch` (FMP C8), for comparison. */
function libfmpTemplate(pitch: number, tol: number): Float64Array {
  const t = new Float64Array(K);
  const f0 = 440 * 2 ** ((pitch - 69) / 12);
  const maxOrder = Math.ceil((K * df) / ((1 - tol) * f0));
  for (let m = 1; m <= maxOrder; m++) {
    const lo = Math.max(0, Math.trunc(((1 - tol) * m * f0) / df));
    const hi = Math.min(K - 1, Math.trunc(((1 + tol) * m * f0) / df));
    for (let k = lo; k <= hi; k++) t[k] = 1 / m;
  }
  return t;
}

function column(matrix: { rows: number; cols: number; data: Float64Array }, c: number): number[] {
  return Array.from({ length: matrix.rows }, (_, k) => matrix.data[k * matrix.cols + c]!);
}

function row(matrix: { rows: number; cols: number; data: Float64Array }, r: number): number[] {
  return Array.from(matrix.data.subarray(r * matrix.cols, (r + 1) * matrix.cols));
}

describe('scoreInformedInit', () => {
  const notes: NoteEvent[] = [
    { pitch: 69, onset: 1, offset: 2 },
    { pitch: 57, onset: 2.5, offset: 3 },
    { pitch: 69, onset: 4, offset: 4.5 },
  ];

  it('builds libfmp’s harmonic templates: bands (1 ± τ)·m·f0 with value 1/m', () => {
    const init = scoreInformedInit(notes, axes);
    expect(init.pitches).toEqual([57, 69]);
    expect(init.W.rows).toBe(K);
    expect(init.W.cols).toBe(2);
    expect(init.components.map((c) => c.label)).toEqual(['A3', 'A4']);
    // libfmp's top band can reach past the last bin only by its clipped index; compare all bins.
    expect(column(init.W, 0)).toEqual(Array.from(libfmpTemplate(57, 0.05)));
    expect(column(init.W, 1)).toEqual(Array.from(libfmpTemplate(69, 0.05)));
    const narrow = scoreInformedInit(notes, axes, { pitchTolerance: 0.02 });
    expect(column(narrow.W, 1)).toEqual(Array.from(libfmpTemplate(69, 0.02)));
    // A4's fundamental band: bins 41…46 (410–460 Hz) are 1, the bins around are 0.
    expect(column(init.W, 1).slice(39, 49)).toEqual([0, 0, 1, 1, 1, 1, 1, 1, 0, 0]);
  });

  it('opens H0 within [onset − 0.2 s, offset + 0.5 s] of each note, 0 elsewhere', () => {
    const init = scoreInformedInit(notes, axes);
    const a4 = row(init.H, 1);
    const expected = times.map((t) => ((t >= 0.8 && t <= 2.5) || (t >= 3.8 && t <= 5) ? 1 : 0));
    expect(a4).toEqual(Array.from(expected));
    const custom = scoreInformedInit(notes, axes, { noteTolerance: [0, 0] });
    expect(row(custom.H, 0)).toEqual(Array.from(times, (t) => (t >= 2.5 && t <= 3 ? 1 : 0)));
  });

  it('adds onset components before the pitch components (libfmp’s _onset variant)', () => {
    const init = scoreInformedInit(notes, axes, { onsets: true });
    expect(init.W.cols).toBe(4);
    expect(init.components.map((c) => `${c.index}:${c.label}:${c.kind}`)).toEqual([
      '0:A3 onset:onset',
      '1:A3:pitch',
      '2:A4 onset:onset',
      '3:A4:pitch',
    ]);
    expect(column(init.W, 2).every((v) => v === 0.1)).toBe(true);
    expect(column(init.W, 3)).toEqual(Array.from(libfmpTemplate(69, 0.05)));
    expect(row(init.H, 2)).toEqual(Array.from(times, (t) => ((t >= 0.7 && t <= 1.1) || (t >= 3.7 && t <= 4.1) ? 1 : 0)));
    expect(row(init.H, 3)).toEqual(row(scoreInformedInit(notes, axes).H, 1));
  });

  it('follows options.pitches and works on a cropped frequency axis', () => {
    const init = scoreInformedInit(notes, axes, { pitches: [69, 57, 60] });
    expect(init.components.map((c) => c.pitch)).toEqual([69, 57, 60]);
    expect(row(init.H, 2).every((v) => v === 0)).toBe(true);
    const cropped = scoreInformedInit(notes, { frequencies: frequencies.subarray(100), times });
    const full = scoreInformedInit(notes, axes);
    expect(column(cropped.W, 1)).toEqual(column(full.W, 1).slice(100));
  });

  it('does not modify the notes and validates its arguments', () => {
    const frozen = notes.map((n) => Object.freeze({ ...n }));
    expect(() => scoreInformedInit(frozen, axes)).not.toThrow();
    expect(() => scoreInformedInit(notes, axes, { pitches: [69] })).toThrow(/notes\[1\].pitch = 57 is not among options.pitches \(69\)/);
    expect(() => scoreInformedInit([{ pitch: 60.5, onset: 0, offset: 1 }], axes)).toThrow(/notes\[0\].pitch must be a MIDI pitch/);
    expect(() => scoreInformedInit([{ pitch: 60, onset: 2, offset: 1 }], axes)).toThrow(
      /notes\[0\].offset must be after its onset \(2 s\), got 1/,
    );
    expect(() => scoreInformedInit(notes, { frequencies: [0, 20, 10], times })).toThrow(/axes.frequencies must be strictly increasing/);
    expect(() => scoreInformedInit(notes, axes, { noteTolerance: [0.2] as never })).toThrow(
      /options.noteTolerance must be a \[before, after\] pair/,
    );
    expect(() => scoreInformedInit(notes, axes, { pitchTolerance: 2 })).toThrow(/options.pitchTolerance must be in \[0, 0.5\], got 2/);
    expect(() => scoreInformedInit(notes, axes, { tolerance: 1 } as never)).toThrow(/unknown option options.tolerance/);
  });
});

describe('evaluateActivations', () => {
  const notes: NoteEvent[] = [
    { pitch: 60, onset: 0, offset: 0.3 },
    { pitch: 64, onset: 0.2, offset: 0.5 },
  ];
  const t = [0, 0.1, 0.2, 0.3, 0.4, 0.5];

  it('counts (pitch, frame) pairs with the relative threshold rule', () => {
    // Row 0 is C4: active (≥ 0.2 × 10) at frames 0, 1, 3 → TP 2 (0, 1), FP 1 (3), FN 1 (2).
    // Row 1 is E4 summed with row 2: 0,0,5,5,1,0 + 0,0,0,0,4,0 → active at 2, 3, 4 → TP 3.
    // Row 3 (null) is ignored.
    const H = [
      [10, 5, 1, 3, 0, 0],
      [0, 0, 5, 5, 1, 0],
      [0, 0, 0, 0, 4, 0],
      [9, 9, 9, 9, 9, 9],
    ];
    const e = evaluateActivations(H, [60, 64, 64, null], notes, t, { threshold: 0.2 });
    expect(e.pitches).toEqual([60, 64]);
    expect([e.truePositives, e.falsePositives, e.falseNegatives]).toEqual([5, 1, 1]);
    expect(e.precision).toBeCloseTo(5 / 6, 12);
    expect(e.recall).toBeCloseTo(5 / 6, 12);
    expect(e.fMeasure).toBeCloseTo(5 / 6, 12);
    expect(Array.from(e.reference)).toEqual(Array.from(pianoRoll(notes, [60, 64], t)));
    expect(Array.from(e.estimated)).toEqual([1, 1, 0, 1, 0, 0, 0, 0, 1, 1, 1, 0]);
    expect(e.threshold).toBe(0.2);
  });

  it('validates its arguments', () => {
    expect(() => evaluateActivations([[1, 2]], [60, 62], notes, [0, 1])).toThrow(
      /componentPitches must have one entry per row of H \(1\), got 2/,
    );
    expect(() => evaluateActivations([[1, 2]], [60], notes, [0])).toThrow(/times must have 2 entries, got 1/);
    expect(() => evaluateActivations([[1, 2]], [60], notes, [0, 1], { threshold: 2 })).toThrow(
      /options.threshold must be in \[0, 1\], got 2/,
    );
  });
});

describe('pitch helpers', () => {
  it('convert MIDI pitch, Hz and names', () => {
    expect(midiToHz(69)).toBe(440);
    expect(midiToHz(60)).toBeCloseTo(261.6256, 4);
    expect(pitchName(60)).toBe('C4');
    expect(pitchName(61)).toBe('C♯4');
    expect(pitchName(21)).toBe('A0');
  });
});
