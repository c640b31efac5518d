/**
 * libnmfd's score-informed initialisations (src/audio/nmfd-init.ts) against libnmfd's own init_templates and
 * init_activations (test/fixtures/libnmfd-init.json, made by scripts/make-nmfd-fixture.py running libnmfd's code).
 */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { drumActivations, pitchedActivations, pitchedTemplates, type NoteEvent } from '../src/index.js';

const fixture = JSON.parse(readFileSync(new URL('./fixtures/libnmfd-init.json', import.meta.url), 'utf8')) as {
  pitchedTemplates: {
    pitches: number[];
    sampleRate: number;
    nFft: number;
    templateFrames: number;
    harmonics: number;
    templates: number[][][];
  };
  pitchedActivations: { notes: NoteEvent[]; frames: number; timeResolution: number; H: number[][] };
  drumActivations: {
    hits: { drum: number; time: number }[];
    drums: number;
    frames: number;
    timeResolution: number;
    decay: number;
    H: number[][];
  };
};

const maxDifference = (a: ArrayLike<number>, b: readonly number[]): number => {
  expect(a.length).toBe(b.length);
  return Math.max(...b.map((x, i) => Math.abs(a[i]! - x)));
};

it("pitchedTemplates are libnmfd's 'pitched' templates, band for band", () => {
  const f = fixture.pitchedTemplates;
  const templates = pitchedTemplates(f.pitches, f.sampleRate, f.nFft, { templateFrames: f.templateFrames, harmonics: f.harmonics });
  expect(templates.length).toBe(f.templates.length);
  templates.forEach((t, r) => {
    expect([t.rows, t.cols]).toEqual([f.nFft / 2 + 1, f.templateFrames]);
    expect(maxDifference(t.data, f.templates[r]!.flat())).toBeLessThan(1e-15);
  });
});

it("pitchedActivations are libnmfd's 'pitched' activations", () => {
  const f = fixture.pitchedActivations;
  const H = pitchedActivations(f.notes, f.frames, f.timeResolution);
  expect([H.rows, H.cols]).toEqual([f.H.length, f.frames]);
  expect(maxDifference(H.data, f.H.flat())).toBe(0);
});

it("drumActivations are libnmfd's 'drums' activations (impulses through its NEMA filter)", () => {
  const f = fixture.drumActivations;
  const H = drumActivations(f.hits, f.drums, f.frames, f.timeResolution, { decay: f.decay });
  expect(maxDifference(H.data, f.H.flat())).toBeLessThan(1e-15);
});
