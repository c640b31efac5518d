/**
 * Note-level transcription scores: activationNotes (runs of active frames by evaluateActivations' threshold rule)
 * and evaluateNotes (onsets matched within a tolerance, one to one, pitch for pitch), on hand-made cases whose
 * answers are counted by hand, and against a brute-force maximum matching on random cases.
 */
import { describe, expect, it } from 'vitest';
import { activationNotes, evaluateActivations, evaluateNotes, type NoteEvent } from '../src/index.js';

describe('activationNotes', () => {
  it('one note per run of active frames, offsets at the next frame; rows of one pitch are summed; null rows left out', () => {
    // Frames at 0, 0.1, …, 0.9. Row 0 (pitch 60): two runs; rows 1 and 2 (pitch 64) add up; row 3 is left out.
    const H = {
      rows: 4,
      cols: 10,
      data: [
        [1, 1, 0, 0, 0.5, 0.5, 0.5, 0, 0, 0.1],
        [0, 0, 0, 0, 0, 0, 0, 0.3, 0.3, 0.3],
        [0, 0, 0, 0, 0, 0, 0, 0.3, 0.3, 0.3],
        [9, 9, 9, 9, 9, 9, 9, 9, 9, 9],
      ].flat(),
    };
    const times = Array.from({ length: 10 }, (_, n) => n / 10);
    const notes = activationNotes(H, [60, 64, 64, null], times);
    // Row 0's 0.1 at 0.9 s is below 0.2 × its maximum; pitch 64's run reaches the last frame: its offset is the last
    // frame's time plus one step.
    const expected = [
      [60, 0, 0.2],
      [60, 0.4, 0.7],
      [64, 0.7, 1.0],
    ];
    expect(notes).toHaveLength(3);
    notes.forEach((n, i) => {
      expect(n.pitch).toBe(expected[i]![0]);
      expect(n.onset).toBeCloseTo(expected[i]![1]!, 12);
      expect(n.offset).toBeCloseTo(expected[i]![2]!, 12);
    });
  });

  it('agrees with evaluateActivations: the frames inside its notes are the estimated piano roll', () => {
    const H = { rows: 2, cols: 50, data: Array.from({ length: 100 }, (_, i) => Math.abs(Math.sin(i * 0.37)) ** 3) };
    const times = Array.from({ length: 50 }, (_, n) => n * 0.02);
    const evaluation = evaluateActivations(H, [60, 62], [{ pitch: 60, onset: 0, offset: 0.5 }], times, { threshold: 0.3 });
    const notes = activationNotes(H, [60, 62], times, { threshold: 0.3 });
    evaluation.pitches.forEach((pitch, r) => {
      times.forEach((t, n) => {
        const inside = notes.some((note) => note.pitch === pitch && t >= note.onset - 1e-12 && t < note.offset - 1e-12);
        expect(inside, `pitch ${pitch} frame ${n}`).toBe(evaluation.estimated[r * 50 + n] === 1);
      });
    });
    expect(activationNotes(H, [60, 62], times, { threshold: 0.3, minDuration: 0.05 }).every((n) => n.offset - n.onset >= 0.05)).toBe(true);
  });
});

describe('evaluateNotes', () => {
  const note = (pitch: number, onset: number): NoteEvent => ({ pitch, onset, offset: onset + 0.3 });

  it('counts onset matches within the tolerance, one to one and pitch for pitch', () => {
    const reference = [note(60, 0), note(60, 1), note(64, 1), note(67, 2)];
    const estimated = [note(60, 0.04), note(60, 0.06), note(60, 1.05), note(64, 1.2), note(65, 2)];
    const r = evaluateNotes(estimated, reference);
    // Matches: (60, 0)–(60, 0.04) and (60, 1)–(60, 1.05); 0.06 has no reference left within 50 ms; 64 is 0.2 s
    // late; 65 is not 67.
    expect(r).toMatchObject({ matched: 2, estimated: 5, reference: 4, onsetTolerance: 0.05 });
    expect(r.precision).toBeCloseTo(2 / 5, 12);
    expect(r.recall).toBeCloseTo(2 / 4, 12);
    expect(r.fMeasure).toBeCloseTo((2 * 0.4 * 0.5) / 0.9, 12);
    expect(evaluateNotes(estimated, reference, { onsetTolerance: 0.25 }).matched).toBe(3);
    expect(evaluateNotes([], reference)).toMatchObject({ precision: 0, recall: 0, fMeasure: 0 });
  });

  it('finds a maximum matching (brute force on random cases)', () => {
    let seed = 7;
    const random = (): number => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
    const maximum = (a: number[], b: number[], tol: number): number => {
      // Largest matching by trying every partner for a[0].
      if (a.length === 0) return 0;
      let best = maximum(a.slice(1), b, tol);
      b.forEach((x, j) => {
        if (Math.abs(x - a[0]!) <= tol) best = Math.max(best, 1 + maximum(a.slice(1), [...b.slice(0, j), ...b.slice(j + 1)], tol));
      });
      return best;
    };
    for (let trial = 0; trial < 200; trial++) {
      const ref = Array.from({ length: 1 + Math.floor(random() * 6) }, () => Math.round(random() * 40) / 100);
      const est = Array.from({ length: 1 + Math.floor(random() * 6) }, () => Math.round(random() * 40) / 100);
      const r = evaluateNotes(
        est.map((t) => note(60, t)),
        ref.map((t) => note(60, t)),
        { onsetTolerance: 0.05 },
      );
      expect(r.matched, JSON.stringify({ ref, est })).toBe(maximum(ref, est, 0.05 + 1e-9));
    }
  });
});
